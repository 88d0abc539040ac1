import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { limitStopReason, NO_MEDIA_LIMITS, probeVideo, spawnLimited, UnreadableVideoError, type MediaLimits } from '@video-detect/shared';

/** Runs a limited ffmpeg to its end: exit code, signal, stderr's tail, CPU-ish wall time. */
function runLimited(args: string[], limits: MediaLimits): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawnLimited('ffmpeg', ['-v', 'error', '-nostdin', ...args], limits, { cpu: true, wallClock: false }, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stderr, ms: Date.now() - started })));
}

describe('ffmpeg and ffprobe run under limits (one file cannot take a node down)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vd-media-limits-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('CPU: a decode that runs past FFMPEG_MAX_CPU_SECONDS is stopped by the kernel (SIGXCPU)', async () => {
    // Minutes of 1080p x264 encoding if left alone (one thread: gentle on a shared CI machine).
    const result = await runLimited(['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-t', '600', '-threads', '1', '-c:v', 'libx264', '-preset', 'medium', '-f', 'null', '-'], { ...NO_MEDIA_LIMITS, cpuSeconds: 1 });
    assert.equal(result.signal, 'SIGKILL', JSON.stringify(result));
    assert.ok(result.ms < 30_000, `stopped after ${result.ms} ms`);
    assert.match(limitStopReason(result.signal, { ...NO_MEDIA_LIMITS, cpuSeconds: 1 }, 'ffmpeg') ?? '', /FFMPEG_MAX_CPU_SECONDS \(1 s of CPU\)/);
  });

  it('memory: a filter that buffers every 4K frame fails at FFMPEG_MAX_MEMORY_MB instead of eating the machine', async () => {
    // `reverse` keeps all 100 frames (about 1.2 GB) before writing one.
    const args = ['-f', 'lavfi', '-i', 'testsrc=size=3840x2160:rate=10', '-t', '10', '-vf', 'reverse', '-f', 'null', '-'];
    const limited = await runLimited(args, { ...NO_MEDIA_LIMITS, memoryMb: 256 });
    // ffmpeg 5.1 ends the input there (exit 0): the detector then sees too few frames and fails the chunk with this message.
    assert.match(limited.stderr, /Cannot allocate memory/, JSON.stringify(limited));
    assert.ok(limited.ms < 30_000);
  });

  it('wall clock: an ffprobe that hangs (a pipe nobody writes) is killed after FFPROBE_TIMEOUT_SECONDS and the upload is refused with the reason', async () => {
    const fifo = path.join(dir, 'never.mp4');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const started = Date.now();
    await assert.rejects(probeVideo(fifo, 'ffprobe', { ...NO_MEDIA_LIMITS, probeTimeoutSeconds: 1 }), (err: unknown) => err instanceof UnreadableVideoError && /FFPROBE_TIMEOUT_SECONDS \(1 s\)/.test(err.message));
    assert.ok(Date.now() - started < 10_000);
  });

  it('the defaults leave ordinary work alone', async () => {
    const result = await runLimited(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '2', '-f', 'null', '-'], { memoryMb: 2048, cpuSeconds: 600, probeTimeoutSeconds: 300 });
    assert.deepEqual([result.code, result.signal], [0, null], result.stderr);
  });
});
