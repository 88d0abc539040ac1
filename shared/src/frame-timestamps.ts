import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { FfmpegMissingError, UnreadableVideoError } from './failures.js';

/** Runs ffprobe with an argument array (no shell) and hands each stdout line to `onLine`. */
function ffprobeLines(ffprobePath: string, args: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffprobePath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    createInterface({ input: child.stdout }).on('line', onLine);
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new FfmpegMissingError('ffprobe', ffprobePath) : new UnreadableVideoError(`cannot run ffprobe (${ffprobePath}): ${err.message}`)),
    );
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new UnreadableVideoError(`ffprobe exited with ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`));
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
export async function listFrameTimestamps(file: string, streamIndex: number, ffprobePath = 'ffprobe'): Promise<number[]> {
  const fromPackets: number[] = [];
  let missing = 0;
  await ffprobeLines(
    ffprobePath,
    ['-v', 'error', '-select_streams', String(streamIndex), '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', file],
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
    ['-v', 'error', '-select_streams', String(streamIndex), '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'csv=p=0', file],
    (line) => {
      const t = Number(line.split(',')[0]);
      if (!Number.isFinite(t)) throw new UnreadableVideoError('the video stream has frames without timestamps');
      fromFrames.push(t);
    },
  );
  return fromFrames.sort((a, b) => a - b);
}
