import { z } from '../http/zod.js';
import { boxSchema, trackSchema, videoPath, type Track } from '@video-detect/shared';
import { classQuery, formField, pageQuery } from '../videos/video-schemas.js';

export const trackParamsSchema = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: '7d3f4c1e-0d6b-4f54-9a57-3f0d2a0e6a11' }),
  track_id: z.coerce.number().int().min(1).openapi({ param: { name: 'track_id', in: 'path' }, type: 'integer', example: 1 }),
});

export const tracksQuerySchema = z.object({
  ...pageQuery(100, 1000),
  class: classQuery,
  min_duration: formField(z.coerce.number().min(0)).openapi({ type: 'number', description: 'Keep only tracks lasting at least this many seconds (end - start).' }),
});

export const segmentsQuerySchema = z.object({
  class: classQuery,
  gap: formField(z.coerce.number().min(0).max(3600)).openapi({ type: 'number', description: 'Join presence intervals apart by at most this many seconds. Default 1.' }),
});

export const timelineQuerySchema = z.object({
  bucket: formField(z.coerce.number().min(0.01).max(86400)).openapi({ type: 'number', description: 'Bucket length in seconds, e.g. 1 or 60. Default 1. At most 10000 buckets per video.' }),
  class: classQuery,
});

const example = { id: 3, label: 'person', class_id: 0, first_frame: 506, last_frame: 696, start: 50.6, end: 69.6, frames: 191, max_score: 0.91, mean_score: 0.8434, best: { index: 560, box: [402.1, 118.5, 508.3, 430.2], score: 0.91 } };
const bestWithFrame = trackSchema.shape.best.extend({
  frame: z.string().describe("The best box's frame as a JPEG with its boxes drawn (GET /api/v1/videos/{id}/frames/{index}.jpg?boxes=true)."),
});
export const trackResourceSchema = z
  .object({ ...trackSchema.shape, best: bestWithFrame })
  .openapi('Track', { example: { ...example, best: { ...example.best, frame: '/api/v1/videos/7d3f4c1e-0d6b-4f54-9a57-3f0d2a0e6a11/frames/560.jpg?boxes=true' } } });

/** A stored track as answered: its best box links to its frame snapshot. */
export const withFrameLink = <T extends Track>(videoId: string, track: T) => ({ ...track, best: { ...track.best, frame: `${videoPath(videoId)}/frames/${track.best.index}.jpg?boxes=true` } });

export const trackListSchema = z
  .object({ items: z.array(trackResourceSchema), next_offset: z.number().int().nullable().openapi({ description: 'Offset of the next page; null at the end.' }) })
  .openapi('TrackList');

export const trackWithPathSchema = z
  .object({
    ...trackSchema.shape,
    best: bestWithFrame,
    path: z.array(z.object({ index: z.number().int(), timestamp: z.number(), box: boxSchema, score: z.number() })).describe('Every box of the track, in frame order.'),
  })
  .openapi('TrackWithPath');

export const segmentListSchema = z
  .object({
    items: z.array(
      z.object({
        label: z.string(),
        start: z.number().describe('Time of the first frame with such an object, seconds.'),
        end: z.number().describe('Time of the last frame with such an object, seconds.'),
        max_objects: z.number().int().describe('Most objects of the label in one frame of the segment.'),
      }),
    ),
  })
  .openapi('SegmentList', { example: { items: [{ label: 'person', start: 6.3, end: 19.4, max_objects: 1 }] } });

export const timelineSchema = z
  .object({
    bucket: z.number().describe('Bucket length, seconds.'),
    items: z.array(
      z.object({
        start: z.number().describe('Start of the bucket, seconds.'),
        label: z.string(),
        tracks: z.number().int().describe('Distinct tracks of the label with a box in the bucket.'),
        max_objects: z.number().int().describe('Most objects of the label in one frame of the bucket.'),
      }),
    ),
  })
  .openapi('Timeline', { example: { bucket: 60, items: [{ start: 0, label: 'person', tracks: 2, max_objects: 1 }] } });

export type SegmentList = z.input<typeof segmentListSchema>;
export type Timeline = z.input<typeof timelineSchema>;
