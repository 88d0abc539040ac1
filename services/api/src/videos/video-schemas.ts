import { z } from '../http/zod.js';
import {
  analysisRequestSchema,
  CLIENT_TAG_MAX_LENGTH,
  clientTagSchema,
  detectedObjectSchema,
  frameResultSchema,
  trackerSettingsInputSchema,
  videoResourceSchema as sharedVideoResourceSchema,
  videoStatuses,
} from '@video-detect/shared';

/** Multipart text fields arrive as strings; an empty field counts as not given. */
export const formField = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

const labelList = z
  .string()
  .max(4096)
  .transform((s) => s.split(',').map((c) => c.trim()))
  .pipe(z.array(z.string().min(1, 'empty class name').max(64)).min(1).max(100));

/** A form field or query value holding JSON, checked against `schema`; bad JSON is an issue of that field. */
export const jsonText = <S extends z.ZodType>(schema: S) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

/**
 * The upload's optional fields. Swagger UI's "Try it out" fills each form field with its `example`,
 * or else a made-up sample (0 for a number, "string" for a string), so a person who only picks a
 * file would upload with sampling or a class filter. The example is therefore the empty field (read
 * as "not given"): the form starts as a default request; values to try are in the descriptions.
 */
export const uploadFieldsSchema = z.object({
  sample_fps: formField(z.coerce.number().positive().max(1000))
    .openapi({ type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 1000, example: '', description: 'Analyse at most this many frames per second, e.g. 5. Default: every frame.' }),
  min_score: formField(z.coerce.number().min(0).max(1))
    .openapi({ type: 'number', minimum: 0, maximum: 1, example: '', description: 'Drop boxes scoring below this (0..1), e.g. 0.4. Default: the detector threshold.' }),
  classes: formField(labelList)
    .openapi({ type: 'string', example: '', description: 'Comma-separated labels to keep, e.g. "person,bottle". Default: all.' }),
  tracking: formField(z.enum(['true', 'false']).transform((v) => v === 'true'))
    .openapi({ type: 'string', example: '', description: '"false" switches tracking off (no track_id, tracks, segments or timeline). Default: "true".' }),
  tracker: formField(jsonText(trackerSettingsInputSchema))
    .openapi({ type: 'string', example: '', description: 'Tracker settings as JSON, any of high_score, low_score, new_track_score, match_iou, min_hits, max_gap (seconds), e.g. {"max_gap": 2}. Default: docs/tracking.md.' }),
  analysis: formField(jsonText(analysisRequestSchema)).openapi({
    type: 'string',
    example: '',
    description: 'Lines and zones to count once the video is analysed, as JSON: the body of POST /api/v1/videos/{id}/analyses, e.g. {"lines": [{"name": "door", "points": [[0.75, 0], [0.75, 1]]}]}. Its analysis is listed at /analyses.',
  }),
  client_tag: formField(clientTagSchema).openapi({
    type: 'string',
    example: '',
    description: `Your own reference for this job (1..${CLIENT_TAG_MAX_LENGTH} characters, e.g. "camera-3/2024-05-01"): echoed in the resource and its events, and a filter of GET /videos and GET /events.`,
  }),
});

export const videoIdParamsSchema = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: '7d3f4c1e-0d6b-4f54-9a57-3f0d2a0e6a11' }),
});

export const pageQuery = (defaultLimit: number, maxLimit: number) => ({
  offset: z.coerce.number().int().min(0).default(0).openapi({ description: 'Items to skip.' }),
  limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit).openapi({ description: `Page size (1..${maxLimit}).` }),
});

export const clientTagQuery = formField(clientTagSchema).openapi({ type: 'string', description: 'Only the videos uploaded with this `client_tag`.' });

export const listQuerySchema = z.object({ ...pageQuery(20, 100), client_tag: clientTagQuery });

export const classQuery = formField(labelList).openapi({ type: 'string', description: 'Comma-separated labels: keep only these.' });

/** The object and time filters of /detections, shared by the exports. */
export { timeRangeIssue };
export const detectionFilterFields = {
    class: classQuery,
    min_score: formField(z.coerce.number().min(0).max(1)).openapi({ type: 'number', minimum: 0, maximum: 1, description: 'Keep only objects scoring at least this (0..1).' }),
    track_id: formField(z.coerce.number().int().min(1)).openapi({ type: 'integer', minimum: 1, description: "Keep only this track's boxes, and only the frames of its time span." }),
    from: formField(z.coerce.number().min(0)).openapi({ type: 'number', minimum: 0, description: 'Only frames at or after this time (seconds).' }),
    to: formField(z.coerce.number().min(0)).openapi({ type: 'number', minimum: 0, description: 'Only frames at or before this time (seconds).' }),
};

/** `to` before `from` is a 400 naming `to`. */
export const orderedTimeRange = <T extends { from?: number; to?: number }>(q: T) => q.from === undefined || q.to === undefined || q.to >= q.from;
const timeRangeIssue = { message: 'must not be before from', path: ['to'] };

export const detectionsQuerySchema = z.object({ ...pageQuery(100, 1000), ...detectionFilterFields }).refine(orderedTimeRange, timeRangeIssue);
export type DetectionFilterQuery = { class?: string[]; min_score?: number; track_id?: number; from?: number; to?: number };

// Shared schemas are built before `.openapi()` exists on zod's classes: named here from their fields.
const detectedObject = z
  .object({ ...detectedObjectSchema.shape, track_id: z.number().int().min(1).nullable().describe('The confirmed track this box belongs to (see /tracks); null for a box never confirmed as a track, or when tracking is off.') })
  .openapi('DetectedObject');
export const frameSchema = z.object({ ...frameResultSchema.shape, objects: z.array(detectedObject) }).openapi('Frame');

/** The video resource (shared: status events and webhooks carry it too), named for the OpenAPI document. */
export const videoResourceSchema = z
  .object({
    ...sharedVideoResourceSchema.shape,
    links: sharedVideoResourceSchema.shape.links.extend({
      file: z.string().openapi({ description: 'The stored upload (GET …/file) as a short-lived signed URL: a `<video>` src that needs no Authorization header.' }),
    }),
  })
  .openapi('Video');
/** The video resource as the API answers it: the shared one plus links only a request can give (signed media URLs). */
export type VideoResource = z.input<typeof videoResourceSchema>;

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
export type DetectionsPage = z.input<typeof detectionsPageSchema>;
