/**
 * Drawing on a raw I420 (yuv420p) frame, the format the decoder gives and the encoder takes, so a
 * rendered frame is never converted: boxes are a few `fill`s per row, text is a blend of a bitmap
 * rendered once per string (`LabelBitmaps`). Chroma is subsampled 2×2, so shapes are drawn on
 * whole chroma samples (edges land on even pixels in the colour planes).
 */
export interface YuvImage {
  width: number;
  height: number;
  /**
   * Y plane (width × height), then U and V (ceil(width/2) × ceil(height/2) each). A plain
   * Uint8Array, not a Buffer: its `fill` is V8's builtin, several times cheaper per call than
   * Buffer's checked one, and a frame takes thousands of short fills.
   */
  data: Uint8Array;
}

/** A colour in BT.601 limited-range YUV, what yuv420p H.264 and JPEG decoders assume when nothing is tagged. */
export interface YuvColor {
  y: number;
  u: number;
  v: number;
}

export type Rgb = readonly [number, number, number];

export function yuvOf([r, g, b]: Rgb): YuvColor {
  const clamp = (x: number) => Math.max(0, Math.min(255, Math.round(x)));
  return {
    y: clamp(16 + 0.257 * r + 0.504 * g + 0.098 * b),
    u: clamp(128 - 0.148 * r - 0.291 * g + 0.439 * b),
    v: clamp(128 + 0.439 * r - 0.368 * g - 0.071 * b),
  };
}

/** Bytes of one I420 frame. */
export const yuvFrameBytes = (width: number, height: number) => width * height + 2 * ((width + 1) >> 1) * ((height + 1) >> 1);

const chromaWidth = (img: YuvImage) => (img.width + 1) >> 1;
const chromaHeight = (img: YuvImage) => (img.height + 1) >> 1;

/** Fills [x0, x1) × [y0, y1) (clipped to the frame). */
export function fillRect(img: YuvImage, x0: number, y0: number, x1: number, y1: number, color: YuvColor): void {
  const ax = Math.max(0, Math.round(x0));
  const ay = Math.max(0, Math.round(y0));
  const bx = Math.min(img.width, Math.round(x1));
  const by = Math.min(img.height, Math.round(y1));
  if (bx <= ax || by <= ay) return;
  const { data, width } = img;
  for (let y = ay; y < by; y++) data.fill(color.y, y * width + ax, y * width + bx);
  const cw = chromaWidth(img);
  const uBase = img.width * img.height;
  const vBase = uBase + cw * chromaHeight(img);
  const cx0 = ax >> 1;
  const cx1 = (bx + 1) >> 1;
  for (let cy = ay >> 1; cy < (by + 1) >> 1; cy++) {
    data.fill(color.u, uBase + cy * cw + cx0, uBase + cy * cw + cx1);
    data.fill(color.v, vBase + cy * cw + cx0, vBase + cy * cw + cx1);
  }
}

/** The outline of a box [x1, y1, x2, y2], `thickness` pixels wide, inside the box. */
export function strokeRect(img: YuvImage, [x1, y1, x2, y2]: readonly [number, number, number, number], thickness: number, color: YuvColor): void {
  fillRect(img, x1, y1, x2, y1 + thickness, color);
  fillRect(img, x1, y2 - thickness, x2, y2, color);
  fillRect(img, x1, y1, x1 + thickness, y2, color);
  fillRect(img, x2 - thickness, y1, x2, y2, color);
}

/** A segment `thickness` pixels wide (square brush stepped along it). */
export function drawLine(img: YuvImage, ax: number, ay: number, bx: number, by: number, thickness: number, color: YuvColor): void {
  // Steps of one brush width: consecutive squares touch, so the line has no gaps.
  const steps = Math.max(1, Math.ceil(Math.max(Math.abs(bx - ax), Math.abs(by - ay)) / Math.max(1, thickness)));
  const half = thickness / 2;
  for (let i = 0; i <= steps; i++) {
    const x = ax + ((bx - ax) * i) / steps;
    const y = ay + ((by - ay) * i) / steps;
    fillRect(img, x - half, y - half, x + half, y + half, color);
  }
}

/** An 8-bit coverage bitmap (text), drawn in `color` at (x, y) over what is there. */
export interface AlphaBitmap {
  width: number;
  height: number;
  alpha: Uint8Array;
}

export function blendBitmap(img: YuvImage, bitmap: AlphaBitmap, x: number, y: number, color: YuvColor): void {
  const ox = Math.round(x);
  const oy = Math.round(y);
  const { data, width } = img;
  const cw = chromaWidth(img);
  const uBase = img.width * img.height;
  const vBase = uBase + cw * chromaHeight(img);
  for (let by = 0; by < bitmap.height; by++) {
    const py = oy + by;
    if (py < 0 || py >= img.height) continue;
    for (let bx = 0; bx < bitmap.width; bx++) {
      const px = ox + bx;
      const a = bitmap.alpha[by * bitmap.width + bx]!;
      if (a === 0 || px < 0 || px >= img.width) continue;
      const i = py * width + px;
      data[i] = data[i]! + (((color.y - data[i]!) * a) >> 8);
      // Chroma once per 2×2 block, from its top-left sample's coverage.
      if ((px & 1) === 0 && (py & 1) === 0) {
        const c = (py >> 1) * cw + (px >> 1);
        data[uBase + c] = data[uBase + c]! + (((color.u - data[uBase + c]!) * a) >> 8);
        data[vBase + c] = data[vBase + c]! + (((color.v - data[vBase + c]!) * a) >> 8);
      }
    }
  }
}
