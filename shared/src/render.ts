import { createHash } from 'node:crypto';
import { z } from 'zod';

/** What a client may ask of a render; the same options (after defaults and ordering) are the same render. */
export const renderOptionsSchema = z.object({
  classes: z
    .array(z.string().min(1).max(64))
    .min(1)
    .max(100)
    .nullable()
    .default(null)
    .transform((c) => (c ? [...new Set(c)].sort() : null))
    .describe('Draw only these labels. Default: every class.'),
  min_score: z.number().min(0).max(1).nullable().default(null).describe('Draw only boxes scoring at least this. Default: all stored boxes.'),
  track_ids: z.boolean().default(true).describe('Label boxes "label #track_id". Default true.'),
  trails: z.boolean().default(false).describe("Draw each track's path over the last 1.5 s. Default false."),
  analysis_id: z.string().uuid().nullable().default(null).describe("Draw this analysis's lines and zones with their running counts (a completed analysis of the video)."),
});
export type RenderOptions = z.output<typeof renderOptionsSchema>;

export const RenderStatus = { Queued: 'queued', Processing: 'processing', Completed: 'completed', Failed: 'failed' } as const;
export type RenderStatus = (typeof RenderStatus)[keyof typeof RenderStatus];
export const renderStatuses = Object.values(RenderStatus) as [RenderStatus, ...RenderStatus[]];

/** A render as stored (one field of the video's renders hash). */
export const renderRecordSchema = z.object({
  id: z.string().uuid(),
  video_id: z.string().uuid(),
  status: z.enum(renderStatuses),
  options: renderOptionsSchema,
  created_at: z.string(),
  completed_at: z.string().nullable(),
  progress: z.object({ frames_done: z.number().int(), frames_total: z.number().int().nullable() }),
  /** The MP4's name in storage, once it is complete. */
  file: z.string().nullable(),
  size_bytes: z.number().int().nullable(),
  error: z
    .object({ code: z.string(), message: z.string() })
    .nullable()
    .describe(
      'Why it failed (`failed`: e.g. `render_failed`, the message naming the cause), or, while `queued` again after a failed attempt, why that attempt failed (e.g. `storage_full`) before it is retried; null otherwise.',
    ),
});
export type RenderRecord = z.infer<typeof renderRecordSchema>;

/**
 * The id of the render of a video with these options: derived from both (a name-based UUID), so an
 * identical request finds the render already there instead of starting a second one.
 */
export function renderIdOf(videoId: string, options: RenderOptions): string {
  const hex = createHash('sha256').update(JSON.stringify([videoId, options.classes, options.min_score, options.track_ids, options.trails, options.analysis_id])).digest('hex');
  // RFC 9562 layout with version 8 (custom) and the variant bits, so it reads as a UUID everywhere.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

export function newRenderRecord(videoId: string, options: RenderOptions): RenderRecord {
  return {
    id: renderIdOf(videoId, options),
    video_id: videoId,
    status: RenderStatus.Queued,
    options,
    created_at: new Date().toISOString(),
    completed_at: null,
    progress: { frames_done: 0, frames_total: null },
    file: null,
    size_bytes: null,
    error: null,
  };
}

/** Stored name of a render's MP4 (beside its video's upload). */
export const renderFileName = (videoId: string, renderId: string) => `${videoId}.render-${renderId}.mp4`;

export const renderPath = (videoId: string, renderId: string) => `/api/v1/videos/${videoId}/renders/${renderId}`;

/** A render as clients see it (GET …/renders/{id}, and the data of `render.*` events). */
export const renderResourceSchema = renderRecordSchema.omit({ file: true }).extend({
  links: z.object({ self: z.string(), file: z.string().nullable().describe('The MP4 (range requests), once completed.'), video: z.string() }),
});
export type RenderResource = z.input<typeof renderResourceSchema>;

export function toRenderResource(record: RenderRecord): RenderResource {
  const self = renderPath(record.video_id, record.id);
  const { file: _file, ...fields } = record;
  return { ...fields, links: { self, file: record.status === RenderStatus.Completed ? `${self}/file` : null, video: `/api/v1/videos/${record.video_id}` } };
}
