import { MessageChannel, Worker } from 'node:worker_threads';
import type { DetectedObject } from '@video-detect/shared';
import { ModelLoadError } from '../model/model-load-error.js';
import type { OnnxSessionOptions } from '../model/onnx-session.js';
import type { Letterbox } from '../preprocess/letterbox.js';
import type { PostprocessOptions } from './detection-engine.js';
import { familyInput } from '../preprocess/letterbox.js';
import type {
  FromInferenceThread,
  FromLetterboxThread,
  InferenceThreadData,
  LetterboxThreadData,
  ModelSummary,
  ToInferenceThread,
  ToLetterboxThread,
} from './inference-protocol.js';

export interface InferResult {
  objects: DetectedObject[][];
  /** Time the inference thread spent on the request (tensor, run, decode, NMS), ms. */
  inferMs: number;
}

interface Pending {
  resolve: (r: InferResult) => void;
  reject: (e: Error) => void;
}

/** Under tsx (tests, dev) a thread must load TypeScript too: register tsx's loader inside it first. */
function threadEntry(name: 'inference-thread' | 'letterbox-thread'): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL(`./${name}.js`, import.meta.url);
  const thread = new URL(`./${name}.ts`, import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(thread)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

/**
 * Main-thread handle on the two threads that do the work: frames are transferred (not copied) to
 * the letterbox thread, which hands tensors to the inference thread, which answers here with plain
 * objects. Requests are answered in order. The letterbox of the next batch thus overlaps the
 * current session.run().
 */
export class InferenceClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closing: Promise<void> | null = null;
  private failure: Error | null = null;

  private readonly letterboxer: Worker;
  /** Frame buffers the letterbox thread is done with, for the decoder to fill again. */
  private readonly framePool: ArrayBuffer[] = [];

  private constructor(
    private readonly worker: Worker,
    readonly model: ModelSummary,
    private readonly onCrash: (err: Error) => void,
  ) {
    const { port1, port2 } = new MessageChannel();
    const data: LetterboxThreadData = {
      inputSize: model.format.inputSize,
      divisor: familyInput[model.format.family].valueDivisor,
      fixedBatch: model.format.fixedBatch,
      port: port1,
    };
    this.letterboxer = new Worker(threadEntry('letterbox-thread'), { workerData: data, transferList: [port1] });
    worker.postMessage({ type: 'connect', port: port2 } satisfies ToInferenceThread, [port2]);
    for (const [thread, name] of [
      [worker, 'inference'],
      [this.letterboxer, 'letterbox'],
    ] as const) {
      thread.on('message', (m: FromInferenceThread | FromLetterboxThread) => this.onMessage(m));
      thread.on('error', (err) => this.fail(err));
      thread.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`the ${name} thread exited unexpectedly (code ${code})`));
      });
    }
  }

  /** Starts the thread, loads and warms the model; rejects with ModelLoadError when the model is unusable. */
  static start(options: OnnxSessionOptions, onCrash: (err: Error) => void = () => undefined): Promise<InferenceClient> {
    const data: InferenceThreadData = { session: options };
    const worker = new Worker(threadEntry('inference-thread'), { workerData: data });
    return new Promise((resolve, reject) => {
      const onMessage = (m: FromInferenceThread) => {
        if (m.type !== 'ready' && m.type !== 'init-error') return;
        cleanup();
        if (m.type === 'ready') {
          resolve(new InferenceClient(worker, m.model, onCrash));
          return;
        }
        void worker.terminate();
        reject(m.model ? new ModelLoadError(m.model.file, m.model.reason) : new ModelLoadError(options.modelPath, m.message));
      };
      const onError = (err: Error) => {
        cleanup();
        void worker.terminate();
        reject(new ModelLoadError(options.modelPath, `the inference thread failed to start: ${err.message}`));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new ModelLoadError(options.modelPath, `the inference thread exited during start-up (code ${code})`));
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
   * A buffer for one decoded frame of `bytes` bytes: one the letterbox thread has handed back when
   * there is one (frames of a video all have the same size), else a new one.
   */
  frameBuffer(bytes: number): Uint8Array {
    const pooled = this.framePool.pop();
    return pooled && pooled.byteLength === bytes ? new Uint8Array(pooled) : new Uint8Array(bytes);
  }

  /** Sends frames (their buffers are transferred: do not touch them afterwards). */
  infer(frames: ArrayBuffer[], letterbox: Letterbox, post: PostprocessOptions): Promise<InferResult> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the inference thread is closed'));
    if (frames.length > this.model.batchSize) return Promise.reject(new Error(`${frames.length} frames in one request; the batch size is ${this.model.batchSize}`));
    const id = this.nextId++;
    const message: ToLetterboxThread = { type: 'infer', id, frames, letterbox, post };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.letterboxer.postMessage(message, frames);
    });
  }

  /** Releases the session and stops both threads once the requests sent are answered; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.failure) {
        const exited = (thread: Worker) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => resolve(), 5000);
            thread.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          });
        const done = Promise.all([exited(this.letterboxer), exited(this.worker)]);
        // Letterbox thread first: whatever it already passed on still reaches the session, which
        // the inference thread releases after its queued runs.
        this.letterboxer.postMessage({ type: 'close' } satisfies ToLetterboxThread);
        this.worker.postMessage({ type: 'close' } satisfies ToInferenceThread);
        await done;
      }
      await Promise.all([this.letterboxer.terminate(), this.worker.terminate()]);
      this.rejectAll(new Error('the inference thread is closed'));
    })();
    return this.closing;
  }

  private onMessage(m: FromInferenceThread | FromLetterboxThread): void {
    if (m.type === 'recycle') {
      // Enough for the frames in flight (MAX_IN_FLIGHT batches); beyond that, let them go.
      if (this.framePool.length < 8 * this.model.batchSize) this.framePool.push(...m.frames);
      return;
    }
    if (m.type !== 'result' && m.type !== 'error') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.type === 'result') p.resolve({ objects: m.objects, inferMs: m.inferMs });
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
  }
}
