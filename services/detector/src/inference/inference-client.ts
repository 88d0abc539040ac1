import { Worker } from 'node:worker_threads';
import type { DetectedObject } from '@video-detect/shared';
import { ExecutionProviderError } from '../model/execution-provider.js';
import { ModelLoadError } from '../model/model-load-error.js';
import type { OnnxSessionOptions } from '../model/onnx-session.js';
import type { Letterbox } from '../preprocess/letterbox.js';
import type { PostprocessOptions } from './detection-engine.js';
import type { FromInferenceThread, InferenceThreadData, ModelSummary, ToInferenceThread } from './inference-protocol.js';

interface Pending {
  resolve: (objects: DetectedObject[][]) => void;
  reject: (e: Error) => void;
  thread: number;
  frames: number;
}

export interface InferenceClientOptions {
  /**
   * Inference threads, each with its own session. session.run() occupies its thread until the
   * output is back, so this is the number of runs in flight: 1 keeps a CPU core busy; a GPU
   * may need a few to stay busy while each thread letterboxes, uploads and decodes. @defaultValue 1
   */
  threads?: number;
  /** Called once if a thread dies after start-up; every request in flight is rejected. */
  onCrash?: (err: Error) => void;
  /** Told of each answered request: its frames and the seconds the run took (metrics). */
  onInference?: (frames: number, seconds: number) => void;
}

/** Under tsx (tests, dev) the thread must load TypeScript too: register tsx's loader inside it first. */
function threadEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./inference-thread.js', import.meta.url);
  const thread = new URL('./inference-thread.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(thread)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

/** The error a thread's failed start-up becomes: whose fault it is, when the thread could tell. */
function startFailure(m: Extract<FromInferenceThread, { type: 'init-error' }>, modelPath: string): Error {
  if (m.cause?.kind === 'model') return new ModelLoadError(m.cause.file, m.cause.reason);
  if (m.cause?.kind === 'provider') return new ExecutionProviderError(m.cause.provider, m.cause.reason);
  return new ModelLoadError(modelPath, m.message);
}

/** Starts one thread and resolves once its model is loaded and warmed. */
function startThread(data: InferenceThreadData): Promise<{ worker: Worker; model: ModelSummary }> {
  const worker = new Worker(threadEntry(), { workerData: data });
  const modelPath = data.session.modelPath;
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromInferenceThread) => {
      if (m.type !== 'ready' && m.type !== 'init-error') return;
      cleanup();
      if (m.type === 'ready') {
        resolve({ worker, model: m.model });
        return;
      }
      void worker.terminate();
      reject(startFailure(m, modelPath));
    };
    const onError = (err: Error) => {
      cleanup();
      void worker.terminate();
      reject(new ModelLoadError(modelPath, `the inference thread failed to start: ${err.message}`));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new ModelLoadError(modelPath, `the inference thread exited during start-up (code ${code})`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/**
 * Main-thread handle on the inference threads: frames are transferred (not copied) to the least
 * busy thread and come back with the objects, to be filled again by the decoder. The decoders fill
 * the next frames while the model runs.
 */
export class InferenceClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Frames sent to each thread and not answered yet. */
  private readonly load: number[];
  private closing: Promise<void> | null = null;
  private failure: Error | null = null;
  /** Frame buffers the inference threads are done with, by size, for the decoders to fill again. */
  private readonly framePool = new Map<number, ArrayBuffer[]>();

  private constructor(
    private readonly workers: Worker[],
    readonly model: ModelSummary,
    private readonly onCrash: (err: Error) => void,
    private readonly onInference: (frames: number, seconds: number) => void,
  ) {
    this.load = workers.map(() => 0);
    workers.forEach((worker, thread) => {
      worker.on('message', (m: FromInferenceThread) => this.onMessage(m));
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`inference thread ${thread} exited unexpectedly (code ${code})`));
      });
    });
  }

  /**
   * Starts the threads, each loading and warming the model; rejects with ModelLoadError when the
   * model is unusable, ExecutionProviderError when the provider cannot run it.
   */
  static async start(session: OnnxSessionOptions, options: InferenceClientOptions = {}): Promise<InferenceClient> {
    const count = Math.max(1, options.threads ?? 1);
    // One after another: ONNX Runtime's WebGPU provider fails to initialise two sessions at once
    // ("Exception during initialization"), and a failure stops the rest early.
    const started: Array<{ worker: Worker; model: ModelSummary }> = [];
    try {
      for (let i = 0; i < count; i++) started.push(await startThread({ session }));
    } catch (err) {
      await Promise.all(started.map((s) => s.worker.terminate()));
      throw err;
    }
    return new InferenceClient(
      started.map((s) => s.worker),
      started[0]!.model,
      options.onCrash ?? (() => undefined),
      options.onInference ?? (() => undefined),
    );
  }

  /** Requests that can run at once (one per thread). */
  get threads(): number {
    return this.workers.length;
  }

  /**
   * A buffer for one decoded frame of `bytes` bytes: one the inference threads have handed back
   * when there is one (frames of a video all have the same size), else a new one.
   */
  frameBuffer(bytes: number): Uint8Array {
    const pooled = this.framePool.get(bytes)?.pop();
    return pooled ? new Uint8Array(pooled) : new Uint8Array(bytes);
  }

  /** Lets the pooled frame buffers go (after a chunk: a 4K video's would hold ~125 MB while idle). */
  releaseFrameBuffers(): void {
    this.framePool.clear();
  }

  /** Sends frames (their buffers are transferred: do not touch them afterwards); resolves with each frame's objects. */
  infer(frames: ArrayBuffer[], letterbox: Letterbox, post: PostprocessOptions): Promise<DetectedObject[][]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the inference threads are closed'));
    if (frames.length > this.model.batchSize) return Promise.reject(new Error(`${frames.length} frames in one request; the batch size is ${this.model.batchSize}`));
    const id = this.nextId++;
    const thread = this.load.indexOf(Math.min(...this.load));
    this.load[thread]! += frames.length;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, thread, frames: frames.length });
      this.workers[thread]!.postMessage({ type: 'infer', id, frames, letterbox, post } satisfies ToInferenceThread, frames);
    });
  }

  /** Releases the sessions and stops the threads once the requests sent are answered; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.failure) {
        await Promise.all(
          this.workers.map(
            (worker) =>
              new Promise<void>((resolve) => {
                const timer = setTimeout(() => resolve(), 5000);
                worker.once('exit', () => {
                  clearTimeout(timer);
                  resolve();
                });
                // The thread releases its session after its queued runs, then exits.
                worker.postMessage({ type: 'close' } satisfies ToInferenceThread);
              }),
          ),
        );
      }
      await Promise.all(this.workers.map((w) => w.terminate()));
      this.rejectAll(new Error('the inference threads are closed'));
    })();
    return this.closing;
  }

  private onMessage(m: FromInferenceThread): void {
    if (m.type !== 'result' && m.type !== 'error') return;
    // Enough for the frames in flight (detectFrames keeps a few batches per thread queued); beyond that, let them go.
    for (const frame of m.frames) {
      const pool = this.framePool.get(frame.byteLength) ?? [];
      if (pool.length < 8 * this.model.batchSize * this.workers.length) pool.push(frame);
      this.framePool.set(frame.byteLength, pool);
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    this.load[p.thread]! -= p.frames;
    if (m.type === 'result') {
      this.onInference(p.frames, m.seconds);
      p.resolve(m.objects);
    }
    else p.reject(new Error(`inference failed: ${m.message}`));
  }

  private fail(err: Error): void {
    if (this.failure || this.closing) return;
    this.failure = err;
    this.rejectAll(err);
    this.onCrash(err);
  }

  private rejectAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.load.fill(0);
  }
}
