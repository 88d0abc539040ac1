import type { Frame } from '../api/http';
import { classColor, cssColor } from './colors';

export type Point = [number, number];

export interface Shapes {
  lines: { name: string; points: Point[] }[];
  zones: { name: string; polygon: Point[] }[];
  /** Points clicked so far for the shape being drawn. */
  draft: Point[];
}

export interface OverlayFilter {
  hidden: ReadonlySet<string>;
  minScore: number;
}

/**
 * Draws one analysed frame's boxes (label, score, track id; one colour per class) and the counting
 * shapes on a canvas laid over the video. Boxes are in displayed source pixels; `scale` maps them
 * to canvas pixels. Line and zone points are fractions of the frame.
 */
export function drawOverlay(ctx: CanvasRenderingContext2D, frame: Frame | null, filter: OverlayFilter, shapes: Shapes, scale: number): void {
  const { width, height } = ctx.canvas;
  ctx.clearRect(0, 0, width, height);
  const px = Math.max(1, window.devicePixelRatio || 1);
  ctx.lineWidth = 3 * px;
  ctx.font = `${Math.round(13 * px)}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  for (const object of frame?.objects ?? []) {
    if (filter.hidden.has(object.label) || object.score < filter.minScore) continue;
    const [x1, y1, x2, y2] = object.box.map((v) => v * scale) as [number, number, number, number];
    const color = cssColor(classColor(object.label));
    ctx.strokeStyle = color;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const text = `${object.label} ${object.score.toFixed(2)}${object.track_id ? ` #${object.track_id}` : ''}`;
    const textWidth = ctx.measureText(text).width + 6 * px;
    const textHeight = 17 * px;
    const ty = y1 - textHeight >= 0 ? y1 - textHeight : y1;
    ctx.fillStyle = color;
    ctx.fillRect(x1 - ctx.lineWidth / 2, ty, textWidth, textHeight);
    ctx.fillStyle = '#000';
    ctx.fillText(text, x1 + 3 * px - ctx.lineWidth / 2, ty + 2 * px);
  }
  const at = ([x, y]: Point): Point => [x * width, y * height];
  ctx.lineWidth = 2 * px;
  ctx.setLineDash([8 * px, 5 * px]);
  ctx.strokeStyle = '#fff';
  ctx.fillStyle = '#fff';
  for (const line of shapes.lines) path(ctx, line.points.map(at), false, line.name);
  for (const zone of shapes.zones) path(ctx, zone.polygon.map(at), true, zone.name);
  if (shapes.draft.length > 0) path(ctx, shapes.draft.map(at), false, '');
  ctx.setLineDash([]);
}

function path(ctx: CanvasRenderingContext2D, points: Point[], closed: boolean, name: string): void {
  if (points.length === 0) return;
  ctx.beginPath();
  points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
  if (closed) ctx.closePath();
  ctx.stroke();
  for (const [x, y] of points) ctx.fillRect(x - 3, y - 3, 6, 6);
  if (name) ctx.fillText(name, points[0]![0] + 6, points[0]![1] + 6);
}
