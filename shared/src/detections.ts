import { z } from 'zod';

/** [x1, y1, x2, y2] in displayed source-video pixels. */
export const boxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]).describe('[x1, y1, x2, y2] in displayed source-video pixels.');
export type Box = z.infer<typeof boxSchema>;

/**
 * One detected object. `track_id` is written by the tracking job (absent in what the detector
 * stores, and in videos not tracked): the confirmed track the box belongs to, or null.
 */
export const detectedObjectSchema = z.object({
  label: z.string(),
  class_id: z.number().int(),
  score: z.number(),
  box: boxSchema,
  track_id: z.number().int().min(1).nullable().optional(),
});
export type DetectedObject = z.infer<typeof detectedObjectSchema>;

export const frameResultSchema = z.object({
  index: z.number().int().min(0).describe('0-based index of the frame in the source video.'),
  timestamp: z.number().min(0).describe('Seconds from the start of the video.'),
  objects: z.array(detectedObjectSchema),
});
export type FrameResult = z.infer<typeof frameResultSchema>;

/** One chunk's stored result: its frames in ascending index. */
export const chunkResultSchema = z.array(frameResultSchema);
