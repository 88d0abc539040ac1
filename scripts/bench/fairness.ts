import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { emit, figure, note } from './figures.js';
import type { ServiceStack } from './service-stack.js';

export interface FairnessSetup {
  stack: ServiceStack;
  /** The short video user B uploads (friday.mp4). */
  shortVideo: string;
  /** Where to write user A's generated long video. */
  workDir: string;
  minutes: number;
  detectors: number;
  chunkFrames: number;
  runs: number;
  /** Ports for the workers' metrics (0: any); with `prometheusTargets`, a file_sd file Prometheus can read. */
  metricsPorts: { processor: number; detectors: number[] };
  prometheusTargets?: string;
}

/** A long synthetic video (testsrc2, 320x240 at 10 fps): cheap to make and to decode, a chunk costs what the model costs. */
async function makeLongVideo(file: string, minutes: number): Promise<void> {
  // Not spawnSync: a blocked event loop lets the API's idle keep-alive sockets go stale under fetch.
  await promisify(execFile)('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10', '-t', String(minutes * 60), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', file]);
}

/** Seconds from the upload request to the `completed_at` the API reports (one machine, one clock). */
async function timeToCompleted(stack: ServiceStack, file: string, token: string): Promise<number> {
  const started = Date.now();
  const id = await stack.upload(file, {}, token);
  const done = await stack.waitForEnd(id, 100, token);
  if (done.status !== 'completed' || !done.completed_at) throw new Error(`video ${done.status}: ${JSON.stringify(done.error)}`);
  await stack.delete(id, token);
  return (Date.parse(done.completed_at) - started) / 1000;
}

/**
 * Fair scheduling, measured: user B's short video on an idle system, then while user A's long
 * video fills the detector queue. The target: B's time under load is at most twice its idle time
 * plus one chunk's duration (the chunk a detector may be in the middle of when B arrives).
 */
export async function benchFairness(s: FairnessSetup): Promise<void> {
  const { stack } = s;
  const longVideo = path.join(s.workDir, `long-${s.minutes}min.mp4`);
  note(`making a ${s.minutes}-minute video for user A`);
  await makeLongVideo(longVideo, s.minutes);

  stack.start('processor', { CHUNK_FRAMES: String(s.chunkFrames), WORKER_METRICS_PORT: String(s.metricsPorts.processor) });
  for (let i = 0; i < s.detectors; i++) stack.start('detector', { DETECTOR_INTRA_OP_THREADS: '1', WORKER_METRICS_PORT: String(s.metricsPorts.detectors[i] ?? 0) });
  if (s.prometheusTargets) {
    const host = (port: number) => `127.0.0.1:${port}`;
    const targets = [
      { targets: [host(stack.port)], labels: { job: 'api' } },
      { targets: [host(s.metricsPorts.processor)], labels: { job: 'processor' } },
      { targets: s.metricsPorts.detectors.map(host), labels: { job: 'detector' } },
    ];
    writeFileSync(s.prometheusTargets, `${JSON.stringify(targets, null, 2)}\n`);
  }
  const userB = await stack.login(`bench-b-${process.pid}`);
  const userA = await stack.login(`bench-a-${process.pid}`);

  // Warm (untimed), then B alone.
  await timeToCompleted(stack, s.shortVideo, userB);
  const idle = figure(await repeatRuns(s.runs, 'fairness idle', () => timeToCompleted(stack, s.shortVideo, userB)));

  const longId = await stack.upload(longVideo, {}, userA);
  let long = await stack.get(longId, userA);
  while (long.status === 'queued' || long.progress.chunks_total === null) {
    await sleep(200);
    long = await stack.get(longId, userA);
  }
  // A's rate with every detector busy on it: one chunk's duration is chunk frames / (rate / detectors).
  const framesTotal = long.progress.frames_total ?? 0;
  const chunkFramesOfA = framesTotal / (long.progress.chunks_total ?? 1);
  await sleep(5000);
  const before = { at: Date.now(), done: (await stack.get(longId, userA)).progress.frames_done };
  await sleep(15_000);
  const after = { at: Date.now(), done: (await stack.get(longId, userA)).progress.frames_done };
  const fpsA = (after.done - before.done) / ((after.at - before.at) / 1000);
  const chunkSeconds = chunkFramesOfA / (fpsA / s.detectors);
  note(`user A: ${framesTotal} frames in ${long.progress.chunks_total} chunks at ${fpsA.toFixed(1)} fps; one chunk ≈ ${chunkSeconds.toFixed(1)} s`);

  const loaded = figure(await repeatRuns(s.runs, 'fairness loaded', () => timeToCompleted(stack, s.shortVideo, userB)));
  const aLeft = await stack.get(longId, userA);
  if (aLeft.status !== 'processing') note(`user A's video ended (${aLeft.status}) before B's runs did: the loaded figure is not under load`);
  const fifoSeconds = (framesTotal - before.done) / fpsA;
  await stack.delete(longId, userA);

  const bound = 2 * idle.median + chunkSeconds;
  const context = { detectors: s.detectors, chunk_frames: s.chunkFrames, long_minutes: s.minutes, long_frames: framesTotal, short_video: path.basename(s.shortVideo) };
  emit('fairness_idle_s', idle, context);
  emit('fairness_loaded_s', loaded, { ...context, bound_s: +bound.toFixed(2), within_bound: loaded.max <= bound, first_in_first_out_estimate_s: Math.round(fifoSeconds) });
  emit('fairness_chunk_s', figure([chunkSeconds]), { ...context, long_fps: +fpsA.toFixed(1) });
  await stack.stop('detector');
  await stack.stop('processor');
}

async function repeatRuns(runs: number, label: string, fn: () => Promise<number>): Promise<number[]> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) {
    values.push(await fn());
    note(`${label} run ${i + 1}/${runs}: ${values.at(-1)?.toFixed(2)} s`);
  }
  return values;
}
