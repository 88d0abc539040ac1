/**
 * The GPU check (docs/performance.md, "GPU"): run on the GPU machine by scripts/gpu/check.sh from
 * the bundle scripts/gpu/pack.sh makes, and here on the CPU to test it. One JSON line per result.
 *
 *   node gpu-check.js [env] [agreement] [throughput] [pipeline] --root DIR [--providers webgpu,cuda] ...
 *
 * Stages: env (machine, tools, which providers start), agreement (GPU boxes vs CPU boxes on every
 * frame of every video), throughput (inference-only fps per provider, batch and threads; CPU with
 * 1..n single-threaded processes), pipeline (the real services on a long video, CPU detectors vs
 * GPU detectors in the best measured configuration).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { EXECUTION_PROVIDERS, serviceNodeFlags, type ExecutionProviderName, type WebGpuSettings } from '@video-detect/shared';
import { DetectionEngine, openOnnxSession } from '@video-detect/detector';
import { checkAgreement } from './check/agreement.js';
import type { Tools } from './check/media-frames.js';
import { checkPipeline, type PipelineSetup } from './check/pipeline.js';
import { report, note } from './check/report.js';
import { checkThroughput, runLoop, type LoopSpec, type ThroughputFigure } from './check/throughput.js';

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const numbers = (s: string) => list(s).map(Number);

/** Body of a timing thread or process (see check/throughput.ts). */
async function loopRole(): Promise<boolean> {
  if (!isMainThread && (workerData as { role?: string } | null)?.role === 'loop-thread') {
    const port = parentPort!;
    const go = new Promise<void>((resolve) => port.once('message', () => resolve()));
    try {
      const result = await runLoop((workerData as { spec: LoopSpec }).spec, () => port.postMessage({ type: 'ready' }), go);
      port.postMessage({ type: 'done', ...result });
    } catch (err) {
      port.postMessage({ type: 'error', error: (err as Error).message });
    }
    return true;
  }
  if (process.argv[2] === 'loop-process') {
    const spec = JSON.parse(process.argv[3] ?? '{}') as LoopSpec;
    const go = new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
    const result = await runLoop(spec, () => console.log('ready'), go);
    console.log(JSON.stringify(result));
    process.exit(0);
  }
  return false;
}

/** Which providers open the model and run it, and how long their start takes. */
async function checkEnv(model: string, providers: ExecutionProviderName[], webgpu: Partial<WebGpuSettings>, tools: Tools): Promise<ExecutionProviderName[]> {
  const firstLine = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim().split('\n')[0] : `unavailable (${r.error?.message ?? r.stderr.trim().split('\n')[0]})`;
  };
  report({
    check: 'env',
    node: process.version,
    cpus: availableParallelism(),
    cpu_model: cpus()[0]?.model,
    memory_gb: +(totalmem() / 2 ** 30).toFixed(1),
    gpu: firstLine('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader']),
    ffmpeg: firstLine(tools.ffmpeg, ['-hide_banner', '-version']),
    vk_icd: process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES ?? null,
  });
  const working: ExecutionProviderName[] = [];
  for (const provider of providers) {
    const started = performance.now();
    try {
      const engine = new DetectionEngine(await openOnnxSession({ modelPath: model, executionProvider: provider, deviceId: 0, webgpu, intraOpThreads: 0, batchSize: 1 }));
      const opened = performance.now();
      await engine.warmUp();
      report({ check: 'provider', provider, ok: true, open_ms: Math.round(opened - started), warm_up_ms: Math.round(performance.now() - opened) });
      await engine.release();
      working.push(provider);
    } catch (err) {
      report({ check: 'provider', provider, ok: false, error: (err as Error).message });
    }
  }
  return working;
}

/** Throughput figures from an earlier run's JSON lines. */
function readFigures(file: string): ThroughputFigure[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        const r = JSON.parse(line) as Record<string, unknown>;
        if (r.check !== 'throughput' || typeof r.fps !== 'number') return [];
        return [{ provider: r.provider as ExecutionProviderName, batch: Number(r.batch), processes: Number(r.processes ?? 1), threads: Number(r.threads ?? 1), fps: r.fps }];
      } catch {
        return [];
      }
    });
}

/** The best GPU configuration per provider, for the pipeline: fastest measured, smaller batch on ties. */
function bestOf(figures: ThroughputFigure[], provider: ExecutionProviderName): ThroughputFigure | null {
  const mine = figures.filter((f) => f.provider === provider);
  return mine.reduce<ThroughputFigure | null>((best, f) => (!best || f.fps > best.fps * 1.03 ? f : best), null);
}

async function main(): Promise<void> {
  const { values: a, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      root: { type: 'string', default: process.cwd() },
      model: { type: 'string' },
      'dynamic-model': { type: 'string' },
      media: { type: 'string' },
      providers: { type: 'string', default: 'webgpu' },
      batches: { type: 'string', default: '1,8,32' },
      'gpu-processes': { type: 'string', default: '1,2,4' },
      threads: { type: 'string', default: '2,4' },
      'cpu-processes': { type: 'string', default: '1,2,4,8,16' },
      seconds: { type: 'string', default: '3' },
      'max-frames': { type: 'string', default: '0' },
      'frame-stride': { type: 'string', default: '3' },
      'throughput-video': { type: 'string', default: 'one-by-one-person-detection.mp4' },
      'pipeline-video': { type: 'string', default: 'bottle-detection.mp4' },
      'warmup-video': { type: 'string', default: 'friday.mp4' },
      'pipeline-repeat': { type: 'string', default: '16' },
      'pipeline-gpu-detectors': { type: 'string', default: '1,2,4,8' },
      /** 0 leaves the CPU detectors' pipeline out (a GPU-only rerun). */
      'pipeline-cpu': { type: 'string', default: '1' },
      'pipeline-concurrency': { type: 'string', default: '4' },
      'chunk-frames': { type: 'string', default: '128' },
      'pipeline-timeout': { type: 'string', default: '45' },
      'webgpu-validation': { type: 'string', default: 'basic' },
      'webgpu-layout': { type: 'string', default: 'NHWC' },
      ffmpeg: { type: 'string', default: 'ffmpeg' },
      ffprobe: { type: 'string', default: 'ffprobe' },
      'redis-server': { type: 'string', default: 'redis-server' },
      /** Results of an earlier throughput stage (JSON lines), when the pipeline runs on its own. */
      figures: { type: 'string' },
    },
  });
  const stages = new Set(positionals.length ? positionals : ['env', 'agreement', 'throughput', 'pipeline']);
  const root = path.resolve(a.root);
  const model = path.resolve(a.model ?? path.join(root, 'models/yolox_nano.onnx'));
  const dynamicModel = a['dynamic-model'] ? path.resolve(a['dynamic-model']) : null;
  const media = path.resolve(a.media ?? path.join(root, 'media'));
  const videos = readdirSync(media)
    .filter((f) => /\.(mp4|mov|webm|mkv)$/i.test(f))
    .sort()
    .map((f) => path.join(media, f));
  const tools: Tools = { ffmpeg: a.ffmpeg, ffprobe: a.ffprobe };
  const webgpu = { validationMode: a['webgpu-validation'], preferredLayout: a['webgpu-layout'] } as Partial<WebGpuSettings>;
  const asked = list(a.providers).filter((p): p is ExecutionProviderName => (EXECUTION_PROVIDERS as readonly string[]).includes(p) && p !== 'cpu');
  const seconds = Number(a.seconds);

  let providers = asked;
  if (stages.has('env')) providers = await checkEnv(model, asked, webgpu, tools);
  if (stages.has('agreement')) {
    note(`agreement: ${videos.length} videos, cpu vs ${providers.join(', ') || 'nothing'}`);
    await checkAgreement({ model, videos, providers, webgpu, tools, maxFrames: Number(a['max-frames']) || null, stride: Math.max(1, Number(a['frame-stride'])) });
  }
  let figures: ThroughputFigure[] = [];
  if (stages.has('throughput')) {
    note('throughput');
    figures = await checkThroughput({
      entry: new URL(import.meta.url),
      model,
      dynamicModel,
      video: path.join(media, a['throughput-video']),
      providers,
      webgpu,
      batches: numbers(a.batches),
      gpuProcesses: numbers(a['gpu-processes']),
      threads: numbers(a.threads),
      cpuProcesses: numbers(a['cpu-processes']),
      webgpuVariants: [
        { validationMode: webgpu.validationMode === 'disabled' ? 'basic' : 'disabled' },
        { preferredLayout: webgpu.preferredLayout === 'NCHW' ? 'NHWC' : 'NCHW' },
        { storageBufferCacheMode: 'simple' },
      ],
      seconds,
      tools,
      detectorNodeFlags: serviceNodeFlags.detector,
    });
  }
  if (stages.has('pipeline')) {
    note('pipeline');
    if (figures.length === 0 && a.figures) figures = readFigures(a.figures);
    const cpuCount = availableParallelism();
    const cpuCeiling = figures.find((f) => f.provider === 'cpu' && f.processes === cpuCount)?.fps ?? null;
    const setups: PipelineSetup[] =
      a['pipeline-cpu'] === '0'
        ? []
        : [{ name: `cpu x${cpuCount}`, detectors: cpuCount, env: { DETECTOR_EXECUTION_PROVIDER: 'cpu', DETECTOR_INTRA_OP_THREADS: '1' }, inferenceOnlyFps: cpuCeiling }];
    for (const provider of providers) {
      // The fastest batch measured; the detector processes sharing the GPU are varied here, since
      // each also decodes, letterboxes and post-processes on the CPU.
      const best = bestOf(figures, provider) ?? { provider, batch: 1, processes: 1, threads: 1, fps: NaN };
      const ceiling = (detectors: number) => figures.filter((f) => f.provider === provider && f.batch === best.batch && f.processes === detectors)[0]?.fps ?? best.fps;
      for (const detectors of numbers(a['pipeline-gpu-detectors'])) {
        for (const concurrency of numbers(a['pipeline-concurrency'])) {
          setups.push({
            name: `${provider} x${detectors}, batch ${best.batch}, concurrency ${concurrency}`,
            detectors,
            env: {
              DETECTOR_EXECUTION_PROVIDER: provider,
              MODEL_PATH: best.batch > 1 && dynamicModel ? dynamicModel : model,
              DETECTOR_BATCH_SIZE: String(best.batch),
              DETECTOR_CONCURRENCY: String(concurrency),
              DETECTOR_WEBGPU_VALIDATION: webgpu.validationMode ?? 'basic',
              DETECTOR_WEBGPU_LAYOUT: webgpu.preferredLayout ?? 'NHWC',
            },
            // The target compares with the GPU's best inference-only rate; the same layout's is beside it.
            inferenceOnlyFps: Number.isFinite(best.fps) ? best.fps : null,
            context: { inference_only_fps_same_layout: Number.isFinite(ceiling(detectors)) ? +ceiling(detectors).toFixed(1) : null },
          });
        }
      }
    }
    await checkPipeline({
      root,
      model,
      warmupVideo: path.join(media, a['warmup-video']),
      video: path.join(media, a['pipeline-video']),
      repeat: Number(a['pipeline-repeat']),
      chunkFrames: Number(a['chunk-frames']),
      timeoutSeconds: Number(a['pipeline-timeout']),
      setups,
      redisServer: a['redis-server'],
      tools,
    });
  }
}

if (!(await loopRole())) {
  await main();
  // Inference threads and sessions may keep handles open; the check is done.
  process.exit(0);
}
