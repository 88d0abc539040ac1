import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Presentation timestamps (s, the stream's own) of every video frame, ascending: the packets'
 * pts as ffprobe reports them, sorted (decode order is not presentation order with B-frames).
 * The processor plans chunks from the same list.
 */
export async function listFrameTimestamps(ffprobePath: string, file: string, streamIndex: number | null): Promise<number[]> {
  const { stdout } = await run(
    ffprobePath,
    ['-v', 'error', '-select_streams', streamIndex === null ? 'v:0' : String(streamIndex), '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  const times = stdout
    .split('\n')
    .map((l) => l.trim().replace(/,$/, ''))
    .filter((l) => l !== '' && l !== 'N/A')
    .map(Number);
  if (times.some((t) => !Number.isFinite(t))) throw new Error(`ffprobe returned a timestamp that is not a number for ${file}`);
  return times.sort((a, b) => a - b);
}
