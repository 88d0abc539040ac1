import type { Crossing, LineResult, LineSpec, Point } from '@video-detect/shared';
import { DebouncedSide, type Side } from './debounced-side.js';
import { segmentsIntersect, signedDistance } from './geometry.js';

/**
 * Crossings of one counting line. `in` is a move from the line's right side to its left side,
 * looking from its first point toward its second (api.md); `out` the reverse. A move counts only
 * when the anchor's path from its last clear position on the old side to its first on the new one
 * passes through the line segment itself (not its extension), after the debounce. Crossings wait
 * for their track to end, to carry the track's label.
 */
export class LineCounter {
  private readonly sides = new Map<number, DebouncedSide>();
  private readonly waiting = new Map<number, Array<Omit<Crossing, 'label'>>>();
  private readonly crossings: Crossing[] = [];

  /** @param points the line in pixels; `tolerance` in pixels. */
  constructor(
    private readonly spec: LineSpec,
    private readonly points: [Point, Point],
    private readonly tolerance: number,
    private readonly debounce: number,
  ) {}

  observe(trackId: number, anchor: Point, index: number, timestamp: number): void {
    const [a, b] = this.points;
    const distance = signedDistance(a, b, anchor);
    const side: Side = distance > this.tolerance ? 1 : distance < -this.tolerance ? -1 : 0;
    let state = this.sides.get(trackId);
    if (!state) this.sides.set(trackId, (state = new DebouncedSide(this.debounce)));
    const change = state.observe(side, index, timestamp, anchor);
    if (!change || !segmentsIntersect(change.before, change.after, a, b)) return;
    const crossing = { track_id: trackId, direction: change.to === -1 ? ('in' as const) : ('out' as const), index: change.index, timestamp: change.timestamp };
    const list = this.waiting.get(trackId);
    if (list) list.push(crossing);
    else this.waiting.set(trackId, [crossing]);
  }

  endTrack(trackId: number, label: string): void {
    for (const crossing of this.waiting.get(trackId) ?? []) this.crossings.push({ ...crossing, label });
    this.waiting.delete(trackId);
    this.sides.delete(trackId);
  }

  result(): LineResult {
    const crossings = [...this.crossings].sort((x, y) => x.timestamp - y.timestamp || x.track_id - y.track_id);
    const counts: LineResult['counts'] = {};
    for (const c of crossings) (counts[c.label] ??= { in: 0, out: 0 })[c.direction]++;
    return { name: this.spec.name, counts, crossings };
  }
}
