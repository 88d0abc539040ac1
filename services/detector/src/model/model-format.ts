import { yoloxAnchorCount } from '../decode/yolox-decoder.js';
import type { ModelFamily } from '../preprocess/letterbox.js';
import { ModelLoadError } from './model-load-error.js';

/** A dimension as ONNX Runtime reports it: a number, or a name/-1 when dynamic. */
export type Dim = number | string;

export interface TensorInfo {
  name: string;
  shape: readonly Dim[];
}

/** How to feed a model and read its output. */
export interface ModelFormat {
  family: ModelFamily;
  inputName: string;
  outputName: string;
  /** Square input side S, pixels. */
  inputSize: number;
  numClasses: number;
  /** Output rows (YOLOX) or columns (YOLOv8) per image. */
  numAnchors: number;
  /** Batch size fixed by the graph, or null when the batch dim is dynamic. */
  fixedBatch: number | null;
}

const isFixed = (d: Dim | undefined): d is number => typeof d === 'number' && d > 0;
const describe = (shape: readonly Dim[]) => `[${shape.map((d) => (typeof d === 'number' && d >= 0 ? String(d) : `${String(d)}?`)).join(', ')}]`;

/** Ultralytics writes `imgsz` as "[640, 640]": the fallback when the graph's spatial dims are dynamic. */
function imgszFromMetadata(metadata: Record<string, string>): number | null {
  const m = /^\s*\[\s*(\d+)\s*,\s*(\d+)\s*\]\s*$/.exec(metadata.imgsz ?? '');
  return m && m[1] === m[2] ? Number(m[1]) : null;
}

/**
 * Recognises the model family from its output shape: `[B, N, 5 + C]` is a YOLOX export (N = the
 * grid cells of strides 8/16/32), `[B, 4 + C, N]` an Ultralytics YOLOv8/YOLO11 export. Anything
 * else is refused with a message naming the file and the shape.
 */
export function recogniseModelFormat(
  file: string,
  inputs: readonly TensorInfo[],
  outputs: readonly TensorInfo[],
  metadata: Record<string, string> = {},
): ModelFormat {
  const input = inputs[0];
  if (inputs.length !== 1 || !input) {
    throw new ModelLoadError(file, `expected one image input, found ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`);
  }
  const [batch, channels, height, width] = input.shape;
  if (input.shape.length !== 4 || channels !== 3) {
    throw new ModelLoadError(file, `unsupported input "${input.name}" of shape ${describe(input.shape)}: expected [batch, 3, S, S] (NCHW, 3 channels)`);
  }
  const inputSize = isFixed(height) && isFixed(width) ? (height === width ? height : null) : imgszFromMetadata(metadata);
  if (inputSize === null || inputSize % 32 !== 0) {
    throw new ModelLoadError(file, `unsupported input "${input.name}" of shape ${describe(input.shape)}: expected a square side S divisible by 32`);
  }
  const fixedBatch = isFixed(batch) ? batch : null;

  const output = outputs[0];
  const expected = `expected [1, N, 5+C] (YOLOX) or [1, 4+C, N] (Ultralytics YOLOv8/YOLO11)`;
  if (!output) throw new ModelLoadError(file, `the model has no output; ${expected}`);
  const [, a, b] = output.shape;
  const unknown = () =>
    new ModelLoadError(file, `unsupported output "${output.name}" of shape ${describe(output.shape)}: ${expected} for input side ${inputSize}`);
  if (output.shape.length !== 3) throw unknown();

  const yoloxAnchors = yoloxAnchorCount(inputSize);
  // Ultralytics' anchor-free heads use the same three strides: one column per grid cell.
  const yolov8Anchors = yoloxAnchors;
  const base = { inputName: input.name, outputName: output.name, inputSize, fixedBatch };
  if (isFixed(b) && b >= 6 && (a === yoloxAnchors || !isFixed(a))) {
    return { ...base, family: 'yolox', numClasses: b - 5, numAnchors: yoloxAnchors };
  }
  if (isFixed(a) && a >= 5 && (b === yolov8Anchors || !isFixed(b))) {
    return { ...base, family: 'yolov8', numClasses: a - 4, numAnchors: yolov8Anchors };
  }
  throw unknown();
}
