import { z } from 'zod';
import { EXECUTION_PROVIDERS, videoStatuses } from '@video-detect/shared';

/** Multipart text fields arrive as strings; an empty field counts as not given. */
const formField = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

const labelList = z
  .string()
  .max(4096)
  .transform((s) => s.split(',').map((c) => c.trim()))
  .pipe(z.array(z.string().min(1, 'empty class name').max(64)).min(1).max(100));

export const uploadFieldsSchema = z.object({
  sample_fps: formField(z.coerce.number().positive().max(1000))
    .openapi({ type: 'number', description: 'Analyse at most this many frames per second (default: every frame).', example: 5 }),
  min_score: formField(z.coerce.number().min(0).max(1))
    .openapi({ type: 'number', description: 'Drop boxes scoring below this (0..1). Default: the detector threshold.', example: 0.4 }),
  classes: formField(labelList)
    .openapi({ type: 'string', description: 'Comma-separated labels to keep, e.g. "person,bottle". Default: all.', example: 'person,bottle' }),
});

/** The multipart body as documented: the fields above plus the file. */
export const uploadBodySchema = uploadFieldsSchema
  .extend({ video: z.string().openapi({ type: 'string', format: 'binary', description: 'The video file.' }) })
  .openapi('VideoUpload');

export const videoIdParamsSchema = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: '7d3f4c1e-0d6b-4f54-9a57-3f0d2a0e6a11' }),
});

const pageQuery = (defaultLimit: number, maxLimit: number) => ({
  offset: z.coerce.number().int().min(0).default(0).openapi({ description: 'Items to skip.' }),
  limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit).openapi({ description: `Page size (1..${maxLimit}).` }),
});

export const listQuerySchema = z.object(pageQuery(20, 100));

export const detectionsQuerySchema = z.object({
  ...pageQuery(100, 1000),
  class: formField(labelList).openapi({ type: 'string', description: 'Comma-separated labels: keep only these objects.' }),
  min_score: formField(z.coerce.number().min(0).max(1)).openapi({ type: 'number', description: 'Keep only objects scoring at least this.' }),
});

const objectSchema = z
  .object({
    label: z.string().openapi({ example: 'bottle' }),
    class_id: z.number().int(),
    score: z.number(),
    box: z.array(z.number()).length(4).openapi({ description: '[x1, y1, x2, y2] in displayed source-video pixels.' }),
  })
  .openapi('DetectedObject');

export const frameSchema = z
  .object({
    index: z.number().int().openapi({ description: '0-based index of the frame in the source video.' }),
    timestamp: z.number().openapi({ description: 'Seconds from the start of the video.' }),
    objects: z.array(objectSchema),
  })
  .openapi('Frame');

export const videoResourceSchema = z
  .object({
    id: z.string().uuid(),
    status: z.enum(videoStatuses),
    filename: z.string(),
    size_bytes: z.number().int(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    video: z
      .object({
        duration: z.number().nullable(),
        fps: z.number().nullable(),
        width: z.number().int().openapi({ description: 'Displayed width (after rotation).' }),
        height: z.number().int(),
        frame_count: z.number().int().nullable(),
        codec: z.string(),
        rotation: z.number().int(),
      })
      .nullable(),
    options: z.object({ sample_fps: z.number().nullable(), min_score: z.number().nullable(), classes: z.array(z.string()).nullable() }),
    progress: z.object({
      frames_total: z.number().int().nullable(),
      frames_done: z.number().int(),
      chunks_total: z.number().int().nullable(),
      chunks_done: z.number().int(),
    }),
    model: z
      .object({
        name: z.string(),
        input_size: z.array(z.number().int()),
        execution_provider: z.enum(EXECUTION_PROVIDERS).optional().openapi({ description: 'ONNX Runtime execution provider that computed the boxes' }),
      })
      .nullable(),
    summary: z.record(z.string(), z.object({ frames: z.number().int(), max_score: z.number() })).nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    links: z.object({ self: z.string(), detections: z.string() }),
  })
  .openapi('Video');
export type VideoResource = z.infer<typeof videoResourceSchema>;

export const videoListSchema = z
  .object({ items: z.array(videoResourceSchema), next_offset: z.number().int().nullable() })
  .openapi('VideoList');

export const detectionsPageSchema = z
  .object({
    video_id: z.string().uuid(),
    status: z.enum(videoStatuses),
    frames: z.array(frameSchema),
    next_offset: z.number().int().nullable().openapi({ description: 'Offset of the next page; null at the end.' }),
  })
  .openapi('DetectionsPage');
