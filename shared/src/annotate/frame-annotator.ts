import type { AnalysisRecord } from '../analysis.js';
import type { Box, DetectedObject } from '../detections.js';
import { LabelBitmaps } from './label-bitmaps.js';
import { blendBitmap, drawLine, fillRect, strokeRect, yuvOf, type Rgb, type YuvColor, type YuvImage } from './yuv-image.js';

/** What to draw besides the boxes. */
export interface AnnotateOptions {
  /** "label #12" instead of "label". */
  trackIds: boolean;
  /** Each track's last TRAIL_SECONDS of anchor points (bottom centre). */
  trails: boolean;
  /** Lines and zones with running counts (a completed analysis of the video). */
  analysis: AnalysisRecord | null;
}

/** A frame's objects as drawn: the stored ones that passed the filter. */
export interface AnnotatedFrame {
  index: number;
  timestamp: number;
  objects: DetectedObject[];
}

const TRAIL_SECONDS = 1.5;
/** Distinct, saturated colours, picked by class id: a class keeps its colour in every render. */
const PALETTE: readonly Rgb[] = [
  [255, 56, 56], [255, 157, 151], [255, 112, 31], [255, 178, 29], [207, 210, 49], [72, 249, 10], [146, 204, 23], [61, 219, 134],
  [26, 147, 52], [0, 212, 187], [44, 153, 168], [0, 194, 255], [52, 69, 147], [100, 115, 255], [0, 24, 236], [132, 56, 255],
  [82, 0, 133], [203, 56, 255], [255, 149, 200], [255, 55, 199],
];
export const classColor = (classId: number): Rgb => PALETTE[((classId % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
const WHITE = yuvOf([255, 255, 255]);
const BLACK = yuvOf([0, 0, 0]);
const COUNT_COLOR = yuvOf([255, 230, 0]);

/** Box outline width and label size for a frame size: readable at 360p and at 4K alike. */
export function drawingScale(width: number, height: number): { thickness: number; fontPx: number } {
  const short = Math.min(width, height);
  // At least 4 px: edges 2 chroma samples wide keep their colour through 4:2:0 subsampling and compression.
  return { thickness: Math.max(4, Math.round(short / 100)), fontPx: Math.max(12, Math.round(short / 30)) };
}

/**
 * Draws a video's frames in order: boxes in their class colour with a label above, optional track
 * trails, and an analysis's lines and zones with their counts up to the frame. Stateful (trails,
 * counts), so one annotator draws one pass over one video.
 */
export class FrameAnnotator {
  private readonly labels: LabelBitmaps;
  private readonly thickness: number;
  private readonly trails = new Map<number, Array<{ t: number; x: number; y: number }>>();
  private readonly colors = new Map<number, YuvColor>();

  constructor(
    private readonly width: number,
    private readonly height: number,
    private readonly options: AnnotateOptions,
  ) {
    const scale = drawingScale(width, height);
    this.thickness = scale.thickness;
    this.labels = new LabelBitmaps(scale.fontPx);
  }

  async draw(img: YuvImage, frame: AnnotatedFrame): Promise<void> {
    if (this.options.analysis) await this.drawAnalysis(img, frame);
    if (this.options.trails) this.drawTrails(img, frame);
    for (const o of frame.objects) {
      const color = this.colorOf(o.class_id);
      strokeRect(img, o.box, this.thickness, color);
      await this.drawLabel(img, o.box, this.options.trackIds && o.track_id ? `${o.label} #${o.track_id}` : o.label, color);
    }
  }

  private colorOf(classId: number): YuvColor {
    let color = this.colors.get(classId);
    if (!color) this.colors.set(classId, (color = yuvOf(classColor(classId))));
    return color;
  }

  /** The label on a filled tab above the box (inside it when the box touches the top). */
  private async drawLabel(img: YuvImage, [x1, y1]: Box, text: string, color: YuvColor): Promise<void> {
    const bitmap = await this.labels.get(text);
    const top = y1 - bitmap.height >= 0 ? y1 - bitmap.height : y1;
    fillRect(img, x1, top, x1 + bitmap.width + 2, top + bitmap.height, color);
    blendBitmap(img, bitmap, x1 + 1, top, WHITE);
  }

  private drawTrails(img: YuvImage, frame: AnnotatedFrame): void {
    for (const o of frame.objects) {
      if (!o.track_id) continue;
      const points = this.trails.get(o.track_id) ?? [];
      points.push({ t: frame.timestamp, x: (o.box[0] + o.box[2]) / 2, y: o.box[3] });
      this.trails.set(o.track_id, points);
    }
    for (const [id, points] of this.trails) {
      while (points.length > 0 && points[0]!.t < frame.timestamp - TRAIL_SECONDS) points.shift();
      if (points.length === 0) {
        this.trails.delete(id);
        continue;
      }
      const color = WHITE;
      for (let i = 1; i < points.length; i++) drawLine(img, points[i - 1]!.x, points[i - 1]!.y, points[i]!.x, points[i]!.y, Math.max(2, this.thickness - 1), color);
    }
  }

  private async drawAnalysis(img: YuvImage, frame: AnnotatedFrame): Promise<void> {
    const { settings, results } = this.options.analysis!;
    const px = ([x, y]: readonly [number, number]) => [x * this.width, y * this.height] as const;
    for (const [i, line] of settings.lines.entries()) {
      const [a, b] = [px(line.points[0]), px(line.points[1])];
      drawLine(img, a[0], a[1], b[0], b[1], this.thickness, COUNT_COLOR);
      const crossings = results?.lines[i]?.crossings ?? [];
      const inCount = crossings.filter((c) => c.index <= frame.index && c.direction === 'in').length;
      const outCount = crossings.filter((c) => c.index <= frame.index && c.direction === 'out').length;
      await this.drawCount(img, `${line.name}: in ${inCount} out ${outCount}`, a[0], a[1]);
    }
    for (const [i, zone] of settings.zones.entries()) {
      const corners = zone.polygon.map((p) => px(p));
      for (let k = 0; k < corners.length; k++) {
        const [p, q] = [corners[k]!, corners[(k + 1) % corners.length]!];
        drawLine(img, p[0], p[1], q[0], q[1], this.thickness, COUNT_COLOR);
      }
      const result = results?.zones[i];
      const entered = result?.visits.filter((v) => v.enter <= frame.timestamp).length ?? 0;
      const inside = result?.occupancy.findLast((o) => o.timestamp <= frame.timestamp)?.objects ?? 0;
      await this.drawCount(img, `${zone.name}: ${inside} inside, ${entered} entered`, corners[0]![0], corners[0]![1]);
    }
  }

  private async drawCount(img: YuvImage, text: string, x: number, y: number): Promise<void> {
    const bitmap = await this.labels.get(text);
    const left = Math.min(Math.max(0, x), this.width - bitmap.width - 2);
    const top = Math.min(Math.max(0, y), this.height - bitmap.height);
    fillRect(img, left, top, left + bitmap.width + 2, top + bitmap.height, BLACK);
    blendBitmap(img, bitmap, left + 1, top, COUNT_COLOR);
  }
}
