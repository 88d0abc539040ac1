import type { Anchor, Box, Point } from '@video-detect/shared';

/** The point of a box that stands for the object (docs/tracking.md, "Anchor"). */
export function anchorOf([x1, y1, x2, y2]: Box, anchor: Anchor): Point {
  const x = (x1 + x2) / 2;
  switch (anchor) {
    case 'bottom_center':
      return [x, y2];
    case 'center':
      return [x, (y1 + y2) / 2];
    case 'top_center':
      return [x, y1];
  }
}

/** Fractions of the displayed frame to its pixels. */
export function toPixels(points: readonly Point[], width: number, height: number): Point[] {
  return points.map(([x, y]) => [x * width, y * height]);
}

/**
 * Signed distance (pixels) of `p` from the line through `a` and `b`: positive on its right, as seen
 * looking from `a` toward `b` in the displayed image (y grows downward, so this is the usual cross
 * product's sign).
 */
export function signedDistance(a: Point, b: Point, p: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  return (dx * (p[1] - a[1]) - dy * (p[0] - a[0])) / Math.hypot(dx, dy);
}

/** Whether segments pq and ab meet (touching counts). */
export function segmentsIntersect(p: Point, q: Point, a: Point, b: Point): boolean {
  const d1 = cross(a, b, p);
  const d2 = cross(a, b, q);
  const d3 = cross(p, q, a);
  const d4 = cross(p, q, b);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  return (d1 === 0 && onSegment(a, b, p)) || (d2 === 0 && onSegment(a, b, q)) || (d3 === 0 && onSegment(p, q, a)) || (d4 === 0 && onSegment(p, q, b));
}

/** Even-odd rule: whether `p` is inside the polygon (either winding). */
export function insidePolygon(polygon: readonly Point[], [x, y]: Point): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Distance (pixels) from `p` to the nearest edge of the polygon. */
export function distanceToEdges(polygon: readonly Point[], p: Point): number {
  let best = Infinity;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) best = Math.min(best, distanceToSegment(polygon[j]!, polygon[i]!, p));
  return best;
}

function distanceToSegment(a: Point, b: Point, p: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const length2 = dx * dx + dy * dy;
  const u = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2));
  return Math.hypot(p[0] - (a[0] + u * dx), p[1] - (a[1] + u * dy));
}

function cross(a: Point, b: Point, p: Point): number {
  return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
}

function onSegment(a: Point, b: Point, p: Point): boolean {
  return Math.min(a[0], b[0]) <= p[0] && p[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= p[1] && p[1] <= Math.max(a[1], b[1]);
}
