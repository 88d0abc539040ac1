import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailureCode, FfmpegError, FfmpegProcess, StorageFullError } from '@video-detect/shared';

const W = 320;
const H = 240;
/** An encoder fed raw frames on stdin, as a render's is; `output` is where it writes the MP4. */
const encoderTo = (output: string) =>
  new FfmpegProcess('ffmpeg', ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${W}x${H}`, '-framerate', '25', '-i', 'pipe:0', '-c:v', 'libx264', '-preset', 'ultrafast', '-movflags', '+faststart', '-f', 'mp4', '-y', output]);

/** Feeds grey frames until the encoder gives up (or 10 s pass); returns what `write` threw. */
async function feedUntilRejected(ffmpeg: FfmpegProcess): Promise<unknown> {
  const frame = new Uint8Array((W * H * 3) / 2).fill(128);
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    try {
      await ffmpeg.write(frame, frame.length * 4);
    } catch (err) {
      return err;
    }
  }
  ffmpeg.kill();
  return null;
}

/** Real ffmpeg writing to /dev/full (every write fails with ENOSPC, no root or tmpfs needed). */
describe('ffmpeg on a full disk', () => {
  it('an encoder fed on stdin fails with StorageFullError, the reason, and its writer is rejected with it', async () => {
    const ffmpeg = encoderTo('/dev/full');
    const err = await feedUntilRejected(ffmpeg);
    assert.ok(err instanceof StorageFullError, `got ${String(err)}`);
    assert.equal(err.code, FailureCode.StorageFull);
    assert.match(err.message, /^no space left on device: /);
    assert.match(err.detail, /No space left on device/, "ffmpeg's own line is kept for the logs");
    await assert.rejects(ffmpeg.done, StorageFullError);
  });

  it('any other ffmpeg failure stays an FfmpegError with its stderr', async () => {
    const ffmpeg = new FfmpegProcess('ffmpeg', ['-i', '/nonexistent/input.mp4', '-f', 'null', '-']);
    await assert.rejects(ffmpeg.done, (err: unknown) => err instanceof FfmpegError && /No such file or directory/.test(err.stderr));
  });
});
