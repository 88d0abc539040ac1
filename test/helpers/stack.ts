import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { serviceNodeArgs, type FrameResult } from '@video-detect/shared';
import { startTestApi, type TestApi } from './api-client.js';
import { repoRoot } from './test-env.js';

export interface VideoBody {
  id: string;
  status: string;
  progress: { frames_total: number | null; frames_done: number; chunks_total: number | null; chunks_done: number };
  video: { width: number; height: number; frame_count: number | null; fps: number | null; rotation: number } | null;
  summary: Record<string, { frames: number; max_score: number; tracks?: number }> | null;
  error: { code: string; message: string } | null;
  model: { name: string; input_size: number[] } | null;
}

/**
 * The whole product for end-to-end tests: the real API app (in-process, no port), and the
 * processor and detectors as real child processes running the built services, all on the real
 * Redis under a private prefix.
 */
export class TestStack {
  readonly processes: ChildProcess[] = [];
  private readonly logs: string[] = [];
  authorization = '';

  private constructor(readonly api: TestApi) {}

  static async start(overrides: Record<string, string> = {}): Promise<TestStack> {
    const stack = new TestStack(await startTestApi(overrides));
    stack.authorization = (await stack.api.login('e2e-user')).authorization;
    return stack;
  }

  /** Starts a service process (`processor` or `detector`) from its build. */
  spawnService(name: 'processor' | 'detector', extraEnv: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, serviceNodeArgs(name, repoRoot), {
      cwd: repoRoot,
      // Several workers on one host: each takes any free metrics port unless the test names one.
      env: { ...process.env, ...this.api.env.vars, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn', WORKER_METRICS_PORT: '0', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      this.logs.push(...d.toString().split('\n').filter(Boolean).map((l) => `[${name} ${child.pid}] ${l}`));
      this.logs.splice(0, Math.max(0, this.logs.length - 200));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.processes.push(child);
    return child;
  }

  /** Waits until `count` workers are connected to the queue (each service registers once warm). */
  async waitForWorkers(queue: 'processor' | 'detector', count: number, timeoutMs = 60_000): Promise<void> {
    const q = this.api.ctx.jobs.queues[queue];
    const deadline = Date.now() + timeoutMs;
    while ((await q.getWorkersCount()) < count) {
      if (Date.now() > deadline) throw new Error(`only ${await q.getWorkersCount()} ${queue} worker(s) after ${timeoutMs} ms\n${this.recentLogs()}`);
      await sleep(200);
    }
  }

  recentLogs(): string {
    return this.logs.slice(-40).join('\n');
  }

  async upload(file: string, fields: Record<string, string> = {}): Promise<VideoBody> {
    const req = this.api.http().post('/api/v1/videos').set('authorization', this.authorization);
    for (const [k, v] of Object.entries(fields)) req.field(k, v);
    const res = await req.attach('video', file);
    if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as VideoBody;
  }

  async get(id: string): Promise<VideoBody> {
    return (await this.api.http().get(`/api/v1/videos/${id}`).set('authorization', this.authorization).expect(200)).body as VideoBody;
  }

  /** Polls until the video leaves queued/processing. */
  async waitForEnd(id: string, timeoutMs: number, onPoll?: (v: VideoBody) => void | Promise<void>): Promise<VideoBody> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const video = await this.get(id);
      await onPoll?.(video);
      if (video.status !== 'queued' && video.status !== 'processing') return video;
      if (Date.now() > deadline) throw new Error(`video ${id} still ${video.status} after ${timeoutMs} ms: ${JSON.stringify(video.progress)}\n${this.recentLogs()}`);
      await sleep(250);
    }
  }

  /** Every frame of /detections, following next_offset. */
  async allFrames(id: string, limit = 400): Promise<FrameResult[]> {
    const frames: FrameResult[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const res = await this.api.http().get(`/api/v1/videos/${id}/detections?offset=${offset}&limit=${limit}`).set('authorization', this.authorization).expect(200);
      const page = res.body as { frames: FrameResult[]; next_offset: number | null };
      frames.push(...page.frames);
      offset = page.next_offset;
    }
    return frames;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.processes.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGTERM');
            setTimeout(() => p.kill('SIGKILL'), 20_000).unref();
          }),
      ),
    );
    await this.api.close();
  }
}

/** Frames ffmpeg actually decodes from the video stream (`-count_frames`), independent of our code. */
export function countDecodedFrames(file: string): number {
  const out = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  const n = Number.parseInt(out.stdout.trim(), 10);
  if (!Number.isFinite(n)) throw new Error(`ffprobe could not count frames of ${file}: ${out.stderr}`);
  return n;
}
