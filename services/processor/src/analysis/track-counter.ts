import type { AnalysisResults, AnalysisSettings, FrameResult } from '@video-detect/shared';
import { ByteTracker, type TrackerEvent } from '../tracking/byte-tracker.js';
import { anchorOf, toPixels } from './geometry.js';
import { LineCounter } from './line-counter.js';
import { ZoneCounter } from './zone-counter.js';

/**
 * Counts what the tracker hands out against an analysis's lines and zones. Only boxes of confirmed
 * tracks (a `track_id`) count; a track's state is dropped when it ends, so memory holds only live tracks.
 */
export class TrackCounter {
  private readonly lines: LineCounter[];
  private readonly zones: ZoneCounter[];
  private readonly counters: Array<LineCounter | ZoneCounter>;

  /** @param size the displayed frame in pixels: lines, zones and the tolerance are given relative to it. */
  constructor(
    private readonly settings: AnalysisSettings,
    size: { width: number; height: number },
  ) {
    const { width, height } = size;
    const tolerance = settings.tolerance * Math.hypot(width, height);
    this.lines = settings.lines.map((l) => {
      const [a, b] = toPixels(l.points, width, height);
      return new LineCounter(l, [a!, b!], tolerance, settings.debounce);
    });
    this.zones = settings.zones.map((z) => new ZoneCounter(z, toPixels(z.polygon, width, height), tolerance, settings.debounce));
    this.counters = [...this.lines, ...this.zones];
  }

  add(event: TrackerEvent): void {
    if (event.type === 'ended') {
      for (const counter of this.counters) counter.endTrack(event.track.id, event.track.label);
      return;
    }
    const { index, timestamp, objects } = event.frame;
    for (const object of objects) {
      if (object.track_id === null || object.track_id === undefined) continue;
      const anchor = anchorOf(object.box, this.settings.anchor);
      for (const counter of this.counters) counter.observe(object.track_id, anchor, index, timestamp);
    }
  }

  results(): AnalysisResults {
    return { lines: this.lines.map((l) => l.result()), zones: this.zones.map((z) => z.result()) };
  }
}

/** Tracks a video's frames (batches in frame order) with the analysis's tracker settings and counts them. */
export async function analyseFrames(batches: AsyncIterable<FrameResult[]> | Iterable<FrameResult[]>, settings: AnalysisSettings, size: { width: number; height: number }): Promise<AnalysisResults> {
  const tracker = new ByteTracker(settings.tracker);
  const counter = new TrackCounter(settings, size);
  for await (const frames of batches) {
    for (const frame of frames) for (const event of tracker.push(frame)) counter.add(event);
  }
  for (const event of tracker.finish()) counter.add(event);
  return counter.results();
}
