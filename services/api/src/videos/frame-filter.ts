import type { VideoRecord } from '@video-detect/shared';
import type { TrackService } from '../tracks/track-service.js';
import type { ObjectFilter } from './detections-page.js';
import type { TimeRange } from './frame-window.js';
import type { DetectionFilterQuery } from './video-schemas.js';

/** The filters of /detections and the exports: objects by class, score and track; frames by time, and by the track's span when a track is named. */
export async function frameFilterOf(tracks: TrackService, record: VideoRecord, query: DetectionFilterQuery): Promise<ObjectFilter & TimeRange> {
  let range: TimeRange = { from: query.from ?? null, to: query.to ?? null };
  if (query.track_id !== undefined) {
    const track = await tracks.get(record, query.track_id);
    range = { from: Math.max(range.from ?? 0, track.start), to: Math.min(range.to ?? Infinity, track.end) };
  }
  return { classes: query.class ? new Set(query.class) : null, minScore: query.min_score ?? null, trackId: query.track_id ?? null, ...range };
}
