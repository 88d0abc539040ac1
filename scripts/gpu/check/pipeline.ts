import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
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
  setups: PipelineSetup[];
  redisServer: string;
  tools: Tools;
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
  const long = path.join(storage, `long-${path.basename(o.video)}`);
  const made = spawnSync(o.tools.ffmpeg, ['-v', 'error', '-y', '-stream_loop', String(o.repeat - 1), '-i', o.video, '-map', '0:v:0', '-c', 'copy', long], { encoding: 'utf8' });
  const timed = made.status === 0 ? long : o.video;
  if (made.status !== 0) note(`could not make the long video (${made.stderr.trim()}); timing ${o.video} itself`);

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
        const started = Date.now();
        const id = await stack.upload(timed);
        const done = await stack.waitForEnd(id, 250);
        if (done.status !== 'completed' || !done.completed_at) throw new Error(`video ${done.status}: ${JSON.stringify(done.error)}`);
        const seconds = (Date.parse(done.completed_at) - started) / 1000;
        const frames = done.progress.frames_total ?? 0;
        const fps = frames / seconds;
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
          recorded_provider: provider,
          inference_only_fps: setup.inferenceOnlyFps,
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
