import type { ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { FfmpegMissingError, StorageFullError } from '../failures.js';
import { NO_MEDIA_LIMITS, spawnLimited, type MediaLimits } from '../media-limits.js';

/** Seconds as plain decimals (never exponent notation, which ffmpeg's expressions would misread). */
export function ffmpegSeconds(t: number): string {
  return t.toFixed(9).replace(/0+$/, '').replace(/\.$/, '');
}

/** ffmpeg exited with an error; `stderr` is the tail of what it said. */
export class FfmpegError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`ffmpeg exited with ${exitCode}: ${stderr || 'no message'}`);
    this.name = 'FfmpegError';
  }
}

/**
 * ffmpeg reports a failed write only as text: strerror(ENOSPC) or strerror(EDQUOT) (glibc's and
 * musl's wording) in its error line. The one place that text is read; everything after branches on
 * StorageFullError.
 */
const NO_SPACE = /No space left on device|Disk quota exceeded/i;

/** The error for an ffmpeg that exited with `exitCode`: StorageFullError when it could not write for want of space. */
export function ffmpegExitError(exitCode: number | null, stderr: string): Error {
  const noSpace = stderr.split(/ \| |\n/).find((line) => NO_SPACE.test(line));
  return noSpace ? new StorageFullError('ffmpeg could not write its output file', noSpace.trim()) : new FfmpegError(exitCode, stderr);
}

/**
 * One ffmpeg process, spawned with an argument array (nothing reaches a shell), its stderr tail kept
 * for the error message. `done` settles when it exits: rejected with FfmpegError (FfmpegMissingError,
 * or StorageFullError when its output's disk is full) unless it exited 0.
 */
export class FfmpegProcess {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly done: Promise<void>;
  private stderr = '';

  /** `limits`: its memory (FFMPEG_MAX_MEMORY_MB); no CPU or wall-clock limit, a render of a long video takes long. */
  constructor(ffmpegPath: string, args: string[], limits: MediaLimits = NO_MEDIA_LIMITS) {
    this.child = spawnLimited(ffmpegPath, ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], limits, { cpu: false, wallClock: false }, { stdio: ['pipe', 'pipe', 'pipe'] }) as ChildProcessByStdio<Writable, Readable, Readable>;
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-4000);
    });
    // A consumer that stops early closes the pipe: ffmpeg then exits on its own (EPIPE), which `kill` expects.
    this.child.stdin.on('error', () => undefined);
    this.done = new Promise((resolve, reject) => {
      this.child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new FfmpegMissingError('ffmpeg', ffmpegPath) : err));
      this.child.on('close', (code) => (code === 0 ? resolve() : reject(ffmpegExitError(code, this.stderrTail()))));
    });
    this.done.catch(() => undefined);
  }

  stderrTail(lines = 6): string {
    return this.stderr.trim().split('\n').slice(-lines).join(' | ');
  }

  /**
   * Writes to stdin; waits only while more than `aheadBytes` are queued, so ffmpeg always has the
   * next frames at hand (waiting for each frame to drain would serialise the producer and ffmpeg),
   * yet a slow ffmpeg still slows the writer instead of letting the queue grow without bound.
   */
  async write(data: Uint8Array, aheadBytes = 0): Promise<void> {
    this.child.stdin.write(data);
    try {
      while (this.child.stdin.writableLength > aheadBytes && this.child.exitCode === null) await Promise.race([once(this.child.stdin, 'drain'), this.done]);
    } catch (err) {
      // A closed pipe (EPIPE, which `once` rejects with) means ffmpeg stopped: its exit says why (a full disk, a bad input).
      await this.done;
      throw err;
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * Reads exactly `frameBytes` at a time from a stream: each yielded Buffer is one whole frame of
 * its own (the consumer may keep it). A short tail is an error of the producer's (reported by its exit).
 */
export async function* fixedSizeFrames(stream: Readable, frameBytes: number, framesAhead = 4): AsyncGenerator<Buffer> {
  // Buffered a few frames deep, so the producer (an ffmpeg decoder) keeps decoding while the consumer works on a frame.
  const buffered = stream.pipe(new PassThrough({ highWaterMark: frameBytes * framesAhead }));
  let frame = Buffer.allocUnsafe(frameBytes);
  let filled = 0;
  for await (const chunk of buffered as AsyncIterable<Buffer>) {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(frameBytes - filled, chunk.length - offset);
      chunk.copy(frame, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === frameBytes) {
        yield frame;
        frame = Buffer.allocUnsafe(frameBytes);
        filled = 0;
      }
    }
  }
}
