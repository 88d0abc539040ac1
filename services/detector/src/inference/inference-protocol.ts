import type { DetectedObject, ExecutionProviderName } from '@video-detect/shared';
import type { LoadedModel, OnnxSessionOptions } from '../model/onnx-session.js';
import type { Letterbox } from '../preprocess/letterbox.js';
import type { PostprocessOptions } from './detection-engine.js';

/*
 * Messages between the main thread and the inference thread. Decoded frames are transferred there
 * and come back, transferred again, with the result, so a frame buffer is reused frame after frame
 * (no allocation or GC in steady state).
 */

/** Main → inference thread. */
export type ToInferenceThread =
  | { type: 'infer'; id: number; frames: ArrayBuffer[]; letterbox: Letterbox; post: PostprocessOptions }
  | { type: 'close' };

/** LoadedModel without the parts that are not worth copying across threads. */
export type ModelSummary = Omit<LoadedModel, 'header'> & { metadata: Record<string, string>; producer: string };

/** Inference thread → main. `frames` hands the request's frame buffers back. */
export type FromInferenceThread =
  | { type: 'ready'; model: ModelSummary }
  /** `cause` says whose fault it is when known: the model's (ModelLoadError) or the provider's (ExecutionProviderError). */
  | { type: 'init-error'; message: string; cause: StartFailureCause | null }
  /** `seconds`: the run itself (letterbox, model, decoding), without the wait for the thread. */
  | { type: 'result'; id: number; objects: DetectedObject[][]; frames: ArrayBuffer[]; seconds: number }
  | { type: 'error'; id: number; message: string; frames: ArrayBuffer[] }
  | { type: 'closed' };

export type StartFailureCause = { kind: 'model'; file: string; reason: string } | { kind: 'provider'; provider: ExecutionProviderName; reason: string };

/** workerData of the inference thread. */
export interface InferenceThreadData {
  session: OnnxSessionOptions;
}
