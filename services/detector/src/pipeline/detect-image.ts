import type { DetectedObject } from '@video-detect/shared';
import type { PostprocessOptions } from '../inference/detection-engine.js';
import type { InferenceClient } from '../inference/inference-client.js';
import { decodeImage } from '../media/image-decoder.js';
import { computeLetterbox, familyInput } from '../preprocess/letterbox.js';

/** One still image through the model (evaluation, reference checks): objects in image pixels. */
export async function detectImage(
  client: InferenceClient,
  file: string,
  post: PostprocessOptions,
): Promise<{ objects: DetectedObject[]; width: number; height: number }> {
  const { format } = client.model;
  const image = await decodeImage(file, familyInput[format.family].pixelFormat);
  const letterbox = computeLetterbox(format.family, image.width, image.height, format.inputSize);
  const objects = await client.infer([image.data.buffer as ArrayBuffer], letterbox, post);
  return { objects: objects[0] ?? [], width: image.width, height: image.height };
}
