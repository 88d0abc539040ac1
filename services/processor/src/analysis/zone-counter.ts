import type { Point, Visit, ZoneResult, ZoneSpec } from '@video-detect/shared';
import { DebouncedSide, type Side } from './debounced-side.js';
import { distanceToEdges, insidePolygon } from './geometry.js';

interface TrackInZone {
  side: DebouncedSide;
  /** The open visit: when it began and the last time the anchor was seen not clearly outside. */
  open: { enter: number; lastInside: number } | null;
  visits: Array<Omit<Visit, 'label'>>;
}

/**
 * Entries, exits, dwell and occupancy of one zone. A track starts outside; it enters when its
 * anchor has been clearly inside (beyond the tolerance band around the edges) for the debounce,
 * and exits the same way. A track that ends inside closes its visit at its last frame inside
 * (`exited: false`). Visits wait for their track to end, to carry the track's label.
 */
export class ZoneCounter {
  private readonly tracks = new Map<number, TrackInZone>();
  private readonly visits: Visit[] = [];

  /** @param polygon the zone in pixels; `tolerance` in pixels. */
  constructor(
    private readonly spec: ZoneSpec,
    private readonly polygon: Point[],
    private readonly tolerance: number,
    private readonly debounce: number,
  ) {}

  observe(trackId: number, anchor: Point, index: number, timestamp: number): void {
    const near = distanceToEdges(this.polygon, anchor) <= this.tolerance;
    const side: Side = near ? 0 : insidePolygon(this.polygon, anchor) ? 1 : -1;
    let state = this.tracks.get(trackId);
    if (!state) this.tracks.set(trackId, (state = { side: new DebouncedSide(this.debounce, -1), open: null, visits: [] }));
    const change = state.side.observe(side, index, timestamp, anchor);
    if (change?.to === 1) {
      state.open = { enter: change.timestamp, lastInside: timestamp };
    } else if (change?.to === -1 && state.open) {
      state.visits.push(visit(trackId, state.open.enter, change.timestamp, true));
      state.open = null;
    } else if (state.open && side !== -1) {
      state.open.lastInside = timestamp;
    }
  }

  endTrack(trackId: number, label: string): void {
    const state = this.tracks.get(trackId);
    if (!state) return;
    if (state.open) state.visits.push(visit(trackId, state.open.enter, state.open.lastInside, false));
    for (const v of state.visits) this.visits.push({ ...v, label });
    this.tracks.delete(trackId);
  }

  result(): ZoneResult {
    const visits = [...this.visits].sort((x, y) => x.enter - y.enter || x.track_id - y.track_id);
    const counts: ZoneResult['counts'] = {};
    for (const v of visits) {
      const c = (counts[v.label] ??= { entries: 0, exits: 0 });
      c.entries++;
      if (v.exited) c.exits++;
    }
    const { occupancy, max } = occupancyOf(visits);
    return { name: this.spec.name, counts, visits, occupancy, max_occupancy: max };
  }
}

function visit(trackId: number, enter: number, exit: number, exited: boolean): Omit<Visit, 'label'> {
  return { track_id: trackId, enter, exit, dwell: Math.round((exit - enter) * 1e6) / 1e6, exited };
}

/** Objects inside over time: a point wherever the count changes (exits before entries at the same time). */
function occupancyOf(visits: readonly Visit[]): { occupancy: ZoneResult['occupancy']; max: number } {
  const events = visits.flatMap((v) => [
    { t: v.enter, delta: 1 },
    { t: v.exit, delta: -1 },
  ]);
  events.sort((x, y) => x.t - y.t || x.delta - y.delta);
  const occupancy: ZoneResult['occupancy'] = [];
  let count = 0;
  let max = 0;
  for (const [i, e] of events.entries()) {
    count += e.delta;
    max = Math.max(max, count);
    if (events[i + 1]?.t === e.t) continue;
    if (occupancy.at(-1)?.objects !== count) occupancy.push({ timestamp: e.t, objects: count });
  }
  return { occupancy, max };
}
