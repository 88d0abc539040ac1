import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ExecutionProviderName, WebGpuSettings } from '@video-detect/shared';
import { computeLetterbox, DetectionEngine, openOnnxSession } from '@video-detect/detector';
import { prepareTensors, runInferenceLoop } from '../../bench/inference-loop.js';
import type { Tools } from './media-frames.js';
import { sampleFrames } from './media-frames.js';
import { note, report } from './report.js';

/** What one inference thread or process needs to time session.run(). */
export interface LoopSpec {
  model: string;
  provider: ExecutionProviderName;
  webgpu: Partial<WebGpuSettings>;
  /** ONNX Runtime intra-op threads (CPU); 0 = its default. */
  intraOpThreads: number;
  batch: number;
  seconds: number;
  video: string;
  tools: Tools;
}

/** Loads the model, prepares tensors from real frames and warms up: ready to time. */
async function prepareLoop(spec: LoopSpec) {
  const engine = new DetectionEngine(
    await openOnnxSession({ modelPath: spec.model, executionProvider: spec.provider, deviceId: 0, webgpu: spec.webgpu, intraOpThreads: spec.intraOpThreads, batchSize: spec.batch }),
  );
  if (engine.model.batchSize !== spec.batch) throw new Error(`${spec.model} runs batch ${engine.model.batchSize}, not ${spec.batch}`);
  const { family, inputSize } = engine.model.format;
  const { width, height, frames } = await sampleFrames(spec.video, family, spec.tools, 32);
  const tensors = prepareTensors(engine, frames, computeLetterbox(family, width, height, inputSize), spec.batch);
  for (let i = 0; i < 3; i++) await engine.run(tensors[i % tensors.length]!);
  return { engine, tensors };
}

/** A thread or process body: prepare, say ready, time on "go", answer with the figures. */
export async function runLoop(spec: LoopSpec, ready: () => void, go: Promise<void>): Promise<{ frames: number; runs: number; medianRunMs: number }> {
  const { engine, tensors } = await prepareLoop(spec);
  ready();
  await go;
  const result = await runInferenceLoop(engine, tensors, spec.seconds);
  await engine.release();
  return result;
}

interface Loop {
  ready: Promise<void>;
  start(): void;
  result: Promise<{ frames: number; medianRunMs: number }>;
  stop(): void;
}

/**
 * Loops side by side: prepared (in turn for a GPU provider: ONNX Runtime's WebGPU provider cannot
 * initialise two sessions of a process at once, and GPU drivers serialise start-up anyway), then all
 * started together; total frames per second.
 */
async function timeTogether(make: () => Loop, count: number, seconds: number, inTurn: boolean): Promise<{ fps: number; medianRunMs: number }> {
  const loops: Loop[] = [];
  try {
    for (let i = 0; i < count; i++) {
      loops.push(make());
      if (inTurn) await loops.at(-1)!.ready;
    }
    await Promise.all(loops.map((l) => l.ready));
  } catch (err) {
    for (const l of loops) l.stop();
    throw err;
  }
  for (const l of loops) l.start();
  const results = await Promise.all(loops.map((l) => l.result));
  const runMs = results.map((r) => r.medianRunMs).sort((a, b) => a - b);
  return { fps: results.reduce((s, r) => s + r.frames, 0) / seconds, medianRunMs: runMs[runMs.length >> 1]! };
}

/** Worker threads of this same script (through tsx's loader when run from source). */
function threadLoop(entry: URL, spec: LoopSpec): Loop {
  const url = entry.pathname.endsWith('.ts')
    ? new URL(`data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(entry.href)});`)}`)
    : entry;
  const worker = new Worker(url, { workerData: { role: 'loop-thread', spec } });
  const message = (type: string) =>
    new Promise<{ frames: number; medianRunMs: number }>((resolve, reject) => {
      const onMessage = (m: { type: string; frames: number; medianRunMs: number; error?: string }) => {
        if (m.type === 'error') reject(new Error(m.error));
        else if (m.type === type) resolve(m);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  const result = message('done').finally(() => void worker.terminate());
  result.catch(() => undefined); // observed through `ready` or by timeTogether
  return { ready: message('ready').then(() => undefined), start: () => worker.postMessage('go'), result, stop: () => void worker.terminate() };
}

/** Child processes of this same script (one detector process per core, as CPU nodes run them). */
function processLoop(entry: URL, spec: LoopSpec, nodeFlags: readonly string[]): Loop {
  const file = fileURLToPath(entry);
  const child = spawn(process.execPath, [...nodeFlags, ...(file.endsWith('.ts') ? ['--import', 'tsx'] : []), file, 'loop-process', JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error('an inference process exited early');
    return String(line.value);
  };
  const ready = next().then((l) => {
    if (l !== 'ready') throw new Error(`inference process: ${l}`);
  });
  const result = ready.then(next).then((l) => JSON.parse(l) as { frames: number; medianRunMs: number });
  result.catch(() => undefined); // observed through `ready` or by timeTogether
  return { ready, start: () => child.stdin.write('go\n'), result, stop: () => child.kill() };
}

export interface ThroughputOptions {
  entry: URL;
  model: string;
  /** The same model with a dynamic batch dimension (for batches above 1); null = batch 1 only. */
  dynamicModel: string | null;
  video: string;
  providers: ExecutionProviderName[];
  webgpu: Partial<WebGpuSettings>;
  batches: number[];
  /** GPU: processes sharing the GPU, each one session (how several detectors share a GPU). */
  gpuProcesses: number[];
  /** GPU: inference threads in one process (not for webgpu: its sessions share one GPU queue per process). */
  threads: number[];
  cpuProcesses: number[];
  /** WebGPU option changes to time against `webgpu` on the fastest setup. */
  webgpuVariants: Array<Partial<WebGpuSettings>>;
  seconds: number;
  tools: Tools;
  detectorNodeFlags: readonly string[];
}

export interface ThroughputFigure {
  provider: ExecutionProviderName;
  batch: number;
  /** Processes side by side, each with `threads` inference threads. */
  processes: number;
  threads: number;
  fps: number;
}

/**
 * Inference-only frames per second: each GPU provider at each batch size with 1..n processes
 * sharing the GPU (and, for providers that allow it, 1..n inference threads in one process), and
 * the CPU provider with 1..n single-threaded processes (how CPU nodes run). Returns the figures for
 * the pipeline stage to pick from.
 */
export async function checkThroughput(o: ThroughputOptions): Promise<ThroughputFigure[]> {
  const figures: ThroughputFigure[] = [];
  const base = { webgpu: o.webgpu, seconds: o.seconds, video: o.video, tools: o.tools };
  for (const processes of o.cpuProcesses) {
    const spec: LoopSpec = { ...base, model: o.model, provider: 'cpu', intraOpThreads: 1, batch: 1 };
    const { fps, medianRunMs } = await timeTogether(() => processLoop(o.entry, spec, o.detectorNodeFlags), processes, o.seconds, false);
    figures.push({ provider: 'cpu', batch: 1, processes, threads: 1, fps });
    report({ check: 'throughput', provider: 'cpu', processes, intra_op_threads: 1, batch: 1, fps: +fps.toFixed(1), median_run_ms: +medianRunMs.toFixed(2) });
  }
  for (const provider of o.providers) {
    for (const batch of o.batches) {
      const model = batch === 1 ? o.model : o.dynamicModel;
      if (!model) continue;
      for (const [mode, counts] of [['processes', o.gpuProcesses], ['threads', provider === 'webgpu' ? [] : o.threads]] as const) {
        for (const count of counts) {
          const spec: LoopSpec = { ...base, model, provider, intraOpThreads: 0, batch };
          const make = mode === 'processes' ? () => processLoop(o.entry, spec, o.detectorNodeFlags) : () => threadLoop(o.entry, spec);
          try {
            const { fps, medianRunMs } = await timeTogether(make, count, o.seconds, true);
            figures.push({ provider, batch, processes: mode === 'processes' ? count : 1, threads: mode === 'threads' ? count : 1, fps });
            report({ check: 'throughput', provider, batch, [mode]: count, fps: +fps.toFixed(1), median_run_ms: +medianRunMs.toFixed(2), webgpu: provider === 'webgpu' ? o.webgpu : undefined });
          } catch (err) {
            note(`${provider} batch ${batch}, ${count} ${mode}: ${(err as Error).message}`);
            report({ check: 'throughput', provider, batch, [mode]: count, error: (err as Error).message });
          }
        }
      }
    }
  }
  // WebGPU options that may matter for speed, each tried alone on the fastest one-process setup.
  const best = figures.filter((f) => f.provider === 'webgpu' && f.processes === 1).sort((x, y) => y.fps - x.fps)[0];
  const model = best && (best.batch === 1 ? o.model : o.dynamicModel);
  if (best && model) {
    for (const variant of o.webgpuVariants) {
      const webgpu = { ...o.webgpu, ...variant };
      const spec: LoopSpec = { ...base, webgpu, model, provider: 'webgpu', intraOpThreads: 0, batch: best.batch };
      try {
        const { fps, medianRunMs } = await timeTogether(() => processLoop(o.entry, spec, o.detectorNodeFlags), 1, o.seconds, true);
        report({ check: 'throughput-variant', provider: 'webgpu', batch: best.batch, processes: 1, webgpu, fps: +fps.toFixed(1), median_run_ms: +medianRunMs.toFixed(2), baseline_fps: +best.fps.toFixed(1) });
      } catch (err) {
        report({ check: 'throughput-variant', provider: 'webgpu', batch: best.batch, webgpu, error: (err as Error).message });
      }
    }
  }
  return figures;
}
