/**
 * `npm run bench`: what distribution costs, measured against a bare single-process loop on the
 * same machine. Prints one JSON line per figure (median, min, max of --runs runs); notes on stderr.
 *
 *   npm run bench -- [--video FILE] [--model FILE.onnx] [--runs 3] [--chunk-sizes 32,128,512]
 *                    [--only baseline,inference,pipeline,sweep,rss,tracking,reanalysis,reads,uploads,objectstore,renders,exports,fairness] [--minutes 10,60]
 *                    [--read-connections 10,50,100,200] [--read-seconds 10] [--worker-nice 10] [--uploads 50] [--export-minutes 60]
 *                    [--fair-minutes 20] [--prometheus-targets FILE]
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AnalysisStore, createRedis, JobProducer, loadConfig, redisKeys, serviceNodeFlags, VideoStatus, VideoStore } from '@video-detect/shared';
import { detectFile, InferenceClient } from '@video-detect/detector';
import { readLoad, uploadBurst } from './bench/api-load.js';
import { benchFairness } from './bench/fairness.js';
import { emit, figure, note, type Figure } from './bench/figures.js';
import { makeLongVideo, measureObjectStoreReads } from './bench/object-store-reads.js';
import { ServiceStack } from './bench/service-stack.js';
import { syntheticCrossings, syntheticObjectsPerFrame } from './bench/synthetic-video.js';
import { drawboxFilterSpeed, exportSpeed, probeSource, reencodeSpeed, renderEncoder, renderSpeed, type Speed } from './bench/outputs.js';
import { peakRssMb, storeSyntheticVideo, timeAnalysis, timeTrackingJob, trackAndCountMs } from './bench/tracking.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(repoRoot, '../shared');
const { values: args } = parseArgs({
  options: {
    video: { type: 'string', default: path.join(shared, 'media/bottle-detection.mp4') },
    model: { type: 'string', default: process.env.MODEL_PATH ?? path.join(shared, 'models/yolox_nano.onnx') },
    runs: { type: 'string', default: '3' },
    'chunk-sizes': { type: 'string', default: '32,128,512' },
    'export-minutes': { type: 'string', default: '60' },
    only: { type: 'string', default: 'baseline,inference,pipeline,sweep,rss,tracking,reanalysis,reads,uploads,objectstore,renders,exports,fairness' },
    minutes: { type: 'string', default: '10,60' },
    'read-connections': { type: 'string', default: '10,50,100,200' },
    'read-seconds': { type: 'string', default: '10' },
    uploads: { type: 'string', default: '50' },
    'worker-nice': { type: 'string', default: '10' },
    // The fairness section: user A's long video, and a file_sd targets file for a Prometheus watching the run.
    'fair-minutes': { type: 'string', default: '20' },
    'prometheus-targets': { type: 'string' },
  },
});
const video = path.resolve(args.video);
const model = path.resolve(args.model);
const runs = Math.max(1, Number(args.runs));
const sections = new Set(args.only.split(','));
const context = { video: path.basename(video), model: path.basename(model), cpus: availableParallelism() };

/**
 * The pipeline configurations compared. One detector runs ONNX Runtime's default threads, like the
 * baseline, so their ratio isolates what the queue, Redis and merge cost; two detectors run one
 * thread each (the shipped default), the layout that uses a small model best.
 */
const detectorSetups: Array<{ detectors: number; threads: number }> = [
  { detectors: 1, threads: 0 },
  { detectors: 2, threads: 1 },
];

const config = loadConfig({ ...process.env, MODEL_PATH: model });
const stacks: ServiceStack[] = [];
const prefix = `bench-${randomUUID().slice(0, 8)}`;
const storage = mkdtempSync(path.join(tmpdir(), 'vd-bench-'));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function repeat(label: string, fn: () => Promise<number>): Promise<number[]> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) {
    values.push(await fn());
    note(`${label} run ${i + 1}/${runs}: ${values.at(-1)?.toFixed(2)}`);
  }
  return values;
}

/** 1. The bare loop: ffmpeg -> preprocess -> ONNX Runtime (its default threads) -> decode + NMS, no Redis. */
async function baselineFps(): Promise<Figure> {
  const client = await InferenceClient.start({ modelPath: model, executionProvider: 'cpu', deviceId: 0, intraOpThreads: 0, batchSize: 1 });
  const post = { scoreThreshold: config.detector.scoreThreshold, nmsIou: config.detector.nmsIou, maxPerFrame: config.detector.maxPerFrame, classIds: null, multiLabel: false };
  try {
    const values = await repeat('baseline_fps', async () => {
      const started = performance.now();
      const { frames } = await detectFile(client, video, { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', post });
      return frames.length / ((performance.now() - started) / 1000);
    });
    return figure(values);
  } finally {
    await client.close();
  }
}

/** 7. ONNX Runtime alone on pre-decoded tensors, in `processes` processes side by side. */
async function inferenceOnlyFps(processes: number, threads: number, seconds = 12): Promise<number> {
  const children = Array.from({ length: processes }, () =>
    spawn(process.execPath, [...serviceNodeFlags.detector, '--import', 'tsx', path.join(repoRoot, 'scripts/bench/inference-only.ts'), '--model', model, '--video', video, '--threads', String(threads), '--seconds', String(seconds)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const lines = children.map((c) => createInterface({ input: c.stdout })[Symbol.asyncIterator]());
  for (const l of lines) if ((await l.next()).value !== 'ready') throw new Error('inference-only worker failed to start');
  for (const c of children) c.stdin.write('go\n');
  let frames = 0;
  for (const l of lines) frames += (JSON.parse(String((await l.next()).value)) as { frames: number }).frames;
  return frames / seconds;
}

/** Sum of MEMORY USAGE over one finished video's keys and its jobs' keys, per analysed frame. */
async function redisBytesPerFrame(videoId: string, frames: number): Promise<{ bytes: number; keys: number }> {
  const redis = createRedis(config.redis.url, 'request');
  try {
    const patterns = [`${prefix}:video:${videoId}*`, `${redisKeys(prefix).bullPrefix}:*:${videoId}*`];
    let bytes = 0;
    let keys = 0;
    for (const pattern of patterns) {
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        for (const key of found) {
          bytes += Number(await redis.memory('USAGE', key, 'SAMPLES', '0'));
          keys++;
        }
      } while (cursor !== '0');
    }
    return { bytes: bytes / frames, keys };
  } finally {
    redis.disconnect();
  }
}

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

async function main(): Promise<void> {
  const port = await freePort();
  const env = {
    REDIS_URL: config.redis.url,
    REDIS_PREFIX: prefix,
    VIDEO_STORAGE_DIR: storage,
    MODEL_PATH: model,
    JWT_SECRET: randomUUID() + randomUUID(),
    // The reads below send tens of thousands of requests a minute from one address.
    RATE_LIMIT_MAX: '10000000',
  };
  const stack = new ServiceStack(repoRoot, env, port);
  stacks.push(stack);
  stack.start('api');
  await stack.waitReady();
  await stack.login();

  let baseline: Figure | null = null;
  if (sections.has('baseline')) {
    baseline = await baselineFps();
    emit('baseline_fps', baseline, { ...context, threads: 'default' });
  }

  const ceilings = new Map<number, Figure>();
  if (sections.has('inference')) {
    for (const { detectors, threads } of detectorSetups) {
      const f = figure(await repeat(`inference_only_fps ${detectors}x${threads || 'default'}`, () => inferenceOnlyFps(detectors, threads)));
      ceilings.set(detectors, f);
      emit('inference_only_fps', f, { ...context, processes: detectors, threads: threads || 'default', batch_size: 1 });
    }
  }

  /** Runs `video` through the whole stack `runs` times; returns fps and the last video's id. */
  async function pipelineFps(detectors: number, threads: number, chunkFrames: number): Promise<{ fps: Figure; lastId: string; frames: number }> {
    stack.start('processor', { CHUNK_FRAMES: String(chunkFrames) });
    for (let i = 0; i < detectors; i++) stack.start('detector', { DETECTOR_INTRA_OP_THREADS: String(threads) });
    // An untimed first video: the services are warm when timing starts, as in production.
    await stack.waitForEnd(await stack.upload(path.join(shared, 'media/friday.mp4')));
    let lastId = '';
    let frames = 0;
    const values = await repeat(`pipeline_fps ${detectors} detector(s), chunk ${chunkFrames}`, async () => {
      // Timed from the upload request to the `completed_at` the API reports (same machine, same
      // clock), so the end is exact without polling hard: polling 20 times a second cost the API
      // ~0.6 ms of CPU a frame, taken from the detectors it was timing.
      const started = Date.now();
      const id = await stack.upload(video);
      const done = await stack.waitForEnd(id, 500);
      if (done.status !== 'completed' || !done.completed_at) throw new Error(`video ${done.status}: ${JSON.stringify(done.error)}`);
      const seconds = (Date.parse(done.completed_at) - started) / 1000;
      if (!(seconds > 0)) throw new Error(`completed_at ${done.completed_at} is not after the upload started`);
      if (lastId) await stack.delete(lastId);
      lastId = id;
      frames = done.progress.frames_total ?? 0;
      return frames / seconds;
    });
    await stack.stop('detector');
    await stack.stop('processor');
    return { fps: figure(values), lastId, frames };
  }

  if (sections.has('pipeline')) {
    for (const { detectors, threads } of detectorSetups) {
      const { fps, lastId, frames } = await pipelineFps(detectors, threads, config.jobs.chunkFrames);
      const setup = { ...context, detectors, threads: threads || 'default', chunk_frames: config.jobs.chunkFrames };
      emit('pipeline_fps', fps, setup);
      if (baseline) {
        const b = baseline.median;
        emit('ratio', { median: +(fps.median / b).toFixed(3), min: +(fps.min / b).toFixed(3), max: +(fps.max / b).toFixed(3), runs: fps.runs }, { ...setup, baseline_fps: b });
      }
      const ceiling = ceilings.get(detectors);
      if (ceiling) {
        const c = ceiling.median;
        emit('limit_ratio', { median: +(fps.median / c).toFixed(3), min: +(fps.min / c).toFixed(3), max: +(fps.max / c).toFixed(3), runs: fps.runs }, { ...setup, inference_only_fps: c });
      }
      if (detectors === 1) {
        const { bytes, keys } = await redisBytesPerFrame(lastId, frames);
        emit('redis_bytes_per_frame', { median: Math.round(bytes), min: Math.round(bytes), max: Math.round(bytes), runs: 1 }, { ...context, keys, frames });
        // Sizing Redis (docs/deployment.md): an hour of 30 fps video kept with its results.
        const mbPerHour = +((bytes * 30 * 3600) / 1e6).toFixed(1);
        emit('redis_mb_per_video_hour_30fps', { median: mbPerHour, min: mbPerHour, max: mbPerHour, runs: 1 }, { ...context, bytes_per_frame: Math.round(bytes) });
      }
    }
  }

  if (sections.has('sweep')) {
    const { detectors, threads } = detectorSetups.at(-1)!;
    for (const size of args['chunk-sizes'].split(',').map(Number)) {
      const { fps } = await pipelineFps(detectors, threads, size);
      emit('pipeline_fps', fps, { ...context, detectors, threads, chunk_frames: size, sweep: true });
    }
  }

  if (sections.has('rss')) {
    // 1 GB of real video: a lossless 4 s clip, stream-copied over and over (seconds to make).
    const segment = path.join(storage, 'segment.mp4');
    const big = path.join(storage, 'upload-1gb.mp4');
    spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', segment]);
    spawnSync('ffmpeg', ['-v', 'error', '-y', '-stream_loop', '125', '-i', segment, '-c', 'copy', big]);
    const apiPid = stack.pidOf('api');
    const growth: number[] = [];
    const before: number[] = [];
    await stack.delete(await stack.upload(path.join(shared, 'media/friday.mp4'))); // warm the upload path
    for (let i = 0; i < runs; i++) {
      const start = rssMb(apiPid);
      let peak = start;
      const timer = setInterval(() => (peak = Math.max(peak, rssMb(apiPid))), 20);
      const id = await stack.upload(big);
      clearInterval(timer);
      peak = Math.max(peak, rssMb(apiPid));
      await stack.delete(id);
      before.push(start);
      growth.push(peak - start);
      note(`api_rss_growth_mb run ${i + 1}/${runs}: ${start.toFixed(1)} -> ${peak.toFixed(1)} MB`);
    }
    const bytes = Number(spawnSync('stat', ['-c', '%s', big], { encoding: 'utf8' }).stdout);
    emit('api_rss_growth_mb', figure(growth, 1), { upload_bytes: bytes, api_rss_before_mb: figure(before, 1).median });
    rmSync(big, { force: true });
  }

  if (sections.has('tracking')) {
    // Tracking and counting (a line and a zone) over the detections of the same video, against detecting it.
    const client = await InferenceClient.start({ modelPath: model, executionProvider: 'cpu', deviceId: 0, intraOpThreads: 0, batchSize: 1 });
    const post = { scoreThreshold: config.detector.scoreThreshold, nmsIou: config.detector.nmsIou, maxPerFrame: config.detector.maxPerFrame, classIds: null, multiLabel: false };
    const started = performance.now();
    const { frames, width, height } = await detectFile(client, video, { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', post });
    const detectMs = performance.now() - started;
    await client.close();
    trackAndCountMs(frames, { width, height }); // warm-up: the JIT, as in a running processor
    const ms = figure(await repeat('tracking_ms', async () => Promise.resolve(trackAndCountMs(frames, { width, height }))), 3);
    emit('tracking_ms', ms, { ...context, frames: frames.length, detect_ms: Math.round(detectMs) });
    const ratio = (x: number) => +(x / detectMs).toFixed(5);
    emit('tracking_cost_ratio', { median: ratio(ms.median), min: ratio(ms.min), max: ratio(ms.max), runs: ms.runs }, { ...context, target: '< 0.02' });
  }

  if (sections.has('reanalysis')) {
    // Stored detections of synthetic 30 fps videos (generated, written to Redis as the detectors
    // would), tracked and then analysed by a real processor process, whose memory is sampled. Its V8
    // heap is capped well below what an hour's frames would take held as objects (over 100 MB): the jobs
    // finish only if they stream.
    const benchConfig = loadConfig({ ...process.env, REDIS_PREFIX: prefix, MODEL_PATH: model });
    const redis = createRedis(config.redis.url, 'request');
    const videos = VideoStore.open(benchConfig, redis);
    const analyses = AnalysisStore.open(benchConfig, redis);
    const jobs = new JobProducer(benchConfig, redis);
    const heapCapMb = 64;
    stack.start('processor', { NODE_OPTIONS: `--max-old-space-size=${heapCapMb}` });
    const pid = stack.pidOf('processor');
    try {
      for (const minutes of args.minutes.split(',').map(Number)) {
        note(`writing a synthetic ${minutes}-minute 30 fps video to Redis`);
        const stored = await storeSyntheticVideo(videos, randomUUID(), minutes * 60, 30, benchConfig.jobs.chunkFrames);
        const setup = { minutes, fps: 30, frames: stored.layout.framesTotal, chunks: stored.layout.count };
        const rssBefore = rssMb(pid);
        const tracking = await peakRssMb(pid, () => timeTrackingJob(videos, jobs, stored));
        emit('tracking_job_s', figure([tracking.result]), setup);
        const peaks: number[] = [];
        let crossings = 0;
        const seconds = await repeat(`reanalysis_s ${minutes} min`, async () => {
          const run = await peakRssMb(pid, () => timeAnalysis(analyses, jobs, stored.id));
          peaks.push(run.peakMb);
          crossings = run.result.crossings;
          return run.result.seconds;
        });
        emit('reanalysis_s', figure(seconds), { ...setup, crossings, true_crossings: syntheticCrossings(minutes * 60), target: minutes === 60 ? '< 10' : undefined });
        emit('processor_peak_rss_mb', figure([tracking.peakMb, ...peaks], 1), { ...setup, before_mb: +rssBefore.toFixed(1), heap_cap_mb: heapCapMb });
        // Sizing Redis measured whole, not scaled from a short video: the results, tracks, analyses and jobs of this length.
        const { bytes, keys } = await redisBytesPerFrame(stored.id, stored.layout.framesTotal);
        const mb = +((bytes * stored.layout.framesTotal) / 1e6).toFixed(1);
        emit('redis_mb_synthetic_video', { median: mb, min: mb, max: mb, runs: 1 }, { ...setup, keys, bytes_per_frame: Math.round(bytes), objects_per_frame: +syntheticObjectsPerFrame(stored.layout.framesTotal).toFixed(2) });
        await videos.delete((await videos.get(stored.id))!);
      }
    } finally {
      await jobs.close();
      redis.disconnect();
    }
  }

  if (sections.has('renders')) {
    // Render speed of the video next to the floor: ffmpeg alone re-encoding it with the same x264
    // settings. Runs alternate, so both see the same machine load; CPU per frame (this process and
    // its ffmpeg children) is the steadier figure on a shared machine.
    const source = await probeSource(video);
    const encoder = renderEncoder();
    const out = (name: string) => path.join(storage, name);
    const renders: Speed[] = [];
    const floors: Speed[] = [];
    for (let i = 0; i < runs; i++) {
      floors.push(await reencodeSpeed(source, out('plain.mp4'), encoder));
      renders.push(await renderSpeed(source, out('render.mp4'), encoder));
      note(`render run ${i + 1}/${runs}: ${renders.at(-1)!.fps.toFixed(1)} fps, floor ${floors.at(-1)!.fps.toFixed(1)} fps`);
    }
    const setup = { ...context, frames: source.frames, size: `${source.width}x${source.height}`, preset: encoder.preset, crf: encoder.crf, boxes_per_frame: 6 };
    emit('render_fps', figure(renders.map((s) => s.fps), 1), setup);
    emit('reencode_floor_fps', figure(floors.map((s) => s.fps), 1), setup);
    emit('render_vs_floor', figure(renders.map((s, i) => s.fps / floors[i]!.fps), 2), { ...setup, target: '>= 0.7' });
    emit('render_cpu_ms_per_frame', figure(renders.map((s) => s.cpuMsPerFrame), 2), setup);
    emit('reencode_cpu_ms_per_frame', figure(floors.map((s) => s.cpuMsPerFrame), 2), setup);
    emit('render_vs_floor_cpu', figure(renders.map((s, i) => floors[i]!.cpuMsPerFrame / s.cpuMsPerFrame), 2), { ...setup, target: '>= 0.7' });
    const drawboxFrames = 150;
    const drawbox = await drawboxFilterSpeed(source, drawboxFrames, out('drawbox.mp4'), encoder, storage);
    emit('drawbox_filter_fps', figure([drawbox.fps], 1), { ...setup, frames: drawboxFrames, note: "ffmpeg drawbox, one filter per box with enable='eq(n,N)', boxes only" });
  }

  if (sections.has('exports')) {
    // A synthetic video's stored detections (about six boxes a frame, 30 fps) exported through the
    // API process in each format; its resident memory is sampled: it must not grow with the video.
    const benchConfig = loadConfig({ ...process.env, REDIS_PREFIX: prefix, MODEL_PATH: model });
    const redis = createRedis(config.redis.url, 'request');
    const videos = VideoStore.open(benchConfig, redis);
    const pid = stack.pidOf('api');
    try {
      for (const minutes of args['export-minutes'].split(',').map(Number)) {
        note(`writing a synthetic ${minutes}-minute 30 fps video to Redis`);
        const stored = await storeSyntheticVideo(videos, randomUUID(), minutes * 60, 30, benchConfig.jobs.chunkFrames);
        await videos.update(stored.id, { owner_id: stack.userId });
        await videos.finish(stored.id, { status: VideoStatus.Completed, summary: stored.merger.summary });
        const frames = stored.layout.framesTotal;
        const rssBefore = rssMb(pid);
        for (const format of ['jsonl', 'csv', 'mot', 'coco']) {
          const results: Array<{ speed: Speed; bytes: number }> = [];
          const peak = await peakRssMb(pid, async () => {
            for (let i = 0; i < runs; i++) results.push(await exportSpeed(stack.baseUrl, stack.authorization, stored.id, format, frames));
          });
          emit('export_fps', figure(results.map((r) => r.speed.fps), 0), { minutes, frames, format, mb: +(results[0]!.bytes / 1e6).toFixed(1), api_peak_rss_mb: +peak.peakMb.toFixed(1), api_rss_before_mb: +rssBefore.toFixed(1) });
        }
        await videos.delete((await videos.get(stored.id))!);
      }
    } finally {
      redis.disconnect();
    }
  }

  if (sections.has('objectstore')) {
    // STORAGE=s3: bytes each reader fetches from the store (presigned URLs, range requests), on the
    // bench video and on a 10-minute one where a chunk is a small part of the file.
    const long = path.join(storage, 'long-10min.mp4');
    makeLongVideo(long, 600);
    for (const r of await measureObjectStoreReads([video, long], config.jobs.chunkFrames)) {
      const setup = { video: r.file, file_bytes: r.fileBytes, chunks: r.chunks, chunk_frames: config.jobs.chunkFrames };
      emit('s3_chunk_read_share', r.chunkReadShare, setup);
      emit('s3_chunk_read_over_even_share', r.chunkReadOverEven, setup);
      emit('s3_chunk_sent_share', r.chunkSentShare, setup);
      emit('s3_probe_and_plan_bytes_share', figure([r.planShare], 3), { ...setup, api_probe_share: r.apiProbeShare });
    }
  }

  if (sections.has('uploads')) {
    // Its own API on an empty storage folder (so what is stored can be counted), with the default
    // limits but RATE_LIMIT_MAX=400: 40 uploads per user per minute, so a burst of 50 meets the limit.
    // Before the reads: their requests would count against this API's per-address limit (same Redis).
    const uploadStorage = mkdtempSync(path.join(tmpdir(), 'vd-bench-uploads-'));
    const uploadsApi = new ServiceStack(repoRoot, { ...env, NODE_ENV: 'production', VIDEO_STORAGE_DIR: uploadStorage, RATE_LIMIT_MAX: '400' }, await freePort());
    stacks.push(uploadsApi);
    const redis = createRedis(config.redis.url, 'request');
    const jobs = new JobProducer(loadConfig({ ...process.env, REDIS_PREFIX: prefix, MODEL_PATH: model }), redis);
    try {
      uploadsApi.start('api');
      await uploadsApi.waitReady();
      await uploadsApi.login(`bench-uploads-${process.pid}`);
      await uploadBurst(uploadsApi, uploadsApi.pidOf('api'), { file: path.join(shared, 'media/friday.mp4'), count: Number(args.uploads), storageDir: uploadStorage, jobs, uploadLimit: 40 });
    } finally {
      await uploadsApi.stop();
      await jobs.close();
      redis.disconnect();
      rmSync(uploadStorage, { recursive: true, force: true });
    }
  }

  if (sections.has('reads')) {
    // The shipped layout on this machine: one processor, one single-threaded detector per core.
    stack.start('processor');
    for (let i = 0; i < 2; i++) stack.start('detector', { DETECTOR_INTRA_OP_THREADS: '1' });
    // Workers below the API in CPU priority (docs/performance.md: reads stay fast while videos process).
    for (const pid of [...stack.pidsOf('processor'), ...stack.pidsOf('detector')]) setPriority(pid, Number(args['worker-nice']));
    const id = await stack.upload(video);
    const done = await stack.waitForEnd(id, 500);
    if (done.status !== 'completed') throw new Error(`video ${done.status}: ${JSON.stringify(done.error)}`);
    // As deployed: NODE_ENV=production skips the development check of every response body against its schema.
    await stack.stop('api');
    stack.start('api', { NODE_ENV: 'production', ...(process.env.BENCH_API_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS } : {}) });
    await stack.waitReady();
    await readLoad(stack, {
      apiPid: stack.pidOf('api'),
      videoId: id,
      framesTotal: done.progress.frames_total ?? 0,
      busyVideos: [path.join(shared, 'media/car-detection.mp4'), path.join(shared, 'media/one-by-one-person-detection.mp4')],
      connections: args['read-connections'].split(',').map(Number),
      seconds: Number(args['read-seconds']),
      targetRate: 200,
      workerNice: Number(args['worker-nice']),
    });
    await stack.delete(id);
    await stack.stop('detector');
    await stack.stop('processor');
  }

  if (sections.has('fairness')) {
    const detectors = detectorSetups.at(-1)!.detectors;
    await benchFairness({
      stack,
      shortVideo: path.join(shared, 'media/friday.mp4'),
      workDir: storage,
      minutes: Math.max(20, Number(args['fair-minutes'])),
      detectors,
      chunkFrames: config.jobs.chunkFrames,
      runs,
      metricsPorts: { processor: await freePort(), detectors: await Promise.all(Array.from({ length: detectors }, () => freePort())) },
      prometheusTargets: args['prometheus-targets'],
    });
  }

  await stack.stop();
}

try {
  await main();
} finally {
  // Services still running after a failure would outlive the bench.
  for (const running of stacks) await running.stop();
  const redis = createRedis(config.redis.url, 'request');
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
  rmSync(storage, { recursive: true, force: true });
}
