import type { Box, DetectedObject, FrameResult, Track, TrackerSettings } from '@video-detect/shared';
import { assignPairs } from './assign-pairs.js';
import { BoxKalmanFilter } from './box-kalman-filter.js';
import { TrackStats } from './track-stats.js';

/** Least IoU for the second stage (low-score boxes to tracks seen in the previous frame), as ByteTrack. */
const SECOND_STAGE_IOU = 0.5;

type TrackStatus = 'tentative' | 'tracked' | 'lost' | 'ended';

interface TrackState {
  /** Public id, given when the track is confirmed; null while tentative (or when it died so). */
  id: number | null;
  status: TrackStatus;
  kalman: BoxKalmanFilter;
  stats: TrackStats;
  hits: number;
  lastSeen: number;
  /** The predicted box for the frame being matched. */
  predicted: Box;
}

/** A frame the tracker has not handed out yet: its objects' tracks may still be tentative. */
interface PendingFrame {
  frame: FrameResult;
  tracks: Array<TrackState | null>;
  /** Tracks that ended at this frame, handed out right after it. */
  ended: Track[];
}

/** What the tracker hands out, in order: every frame once (objects with `track_id`), and each confirmed track when it ends. */
export type TrackerEvent = { type: 'frame'; frame: FrameResult } | { type: 'ended'; track: Track };

/**
 * ByteTrack-style multi-object tracking over one video's frames, in frame order (docs/tracking.md).
 * Per frame: every track's Kalman filter predicts its box; high-score boxes are matched to tracked
 * and lost tracks (fused IoU), low-score boxes to the tracks still unmatched that were seen in the
 * previous frame (plain IoU), then the remaining high boxes to tentative tracks; what is left and
 * scores high enough starts a tentative track. A tentative track missed once dies; matched in
 * `min_hits` consecutive frames it is confirmed and numbered (1, 2, … in the order they are
 * confirmed) and its earlier boxes get the id too. A confirmed track unmatched for more than
 * `max_gap` seconds ends.
 *
 * Streaming: a frame is handed out once none of its boxes belongs to a tentative track, at most
 * `min_hits - 1` frames later, so memory holds only live tracks and those few frames.
 * Association is class-agnostic (a box's label may flicker); a track's label is the majority of its boxes.
 */
export class ByteTracker {
  private tracks: TrackState[] = [];
  private readonly pending: PendingFrame[] = [];
  private nextId = 1;
  private lastTimestamp: number | null = null;

  constructor(private readonly settings: TrackerSettings) {}

  /** Takes the next frame (ascending index and timestamp); returns what can be handed out now. */
  push(frame: FrameResult): TrackerEvent[] {
    const t = frame.timestamp;
    const dt = this.lastTimestamp === null ? 0 : Math.max(0, t - this.lastTimestamp);
    this.lastTimestamp = t;
    for (const track of this.tracks) {
      track.kalman.predict(dt, track.status === 'lost');
      track.predicted = track.kalman.box();
    }

    const { high_score, low_score, new_track_score, match_iou, min_hits } = this.settings;
    const assigned: Array<TrackState | null> = frame.objects.map(() => null);
    const match = (track: TrackState, i: number) => {
      const object = frame.objects[i]!;
      track.kalman.update(object.box);
      track.stats.add(frame.index, t, object);
      track.hits++;
      track.lastSeen = t;
      assigned[i] = track;
    };
    const high = indicesWhere(frame.objects, (o) => o.score >= high_score);
    const low = indicesWhere(frame.objects, (o) => o.score >= low_score && o.score < high_score);

    // 1. High-score boxes to confirmed tracks, tracked or lost.
    const pool = this.tracks.filter((tr) => tr.status === 'tracked' || tr.status === 'lost');
    const first = associate(pool, frame.objects, high, 1 - match_iou, true);
    for (const [tr, i] of first.matches) {
      match(tr, i);
      tr.status = 'tracked';
    }
    // 2. Low-score boxes to the tracks seen in the previous frame that are still unmatched.
    const recent = first.tracks.filter((tr) => tr.status === 'tracked');
    const second = associate(recent, frame.objects, low, 1 - SECOND_STAGE_IOU, false);
    for (const [tr, i] of second.matches) match(tr, i);
    for (const tr of second.tracks) tr.status = 'lost';
    // 3. Remaining high-score boxes to tentative tracks; a tentative track missed once dies.
    const tentative = this.tracks.filter((tr) => tr.status === 'tentative');
    const third = associate(tentative, frame.objects, first.objects, 1 - match_iou, true);
    for (const [tr, i] of third.matches) {
      match(tr, i);
      if (tr.hits >= min_hits) this.confirm(tr);
    }
    for (const tr of third.tracks) tr.status = 'ended';
    // 4. New tentative tracks.
    for (const i of third.objects) {
      const object = frame.objects[i]!;
      if (object.score < new_track_score) continue;
      const track: TrackState = { id: null, status: 'tentative', kalman: new BoxKalmanFilter(object.box), stats: new TrackStats(), hits: 0, lastSeen: t, predicted: object.box };
      match(track, i);
      if (track.hits >= min_hits) this.confirm(track);
      this.tracks.push(track);
    }
    // 5. Lost tracks end after max_gap.
    const ended: Track[] = [];
    for (const tr of this.tracks) {
      if (tr.status === 'lost' && t - tr.lastSeen > this.settings.max_gap) ended.push(this.end(tr));
    }
    this.tracks = this.tracks.filter((tr) => tr.status !== 'ended');
    this.pending.push({ frame, tracks: assigned, ended });
    return this.flush(false);
  }

  /** The video ended: every live track ends, and every frame still held is handed out. */
  finish(): TrackerEvent[] {
    const ended = this.tracks.filter((tr) => tr.id !== null).map((tr) => this.end(tr));
    for (const tr of this.tracks) tr.status = 'ended';
    this.tracks = [];
    const events = this.flush(true);
    for (const track of ended) events.push({ type: 'ended', track });
    return events;
  }

  private confirm(track: TrackState): void {
    track.id = this.nextId++;
    track.status = 'tracked';
  }

  private end(track: TrackState): Track {
    track.status = 'ended';
    return track.stats.toTrack(track.id!);
  }

  private flush(all: boolean): TrackerEvent[] {
    const events: TrackerEvent[] = [];
    while (this.pending.length > 0) {
      const next = this.pending[0]!;
      if (!all && next.tracks.some((tr) => tr !== null && tr.id === null && tr.status === 'tentative')) break;
      this.pending.shift();
      const objects = next.frame.objects.map((o, i): DetectedObject => ({ ...o, track_id: next.tracks[i]?.id ?? null }));
      events.push({ type: 'frame', frame: { ...next.frame, objects } });
      for (const track of next.ended) events.push({ type: 'ended', track });
    }
    return events;
  }
}

/** Matches `tracks` (by predicted box) to the objects at `candidates`; returns the pairs and what is left of both. */
function associate(tracks: TrackState[], objects: DetectedObject[], candidates: number[], limit: number, fuseScore: boolean) {
  if (tracks.length === 0 || candidates.length === 0) return { matches: [] as Array<[TrackState, number]>, tracks, objects: candidates };
  const cost = new Float64Array(tracks.length * candidates.length);
  for (const [r, tr] of tracks.entries()) {
    for (const [c, i] of candidates.entries()) {
      const object = objects[i]!;
      cost[r * candidates.length + c] = 1 - iou(tr.predicted, object.box) * (fuseScore ? object.score : 1);
    }
  }
  const { matches, unmatchedRows, unmatchedCols } = assignPairs(cost, tracks.length, candidates.length, limit);
  return {
    matches: matches.map(([r, c]): [TrackState, number] => [tracks[r]!, candidates[c]!]),
    tracks: unmatchedRows.map((r) => tracks[r]!),
    objects: unmatchedCols.map((c) => candidates[c]!),
  };
}

/** Intersection over union of two [x1, y1, x2, y2] boxes. */
export function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

function indicesWhere<T>(items: readonly T[], keep: (item: T) => boolean): number[] {
  const out: number[] = [];
  for (const [i, item] of items.entries()) if (keep(item)) out.push(i);
  return out;
}
