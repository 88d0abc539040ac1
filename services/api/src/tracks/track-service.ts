import { chunkLayoutOf, VideoStatus, type ChunkLayout, type Track, type VideoRecord } from '@video-detect/shared';
import type { AppContext } from '../context.js';
import { HttpError, notFound } from '../http/http-error.js';
import { frameWindow, windowFrames, type FrameWindow } from '../videos/frame-window.js';
import { SegmentBuilder, TimelineBuilder } from './presence.js';
import type { SegmentList, Timeline } from './track-schemas.js';

/** Most buckets one timeline answers (the client picks a larger bucket for a longer video). */
export const MAX_TIMELINE_BUCKETS = 10_000;
/** Most tracks one page of /tracks examines; with filters that match rarely a page may come back short, with `next_offset` to go on. */
const MAX_TRACKS_SCANNED = 5_000;
/** Default for /segments: intervals apart by at most this many seconds are one segment. */
export const DEFAULT_SEGMENT_GAP = 1;

export interface TrackFilter {
  classes: ReadonlySet<string> | null;
  minDuration: number | null;
}

/** Tracks, segments and the timeline of a completed, tracked video, read from the tracking job's output. */
export class TrackService {
  constructor(private readonly ctx: AppContext) {}

  /** The video's chunk layout; 409 unless it is completed and was tracked. */
  tracked(record: VideoRecord): ChunkLayout {
    const layout = chunkLayoutOf(record);
    if (record.status !== VideoStatus.Completed || !layout) throw new HttpError(409, 'video_not_completed', `The video is ${record.status}: tracks come with a completed video.`);
    if (!record.options.tracking) throw new HttpError(409, 'tracking_off', 'Tracking was switched off for this video at upload; POST an analysis to count lines and zones from its boxes.');
    return layout;
  }

  /** `offset` counts tracks in id order (filters do not change what it counts, as with /detections). */
  async page(record: VideoRecord, offset: number, limit: number, filter: TrackFilter): Promise<{ items: Track[]; next_offset: number | null }> {
    this.tracked(record);
    const count = await this.ctx.tracks.count(record.id);
    const items: Track[] = [];
    for (let next = offset + 1; next <= count; ) {
      const last = Math.min(count, next + Math.max(limit, 100) - 1);
      for (const track of await this.ctx.tracks.range(record.id, next, last)) {
        if (items.length === limit) return { items, next_offset: track.id - 1 };
        const long = filter.minDuration === null || track.end - track.start >= filter.minDuration;
        if (long && (!filter.classes || filter.classes.has(track.label))) items.push(track);
      }
      next = last + 1;
      if (next - offset - 1 >= MAX_TRACKS_SCANNED && next <= count) return { items, next_offset: next - 1 };
    }
    return { items, next_offset: null };
  }

  async get(record: VideoRecord, trackId: number): Promise<Track> {
    this.tracked(record);
    const track = await this.ctx.tracks.get(record.id, trackId);
    if (!track) throw notFound('track');
    return track;
  }

  /** The track and every box of it in frame order, read from the chunks its time span covers. */
  async withPath(record: VideoRecord, trackId: number): Promise<Track & { path: Array<{ index: number; timestamp: number; box: Track['best']['box']; score: number }> }> {
    const track = await this.get(record, trackId);
    const layout = this.tracked(record);
    const path = [];
    for await (const frames of windowFrames(this.ctx.videos, record.id, layout, await this.windowOf(record, layout, track))) {
      for (const f of frames) for (const o of f.objects) if (o.track_id === trackId) path.push({ index: f.index, timestamp: f.timestamp, box: o.box, score: o.score });
    }
    return { ...track, path };
  }

  async segments(record: VideoRecord, classes: ReadonlySet<string> | null, gap: number): Promise<SegmentList> {
    const layout = this.tracked(record);
    const builder = new SegmentBuilder(await this.ctx.tracks.labels(record.id), gap, classes);
    for await (const frames of windowFrames(this.ctx.videos, record.id, layout, { first: 0, end: layout.framesTotal })) for (const f of frames) builder.add(f);
    return { items: builder.result() };
  }

  async timeline(record: VideoRecord, bucket: number, classes: ReadonlySet<string> | null): Promise<Timeline> {
    const layout = this.tracked(record);
    const duration = record.video?.duration ?? 0;
    if (duration / bucket > MAX_TIMELINE_BUCKETS) {
      throw new HttpError(400, 'invalid_request', `Invalid query parameters: bucket: too small for a ${duration} s video (at most ${MAX_TIMELINE_BUCKETS} buckets: at least ${Math.ceil((duration / MAX_TIMELINE_BUCKETS) * 1000) / 1000} s)`);
    }
    const builder = new TimelineBuilder(await this.ctx.tracks.labels(record.id), bucket, classes);
    for await (const frames of windowFrames(this.ctx.videos, record.id, layout, { first: 0, end: layout.framesTotal })) for (const f of frames) builder.add(f);
    return { bucket, items: builder.result() };
  }

  /** The analysed frames of a track's time span. */
  windowOf(record: VideoRecord, layout: ChunkLayout, track: Track): Promise<FrameWindow> {
    return frameWindow(this.ctx.videos, record.id, layout, { from: track.start, to: track.end });
  }
}
