import { z } from 'zod';

/** One detected object; `box` is [x1, y1, x2, y2] in displayed source-video pixels. */
export const detectedObjectSchema = z.object({
  label: z.string(),
  class_id: z.number().int(),
  score: z.number(),
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]).describe('[x1, y1, x2, y2] in displayed source-video pixels.'),
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
