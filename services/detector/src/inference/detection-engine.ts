import ort from 'onnxruntime-node';
import type { DetectedObject } from '@video-detect/shared';
import type { Candidate, DecodeOptions } from '../decode/candidate.js';
import { toDetectedObjects, type NmsOptions } from '../decode/postprocess.js';
import { decodeYolov8Output } from '../decode/yolov8-decoder.js';
import { decodeYoloxOutput } from '../decode/yolox-decoder.js';
import { ExecutionProviderError } from '../model/execution-provider.js';
import type { OnnxSession } from '../model/onnx-session.js';
import { computeLetterbox, familyInput, type Letterbox } from '../preprocess/letterbox.js';
import { letterboxToTensor } from '../preprocess/letterbox-tensor.js';

/** Post-processing wanted for one request: the job's threshold/classes and the configured NMS. */
export interface PostprocessOptions extends NmsOptions {
  scoreThreshold: number;
  /** Class ids to keep; null = all. */
  classIds: number[] | null;
  multiLabel: boolean;
}

/**
 * Decoded frames in, objects out: letterbox into the tensor, session.run() in batches of the model's
 * batch size, decode, NMS. Runs wherever the session lives (the inference thread, or a benchmark).
 */
export class DetectionEngine {
  private readonly side: number;
  private buffer: Float32Array | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly onnx: OnnxSession) {
    this.side = onnx.model.format.inputSize;
  }

  get model() {
    return this.onnx.model;
  }

  /**
   * Builds the input tensor for up to one batch of decoded frames (display size, model channel
   * order), letterboxing each; a fixed batch dim larger than the frames is padded (those outputs
   * are ignored). The tensor shares one buffer with the next call's: run it before calling again.
   */
  toTensor(frames: readonly Uint8Array[], letterbox: Letterbox): ort.Tensor {
    const { format } = this.onnx.model;
    const n = format.fixedBatch ?? frames.length;
    const size = this.side * this.side * 3;
    // One buffer reused run after run (runs are sequential here): no 2 MB allocation per frame.
    if (this.buffer?.length !== n * size) this.buffer = new Float32Array(n * size);
    const data = this.buffer;
    const divisor = familyInput[format.family].valueDivisor;
    frames.forEach((f, i) => letterboxToTensor(f, letterbox, divisor, data, i * size));
    return new ort.Tensor('float32', data, [n, 3, this.side, this.side]);
  }

  /** Runs the model on one tensor; returns the raw output. */
  async run(input: ort.Tensor): Promise<ort.Tensor> {
    const { format } = this.onnx.model;
    const result = await this.onnx.session.run({ [format.inputName]: input });
    const output = result[format.outputName];
    if (!output) throw new Error(`the model returned no "${format.outputName}" output`);
    return output;
  }

  /** Decodes image `i` of a raw output into candidates in model-input pixels. */
  decode(output: ort.Tensor, i: number, options: DecodeOptions): Candidate[] {
    const { format } = this.onnx.model;
    const data = output.data as Float32Array;
    const [, d1, d2] = output.dims;
    if (d1 === undefined || d2 === undefined) throw new Error(`unexpected output dims [${output.dims.join(', ')}]`);
    const perImage = d1 * d2;
    if (format.family === 'yolox') {
      if (d2 !== format.numClasses + 5) throw new Error(`YOLOX output has ${d2} values a row, expected ${format.numClasses + 5}`);
      return decodeYoloxOutput(data, i * perImage, format.inputSize, format.numClasses, options);
    }
    return decodeYolov8Output(data, i * perImage, d2, format.numClasses, options);
  }

  /**
   * Full path for frames that share one letterbox (frames of one video). Calls are queued: they
   * share the input buffer, and concurrent runs would only compete for the same cores. `timing`
   * receives the seconds the call's own work took.
   */
  detect(frames: readonly Uint8Array[], letterbox: Letterbox, post: PostprocessOptions, timing?: { seconds: number }): Promise<DetectedObject[][]> {
    return this.enqueue(async () => {
      // Timed from the start of its own turn, so the metric is the run, not the wait in the queue.
      const started = performance.now();
      const results: DetectedObject[][] = [];
      const batch = this.onnx.model.batchSize;
      for (let start = 0; start < frames.length; start += batch) {
        const chunk = frames.slice(start, start + batch);
        results.push(...this.decodeAll(await this.run(this.toTensor(chunk, letterbox)), chunk.length, letterbox, post));
      }
      if (timing) timing.seconds = (performance.now() - started) / 1000;
      return results;
    });
  }

  private decodeAll(output: ort.Tensor, count: number, letterbox: Letterbox, post: PostprocessOptions): DetectedObject[][] {
    const decodeOptions: DecodeOptions = {
      scoreThreshold: post.scoreThreshold,
      classIds: post.classIds ? new Set(post.classIds) : null,
      multiLabel: post.multiLabel,
    };
    return Array.from({ length: count }, (_, i) => toDetectedObjects(this.decode(output, i, decodeOptions), letterbox, this.onnx.model.labels, post));
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * One run on a blank batch so the first real frame does not pay for lazy initialisation (GPU
   * providers compile their kernels here). A GPU provider that opened the model but cannot run it
   * fails here, before the detector takes a job.
   */
  async warmUp(): Promise<void> {
    const { family, inputSize } = this.onnx.model.format;
    const letterbox = computeLetterbox(family, inputSize, inputSize, inputSize);
    const blank = new Uint8Array(inputSize * inputSize * 3).fill(114);
    try {
      await this.run(this.toTensor(Array.from({ length: this.onnx.model.batchSize }, () => blank), letterbox));
    } catch (err) {
      const { executionProvider } = this.onnx.model;
      if (executionProvider === 'cpu') throw err;
      throw new ExecutionProviderError(executionProvider, `the warm-up run failed: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  /** Releases the session once the queued runs are done. */
  release(): Promise<void> {
    return this.enqueue(() => this.onnx.session.release());
  }
}
