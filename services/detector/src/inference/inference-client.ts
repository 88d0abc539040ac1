import { Worker } from 'node:worker_threads';
import type { DetectedObject } from '@video-detect/shared';
import { ModelLoadError } from '../model/model-load-error.js';
import type { OnnxSessionOptions } from '../model/onnx-session.js';
import type { Letterbox } from '../preprocess/letterbox.js';
import type { PostprocessOptions } from './detection-engine.js';
import type { FromInferenceThread, InferenceThreadData, ModelSummary, ToInferenceThread } from './inference-protocol.js';

interface Pending {
  resolve: (objects: DetectedObject[][]) => void;
  reject: (e: Error) => void;
}

/** Under tsx (tests, dev) the thread must load TypeScript too: register tsx's loader inside it first. */
function threadEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./inference-thread.js', import.meta.url);
  const thread = new URL('./inference-thread.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(thread)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

/**
 * Main-thread handle on the inference thread: frames are transferred (not copied) there and come
 * back with the objects, to be filled again by the decoder. Requests are answered in order; the
 * decoder fills the next frames while the model runs.
 */
export class InferenceClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closing: Promise<void> | null = null;
  private failure: Error | null = null;
  /** Frame buffers the inference thread is done with, by size, for the decoder to fill again. */
  private readonly framePool = new Map<number, ArrayBuffer[]>();

  private constructor(
    private readonly worker: Worker,
    readonly model: ModelSummary,
    private readonly onCrash: (err: Error) => void,
  ) {
    worker.on('message', (m: FromInferenceThread) => this.onMessage(m));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`the inference thread exited unexpectedly (code ${code})`));
    });
  }

  /** Starts the thread, loads and warms the model; rejects with ModelLoadError when the model is unusable. */
  static start(options: OnnxSessionOptions, onCrash: (err: Error) => void = () => undefined): Promise<InferenceClient> {
    const data: InferenceThreadData = { session: options };
    const worker = new Worker(threadEntry(), { workerData: data });
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
   * A buffer for one decoded frame of `bytes` bytes: one the inference thread has handed back when
   * there is one (frames of a video all have the same size), else a new one.
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
    if (this.closing) return Promise.reject(new Error('the inference thread is closed'));
    if (frames.length > this.model.batchSize) return Promise.reject(new Error(`${frames.length} frames in one request; the batch size is ${this.model.batchSize}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'infer', id, frames, letterbox, post } satisfies ToInferenceThread, frames);
    });
  }

  /** Releases the session and stops the thread once the requests sent are answered; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.failure) {
        const exited = new Promise<void>((resolve) => {
          const timer = setTimeout(() => resolve(), 5000);
          this.worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        // The thread releases the session after its queued runs, then exits.
        this.worker.postMessage({ type: 'close' } satisfies ToInferenceThread);
        await exited;
      }
      await this.worker.terminate();
      this.rejectAll(new Error('the inference thread is closed'));
    })();
    return this.closing;
  }

  private onMessage(m: FromInferenceThread): void {
    if (m.type !== 'result' && m.type !== 'error') return;
    // Enough for the frames in flight (detectFrames keeps a few batches queued); beyond that, let them go.
    for (const frame of m.frames) {
      const pool = this.framePool.get(frame.byteLength) ?? [];
      if (pool.length < 8 * this.model.batchSize) pool.push(frame);
      this.framePool.set(frame.byteLength, pool);
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.type === 'result') p.resolve(m.objects);
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
