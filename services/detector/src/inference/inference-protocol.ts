import type { MessagePort } from 'node:worker_threads';
import type { DetectedObject } from '@video-detect/shared';
import type { LoadedModel, OnnxSessionOptions } from '../model/onnx-session.js';
import type { Letterbox } from '../preprocess/letterbox.js';
import type { PostprocessOptions } from './detection-engine.js';

/*
 * Messages between the three threads: main → letterbox thread (decoded frames) → inference thread
 * (input tensors, over a MessageChannel of their own) → main (objects). Buffers travel back the
 * other way once used (`recycle`), so a frame or tensor costs no allocation or GC in steady state.
 */

/** Main → letterbox thread. */
export type ToLetterboxThread =
  | { type: 'infer'; id: number; frames: ArrayBuffer[]; letterbox: Letterbox; post: PostprocessOptions }
  | { type: 'close' };

/** Letterbox thread → main: frame buffers it is done with, and failures (results come from the inference thread). */
export type FromLetterboxThread = { type: 'recycle'; frames: ArrayBuffer[] } | { type: 'error'; id: number; message: string };

/** Letterbox thread → inference thread: one batch as a CHW float32 tensor. */
export interface TensorRequest {
  type: 'tensor';
  id: number;
  tensor: ArrayBuffer;
  /** Real frames in the batch (a fixed batch dim may be larger). */
  count: number;
  letterbox: Letterbox;
  post: PostprocessOptions;
}

/** Inference thread → letterbox thread: a tensor buffer whose run is over. */
export interface TensorRecycle {
  type: 'recycle';
  tensor: ArrayBuffer;
}

/** Main → inference thread. */
export type ToInferenceThread = { type: 'connect'; port: MessagePort } | { type: 'close' };

/** LoadedModel without the parts that are not worth copying across threads. */
export type ModelSummary = Omit<LoadedModel, 'header'> & { metadata: Record<string, string>; producer: string };

/** Inference thread → main. */
export type FromInferenceThread =
  | { type: 'ready'; model: ModelSummary }
  /** `model` set when the model itself is unusable (a ModelLoadError), else a start-up failure. */
  | { type: 'init-error'; message: string; model: { file: string; reason: string } | null }
  | { type: 'result'; id: number; objects: DetectedObject[][]; inferMs: number }
  | { type: 'error'; id: number; message: string }
  | { type: 'closed' };

/** workerData of the inference thread. */
export interface InferenceThreadData {
  session: OnnxSessionOptions;
}

/** workerData of the letterbox thread. */
export interface LetterboxThreadData {
  inputSize: number;
  divisor: number;
  /** The graph's fixed batch dim (tensors are padded to it), or null. */
  fixedBatch: number | null;
  /** Where tensors go: the inference thread's end of their channel. */
  port: MessagePort;
}
