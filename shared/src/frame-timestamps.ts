import { createInterface } from 'node:readline';
import { FfmpegMissingError, StorageUnavailableError, UnreadableVideoError } from './failures.js';
import { inputOptions, isUnreachable, mediaInput, redactInput, type MediaInput } from './media-input.js';
import { limitStopReason, NO_MEDIA_LIMITS, spawnLimited, type MediaLimits } from './media-limits.js';

/**
 * The fields of one `-of compact` line of ffprobe's `section` (`packet|pts_time=1.5|flags=K_`), or
 * null for any other line. ffprobe also prints side data as sections of their own (and, in CSV,
 * as empty lines: an MPEG-2 packet's CPB properties, for one), so a line only counts when it names
 * its section.
 */
export function parseCompactLine(line: string, section: string): Record<string, string> | null {
  const parts = line.split('|');
  if (parts[0] !== section) return null;
  const fields: Record<string, string> = {};
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return fields;
}

/** A timestamp field as seconds, or null when ffprobe has none ('N/A', missing, empty). */
export function parseSeconds(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const t = Number(value);
  return Number.isFinite(t) ? t : null;
}

/** Input flags ffprobe (listing) and ffmpeg (decoding) share, so both see the same timestamps. */
export const GENPTS = ['-fflags', '+genpts'] as const;

/** Runs ffprobe with an argument array (no shell) and hands each stdout line to `onLine`. */
function ffprobeLines(ffprobePath: string, limits: MediaLimits, media: MediaInput, args: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnLimited(ffprobePath, [...inputOptions(media), ...args, media.input], limits, { cpu: false, wallClock: true }, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        onLine(line);
      } catch (err) {
        // A listener's throw would otherwise be an uncaught exception that takes the process down.
        child.kill('SIGKILL');
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new FfmpegMissingError('ffprobe', ffprobePath) : new UnreadableVideoError(`cannot run ffprobe (${ffprobePath}): ${err.message}`)),
    );
    child.on('close', (code, signal) => {
      const stopped = limitStopReason(signal, limits, 'ffprobe');
      const last = redactInput(stderr.trim().split('\n').at(-1) ?? '', media);
      if (stopped) reject(new UnreadableVideoError(`ffprobe could not list the frames: ${stopped}`));
      // A network input that breaks off mid-read can end as a clean EOF: its words tell, and the list would be short.
      else if (isUnreachable(media, stderr)) reject(new StorageUnavailableError('listing frames', new Error(last)));
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
export async function listFrameTimestamps(source: MediaInput | string, streamIndex: number, ffprobePath = 'ffprobe', limits: MediaLimits = NO_MEDIA_LIMITS): Promise<number[]> {
  const media = typeof source === 'string' ? mediaInput(source) : source;
  // +genpts: packets without a pts (AVI, MPEG-PS with B-frames) get one from their dts and the
  // stream's reordering, as the detector's ffmpeg (same flag) gives its frames.
  const select = ['-v', 'error', ...GENPTS, '-select_streams', String(streamIndex)];
  const fromPackets: number[] = [];
  let missing = 0;
  await ffprobeLines(ffprobePath, limits, media, [...select, '-show_entries', 'packet=pts_time,flags', '-of', 'compact'], (line) => {
    const packet = parseCompactLine(line, 'packet');
    if (!packet || (packet.flags ?? '').includes('D')) return;
    const t = parseSeconds(packet.pts_time);
    if (t === null) missing++;
    else fromPackets.push(t);
  });
  if (missing === 0) return fromPackets.sort((a, b) => a - b);

  // Some packets still carry no pts: decode and take each frame's best-effort timestamp, which is
  // what ffmpeg's `t` is when the detector selects frames.
  const fromFrames: number[] = [];
  await ffprobeLines(ffprobePath, limits, media, [...select, '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'compact'], (line) => {
    const frame = parseCompactLine(line, 'frame');
    if (!frame) return;
    const t = parseSeconds(frame.best_effort_timestamp_time);
    if (t === null) throw new UnreadableVideoError('the video stream has frames without timestamps');
    fromFrames.push(t);
  });
  return fromFrames.sort((a, b) => a - b);
}
