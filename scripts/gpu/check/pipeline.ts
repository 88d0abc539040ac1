import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedis } from '@video-detect/shared';
import { ServiceStack } from '../../bench/service-stack.js';
import type { Tools } from './media-frames.js';
import { note, report } from './report.js';

/** One way of running the detectors, timed through the whole stack. */
export interface PipelineSetup {
  name: string;
  detectors: number;
  /** Environment of each detector process (provider, model, batch, threads, concurrency). */
  env: Record<string, string>;
  /** The inference-only rate this setup should approach, for the ratio; null = none measured. */
  inferenceOnlyFps: number | null;
  /** Reported as they are beside the figures. */
  context?: Record<string, unknown>;
}

export interface PipelineOptions {
  /** Folder holding services/<name>/dist/main.js (the repository, or the GPU bundle). */
  root: string;
  model: string;
  /** A short video that warms every detector before timing, and the long one that is timed. */
  warmupVideo: string;
  video: string;
  /** The timed video is `video` played this many times over (stream copy), so a fast GPU runs long enough to measure. */
  repeat: number;
  chunkFrames: number;
  /** Longest a setup may take on the timed video before it is reported as too slow, seconds. */
  timeoutSeconds: number;
  setups: PipelineSetup[];
  redisServer: string;
  tools: Tools;
}

/** CPU seconds of a process (its threads) and of its children that have exited (ffmpeg), from /proc. */
function cpuSeconds(pid: number): { self: number; children: number } {
  try {
    // Fields after the command name (which may hold spaces): utime is the 12th, then stime, cutime, cstime.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').map(Number);
    const tick = 100;
    return { self: (fields[11]! + fields[12]!) / tick, children: (fields[13]! + fields[14]!) / tick };
  } catch {
    return { self: NaN, children: NaN };
  }
}

/** GPU utilisation (%) sampled every 100 ms by nvidia-smi while `run` runs; null without nvidia-smi. */
async function withGpuSampling<T>(run: () => Promise<T>): Promise<{ result: T; gpuUtil: number | null }> {
  const samples: number[] = [];
  const smi = spawn('nvidia-smi', ['--query-gpu=utilization.gpu', '--format=csv,noheader,nounits', '-lms', '100'], { stdio: ['ignore', 'pipe', 'ignore'] });
  smi.on('error', () => undefined);
  smi.stdout.on('data', (d: Buffer) => samples.push(...d.toString().split('\n').filter(Boolean).map(Number)));
  try {
    const result = await run();
    return { result, gpuUtil: samples.length ? +(samples.reduce((a, b) => a + b, 0) / samples.length).toFixed(1) : null };
  } finally {
    smi.kill();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A private, memory-only Redis for the run (BullMQ's required eviction policy). */
async function startRedis(redisServer: string, port: number): Promise<ChildProcess> {
  const child = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  const client = createRedis(`redis://127.0.0.1:${port}`, 'request', { lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    for (let i = 0; i < 100; i++) {
      if ((await client.connect().then(() => client.ping()).catch(() => null)) === 'PONG') return child;
      client.disconnect();
      await sleep(50);
    }
  } finally {
    client.disconnect();
  }
  child.kill();
  throw new Error(`redis-server did not start on port ${port}`);
}

/**
 * The real services (API, processor, detectors as separate processes, a private Redis) on one
 * long video per setup: frames per second from the upload request to the API's `completed_at`,
 * the video checked complete and recorded with the provider that ran it.
 */
export async function checkPipeline(o: PipelineOptions): Promise<void> {
  const storage = mkdtempSync(path.join(tmpdir(), 'vd-gpu-pipeline-'));
  // Matroska: stream copy of any codec, and a muxer the carried minimal ffmpeg has.
  const long = path.join(storage, `long-${path.parse(o.video).name}.mkv`);
  const made = spawnSync(o.tools.ffmpeg, ['-v', 'error', '-y', '-stream_loop', String(o.repeat - 1), '-i', o.video, '-map', '0:v:0', '-c', 'copy', long], { encoding: 'utf8' });
  const timed = made.status === 0 ? long : o.video;
  if (made.status !== 0) note(`could not make the long video (${made.error?.message ?? made.stderr.trim()}); timing ${o.video} itself`);

  const redisPort = await freePort();
  const redis = await startRedis(o.redisServer, redisPort);
  const env = {
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    REDIS_PREFIX: `gpu-${randomUUID().slice(0, 8)}`,
    VIDEO_STORAGE_DIR: storage,
    MODEL_PATH: o.model,
    FFMPEG_PATH: o.tools.ffmpeg,
    FFPROBE_PATH: o.tools.ffprobe,
    JWT_SECRET: randomUUID() + randomUUID(),
    RATE_LIMIT_MAX: '1000000',
  };
  const stack = new ServiceStack(o.root, env, await freePort());
  try {
    stack.start('api');
    await stack.waitReady();
    await stack.login();
    for (const setup of o.setups) {
      stack.start('processor', { CHUNK_FRAMES: String(o.chunkFrames) });
      for (let i = 0; i < setup.detectors; i++) stack.start('detector', setup.env);
      try {
        const warm = await stack.waitForEnd(await stack.upload(o.warmupVideo), 200);
        if (warm.status !== 'completed') throw new Error(`warm-up video ${warm.status}: ${JSON.stringify(warm.error)}`);
        const pids = stack.pidsOf('detector');
        const before = pids.map(cpuSeconds);
        const started = Date.now();
        const { result: done, gpuUtil } = await withGpuSampling(async () => {
          const id = await stack.upload(timed);
          const stop = new AbortController();
          const timer = sleep(o.timeoutSeconds * 1000, undefined, { signal: stop.signal }).then(
            () => Promise.reject(new Error(`not done after ${o.timeoutSeconds} s (video ${id})`)),
            () => new Promise<never>(() => undefined), // cancelled: the video ended first
          );
          try {
            return await Promise.race([stack.waitForEnd(id, 250), timer]);
          } finally {
            stop.abort();
          }
        });
        const after = pids.map(cpuSeconds);
        if (done.status !== 'completed' || !done.completed_at) throw new Error(`video ${done.status}: ${JSON.stringify(done.error)}`);
        const id = done.id;
        const seconds = (Date.parse(done.completed_at) - started) / 1000;
        const frames = done.progress.frames_total ?? 0;
        const fps = frames / seconds;
        // Where the detectors' CPU went, per frame: their own threads (decode hand-off, letterbox,
        // session.run, NMS) and their ffmpeg children.
        const spent = (k: 'self' | 'children') => after.reduce((sum, a, i) => sum + a[k] - before[i]![k], 0);
        const provider = (done as { model?: { execution_provider?: string } }).model?.execution_provider ?? null;
        report({
          check: 'pipeline',
          setup: setup.name,
          detectors: setup.detectors,
          env: setup.env,
          chunk_frames: o.chunkFrames,
          frames,
          seconds: +seconds.toFixed(2),
          fps: +fps.toFixed(1),
          detector_cpu_ms_per_frame: +((spent('self') / frames) * 1000).toFixed(2),
          ffmpeg_cpu_ms_per_frame: +((spent('children') / frames) * 1000).toFixed(2),
          gpu_util_percent: gpuUtil,
          recorded_provider: provider,
          inference_only_fps: setup.inferenceOnlyFps,
          ...setup.context,
          ratio: setup.inferenceOnlyFps ? +(fps / setup.inferenceOnlyFps).toFixed(3) : null,
        });
        await stack.delete(id);
      } catch (err) {
        report({ check: 'pipeline', setup: setup.name, error: (err as Error).message });
      } finally {
        await stack.stop('detector');
        await stack.stop('processor');
      }
    }
  } finally {
    await stack.stop();
    redis.kill();
    rmSync(storage, { recursive: true, force: true });
  }
}
