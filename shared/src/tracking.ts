import { z } from 'zod';
import { boxSchema } from './detections.js';

const score = (description: string) => z.number().min(0).max(1).describe(description);

/**
 * The tracker's settings (docs/tracking.md). Times are seconds, never frames, so `sample_fps`
 * does not change what a "short gap" means.
 */
export const trackerSettingsSchema = z
  .object({
    high_score: score('Boxes scoring at least this are matched first and may start tracks.'),
    low_score: score("Boxes scoring from this up to high_score are matched second, only to tracks seen in the previous frame (ByteTrack's second stage); lower ones are never tracked."),
    new_track_score: score('An unmatched box starts a new (tentative) track only when it scores at least this.'),
    match_iou: score('Least overlap (IoU, weighted by the box score) for a first-stage match between a track and a box.'),
    min_hits: z.number().int().min(1).max(30).describe('Consecutive analysed frames a new track must be matched in before it is confirmed and gets an id.'),
    max_gap: z.number().min(0).max(60).describe('Seconds a confirmed track is kept without a matching box (occlusion, missed detections) before it ends.'),
  })
  .superRefine((s, ctx) => {
    if (s.low_score > s.high_score) ctx.addIssue({ code: 'custom', path: ['low_score'], message: `must not exceed high_score (${s.high_score})` });
  });
export type TrackerSettings = z.infer<typeof trackerSettingsSchema>;

export const DEFAULT_TRACKER_SETTINGS: TrackerSettings = {
  high_score: 0.5,
  low_score: 0.1,
  new_track_score: 0.6,
  match_iou: 0.2,
  min_hits: 3,
  max_gap: 1,
};

/** Settings as a client gives them: any subset, the rest taken from `base` (the video's, or the defaults). */
export const trackerSettingsInputSchema = z.object(
  Object.fromEntries(Object.entries(trackerSettingsSchema.shape).map(([k, v]) => [k, v.optional()])) as {
    [K in keyof TrackerSettings]: z.ZodOptional<(typeof trackerSettingsSchema.shape)[K]>;
  },
);
export type TrackerSettingsInput = z.infer<typeof trackerSettingsInputSchema>;

/** A confirmed track of one video, as stored when it ends and as `/tracks` answers it. */
export const trackSchema = z.object({
  id: z.number().int().min(1).describe('Unique within the video; the `track_id` of its boxes in /detections.'),
  label: z.string().describe('The most frequent label among its boxes (ties: the higher summed score).'),
  class_id: z.number().int(),
  first_frame: z.number().int().min(0),
  last_frame: z.number().int().min(0),
  start: z.number().min(0).describe('Timestamp of the first frame, seconds.'),
  end: z.number().min(0).describe('Timestamp of the last frame, seconds.'),
  frames: z.number().int().min(1).describe('Analysed frames with a box of this track.'),
  max_score: z.number(),
  mean_score: z.number(),
  best: z.object({ index: z.number().int().min(0), box: boxSchema, score: z.number() }).describe('Its highest-scoring box.'),
});
export type Track = z.infer<typeof trackSchema>;
