import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { FfmpegMissingError, StorageUnavailableError, UnreadableVideoError } from './failures.js';
import { inputOptions, isUnreachable, mediaInput, redactInput, type MediaInput } from './media-input.js';

/** Runs ffprobe with an argument array (no shell) and hands each stdout line to `onLine`. */
function ffprobeLines(ffprobePath: string, media: MediaInput, args: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffprobePath, [...inputOptions(media), ...args, media.input], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    createInterface({ input: child.stdout }).on('line', onLine);
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new FfmpegMissingError('ffprobe', ffprobePath) : new UnreadableVideoError(`cannot run ffprobe (${ffprobePath}): ${err.message}`)),
    );
    child.on('close', (code) => {
      const last = redactInput(stderr.trim().split('\n').at(-1) ?? '', media);
      // A network input that breaks off mid-read can end as a clean EOF: its words tell, and the list would be short.
      if (isUnreachable(media, stderr)) reject(new StorageUnavailableError('listing frames', new Error(last)));
      else if (code === 0) resolve();
      else reject(new UnreadableVideoError(`ffprobe exited with ${code}: ${last}`));
    });
  });
}

/**
 * Presentation timestamps (seconds, the stream's own timeline) of every frame of the video stream,
 * ascending: index i in the result is source frame i.
 *
 * Listing packets only demuxes (no decoding), so it is fast even for long videos, and it counts
 * frames whether or not the container states a count. Packets the demuxer marks discardable
 * (edit lists) are not shown by decoders and are skipped. Streams without packet timestamps
 * fall back to decoding every frame for its best-effort timestamp.
 */
export async function listFrameTimestamps(source: MediaInput | string, streamIndex: number, ffprobePath = 'ffprobe'): Promise<number[]> {
  const media = typeof source === 'string' ? mediaInput(source) : source;
  const fromPackets: number[] = [];
  let missing = 0;
  await ffprobeLines(
    ffprobePath,
    media,
    ['-v', 'error', '-select_streams', String(streamIndex), '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0'],
    (line) => {
      const [pts, flags = ''] = line.split(',');
      if (flags.includes('D')) return;
      const t = Number(pts);
      if (pts === undefined || pts === 'N/A' || !Number.isFinite(t)) missing++;
      else fromPackets.push(t);
    },
  );
  if (missing === 0) return fromPackets.sort((a, b) => a - b);

  const fromFrames: number[] = [];
  await ffprobeLines(
    ffprobePath,
    media,
    ['-v', 'error', '-select_streams', String(streamIndex), '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'csv=p=0'],
    (line) => {
      const t = Number(line.split(',')[0]);
      if (!Number.isFinite(t)) throw new UnreadableVideoError('the video stream has frames without timestamps');
      fromFrames.push(t);
    },
  );
  return fromFrames.sort((a, b) => a - b);
}
