import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { mediaPath } from './test-env.js';

const run = promisify(execFile);

/** One generated file of the media matrix (docs/media.md lists what each stands for). */
export interface MediaCase {
  name: string;
  /** File name, with the container's usual extension. */
  file: string;
  /** ffmpeg arguments after the inputs (codec, properties, container). */
  args: string[];
  /** Then stream-copied with these arguments (metadata a re-encode would not keep). */
  remux?: string[];
  /** Extra inputs before `args` (an audio track). */
  inputs?: string[];
  /** Encoded size. @defaultValue 160x90 */
  size?: string;
  /** Displayed size after rotation, when it differs from the encoded one. */
  displayed?: { width: number; height: number };
}

/** A second of friday.mp4 (people, so detections exist), small: real content, quick to encode and detect. */
const SIZE = '160x90';
const source = ['-ss', '2', '-t', '1', '-i', mediaPath('friday.mp4')];
const audio = (seconds: number) => ['-f', 'lavfi', '-t', String(seconds), '-i', 'sine=frequency=440:sample_rate=16000'];
const h264 = (bframes: number) => ['-c:v', 'libx264', '-preset', 'ultrafast', '-bf', String(bframes), ...(bframes > 0 ? ['-x264-params', 'b-adapt=0'] : [])];
const noAudio = ['-an'];

export const mediaCases: MediaCase[] = [
  { name: 'mp4 H.264 no B-frames', file: 'h264-nob.mp4', args: [...noAudio, ...h264(0), '-pix_fmt', 'yuv420p'] },
  { name: 'mp4 H.264 with B-frames', file: 'h264-b.mp4', args: [...noAudio, '-c:v', 'libx264', '-preset', 'fast', '-bf', '3', '-pix_fmt', 'yuv420p'] },
  { name: 'mov HEVC', file: 'hevc.mov', args: [...noAudio, '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-tag:v', 'hvc1', '-pix_fmt', 'yuv420p'] },
  { name: 'mkv MPEG-2', file: 'mpeg2.mkv', args: [...noAudio, '-c:v', 'mpeg2video', '-bf', '2', '-g', '12'] },
  { name: 'avi MPEG-4 Part 2 with B-frames', file: 'mpeg4.avi', args: [...noAudio, '-c:v', 'mpeg4', '-bf', '2', '-g', '12'] },
  { name: 'webm VP8', file: 'vp8.webm', args: [...noAudio, '-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '200k'] },
  { name: 'webm VP9', file: 'vp9.webm', args: [...noAudio, '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '200k'] },
  { name: 'mkv AV1', file: 'av1.mkv', args: [...noAudio, '-c:v', 'libsvtav1', '-preset', '12', '-pix_fmt', 'yuv420p'] },
  {
    name: 'MPEG-TS MPEG-2 with B-frames starting at 1.5 s',
    file: 'mpeg2-b.ts',
    args: [...noAudio, '-c:v', 'mpeg2video', '-bf', '2', '-g', '12', '-muxdelay', '0', '-muxpreload', '0', '-output_ts_offset', '1.5', '-f', 'mpegts'],
  },
  { name: 'MPEG-PS MPEG-2 with B-frames', file: 'mpeg2-ps.mpg', args: [...noAudio, '-c:v', 'mpeg2video', '-bf', '2', '-g', '12', '-f', 'vob'] },
  {
    name: 'variable frame rate',
    file: 'vfr.mkv',
    // Gaps of 40, 53 and 67 ms in turn: no constant rate describes it.
    args: [...noAudio, '-vf', 'setpts=(N*0.04+0.013*mod(N\\,3))/TB', '-fps_mode', 'vfr', ...h264(0)],
  },
  { name: 'start time 5 s', file: 'offset.mkv', args: [...noAudio, ...h264(2), '-output_ts_offset', '5'] },
  // Opus' pre-skip starts the container before 0 (-0.002 s here).
  { name: 'negative start time (Opus pre-skip)', file: 'negative-start.mkv', inputs: audio(1), args: ['-map', '0:v', '-map', '1:a', '-c:a', 'libopus', ...h264(2)] },
  { name: 'open GOP', file: 'open-gop.mkv', args: [...noAudio, '-c:v', 'libx264', '-preset', 'fast', '-bf', '3', '-g', '8', '-x264-params', 'open-gop=1:keyint=8:min-keyint=8:scenecut=0'] },
  { name: 'odd size 4:4:4', file: 'odd-444.mkv', size: '157x89', args: [...noAudio, ...h264(0), '-pix_fmt', 'yuv444p'] },
  { name: '10-bit', file: 'h264-10bit.mkv', args: [...noAudio, ...h264(0), '-pix_fmt', 'yuv420p10le'] },
  { name: 'rotation metadata (90°)', file: 'rotated.mp4', args: [...noAudio, ...h264(0)], remux: ['-metadata:s:v:0', 'rotate=90'], displayed: { width: 90, height: 160 } },
  { name: 'video stream not the first', file: 'audio-first.mkv', inputs: audio(1), args: ['-map', '1:a', '-map', '0:v', '-c:a', 'libopus', ...h264(0)] },
  { name: 'one frame', file: 'one-frame.mp4', args: [...noAudio, '-frames:v', '1', ...h264(0)] },
  { name: 'long audio tail', file: 'audio-tail.mp4', inputs: audio(4), args: ['-map', '0:v', '-map', '1:a', '-c:a', 'aac', ...h264(0)] },
];

/** Writes every case into `dir`, all at once (each ffmpeg is tiny); returns the paths by case. */
export async function generateMediaCases(dir: string, cases: MediaCase[] = mediaCases): Promise<Map<MediaCase, string>> {
  const files = new Map<MediaCase, string>();
  await Promise.all(
    cases.map(async (c) => {
      const out = path.join(dir, c.file);
      const encoded = c.remux ? path.join(dir, `encoded-${c.file}`) : out;
      const ffmpeg = (args: string[]) =>
        run('ffmpeg', ['-v', 'error', '-y', ...args]).catch((err: Error & { stderr?: string }) => {
          throw new Error(`generating ${c.name}: ${err.stderr ?? err.message}`);
        });
      await ffmpeg([...source, ...(c.inputs ?? []), '-s', c.size ?? SIZE, ...c.args, encoded]);
      if (c.remux) await ffmpeg(['-i', encoded, '-c', 'copy', ...c.remux, out]);
      files.set(c, out);
    }),
  );
  return files;
}
