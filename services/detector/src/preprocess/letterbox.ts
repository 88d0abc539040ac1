/** The two model families we decode; each fixes its own letterbox, colour order and value range. */
export type ModelFamily = 'yolox' | 'yolov8';

/** Pixel layout the model wants, as ffmpeg names it. */
export type PixelFormat = 'bgr24' | 'rgb24';

export interface FamilyInput {
  pixelFormat: PixelFormat;
  /** Divisor from a 0..255 byte to the model's input value. */
  valueDivisor: number;
}

/** YOLOX: BGR 0..255 (as its own `preproc`); Ultralytics: RGB 0..1. */
export const familyInput: Record<ModelFamily, FamilyInput> = {
  yolox: { pixelFormat: 'bgr24', valueDivisor: 1 },
  yolov8: { pixelFormat: 'rgb24', valueDivisor: 255 },
};

/** Canvas fill of both families: 114 grey. */
export const LETTERBOX_FILL = 114;

/** Where a source frame lands on the square model input. */
export interface Letterbox {
  /** Model input side S, pixels. */
  inputSize: number;
  /** Source (displayed) frame size, pixels. */
  srcWidth: number;
  srcHeight: number;
  /** Resize factor r = min(S/h, S/w). */
  scale: number;
  /** Resized image size on the canvas, pixels. */
  width: number;
  height: number;
  /** Offset of the resized image on the canvas, pixels. */
  padX: number;
  padY: number;
}

/** Python's round(): half to even, which Ultralytics' LetterBox uses. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The letterbox geometry each family was trained with. The float maths mirrors the Python
 * reference (same IEEE doubles), so int(w*r) truncates exactly where YOLOX's `preproc` does.
 */
export function computeLetterbox(family: ModelFamily, srcWidth: number, srcHeight: number, inputSize: number): Letterbox {
  if (!(srcWidth > 0 && srcHeight > 0)) throw new Error(`invalid frame size ${srcWidth}x${srcHeight}`);
  const scale = Math.min(inputSize / srcHeight, inputSize / srcWidth);
  if (family === 'yolox') {
    // YOLOX preproc: cv2.resize to (int(w*r), int(h*r)), pasted top-left.
    const width = Math.max(1, Math.trunc(srcWidth * scale));
    const height = Math.max(1, Math.trunc(srcHeight * scale));
    return { inputSize, srcWidth, srcHeight, scale, width, height, padX: 0, padY: 0 };
  }
  // Ultralytics LetterBox: round the resized size, centre with round(d/2 -/+ 0.1) on each side.
  const width = Math.max(1, roundHalfEven(srcWidth * scale));
  const height = Math.max(1, roundHalfEven(srcHeight * scale));
  const padX = roundHalfEven((inputSize - width) / 2 - 0.1);
  const padY = roundHalfEven((inputSize - height) / 2 - 0.1);
  return { inputSize, srcWidth, srcHeight, scale, width, height, padX, padY };
}

/** Maps an x coordinate on the model input back to source pixels (no clipping). */
export function toSourceX(lb: Letterbox, x: number): number {
  return (x - lb.padX) / lb.scale;
}

export function toSourceY(lb: Letterbox, y: number): number {
  return (y - lb.padY) / lb.scale;
}
