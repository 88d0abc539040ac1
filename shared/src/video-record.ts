import { z } from 'zod';
import { ChunkLayout, type ChunkSizing } from './chunk-layout.js';
import { EXECUTION_PROVIDERS } from './config.js';
import { trackerSettingsSchema } from './tracking.js';

export const VideoStatus = {
  Queued: 'queued',
  Processing: 'processing',
  Completed: 'completed',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
export type VideoStatus = (typeof VideoStatus)[keyof typeof VideoStatus];
export const videoStatuses = Object.values(VideoStatus) as [VideoStatus, ...VideoStatus[]];

export const videoInfoSchema = z.object({
  duration: z.number().nullable(),
  fps: z.number().nullable(),
  width: z.number().int().describe('Displayed width (after rotation).'),
  height: z.number().int(),
  frame_count: z.number().int().nullable(),
  codec: z.string(),
  rotation: z.number().int(),
});
export type VideoInfo = z.infer<typeof videoInfoSchema>;

export const videoOptionsSchema = z.object({
  sample_fps: z.number().positive().nullable(),
  min_score: z.number().min(0).max(1).nullable(),
  classes: z.array(z.string()).nullable(),
  tracking: z.boolean().describe('Whether the boxes are tracked (track_id, /tracks, /segments, /timeline).'),
  tracker: trackerSettingsSchema.nullable().describe('The tracker settings used; null when tracking is off.'),
});
export type VideoOptions = z.infer<typeof videoOptionsSchema>;

export const errorInfoSchema = z.object({ code: z.string(), message: z.string() });
export type ErrorInfo = z.infer<typeof errorInfoSchema>;

export const labelSummarySchema = z.object({
  frames: z.number().int().describe('Analysed frames with at least one box of this label.'),
  max_score: z.number(),
  tracks: z.number().int().optional().describe('Distinct confirmed tracks whose label this is (absent when tracking is off).'),
});
export const summarySchema = z.record(z.string(), labelSummarySchema);
export type Summary = z.infer<typeof summarySchema>;

export const modelInfoSchema = z.object({
  name: z.string(),
  input_size: z.array(z.number().int()),
  /** Where the boxes were computed (absent in records written before providers were recorded). */
  execution_provider: z.enum(EXECUTION_PROVIDERS).optional().describe('ONNX Runtime execution provider that computed the boxes'),
});
export type ModelInfo = z.infer<typeof modelInfoSchema>;

/** A video as stored in its Redis hash; JSON-valued fields are parsed on read. */
export interface VideoRecord {
  id: string;
  owner_id: string;
  status: VideoStatus;
  filename: string;
  /** The client's own reference for the upload (free text, at most CLIENT_TAG_MAX_LENGTH), echoed in the resource and events. */
  client_tag: string | null;
  /** Stored file name inside VIDEO_STORAGE_DIR. */
  file: string;
  size_bytes: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  video: VideoInfo | null;
  options: VideoOptions;
  frames_total: number | null;
  chunks_total: number | null;
  /** Most analysed frames per chunk (CHUNK_FRAMES at planning); with `chunk_layout`, maps a frame ordinal to its chunk. */
  chunk_frames: number | null;
  /** How the chunks were sized; null for videos planned before this was recorded (they are `fixed`). */
  chunk_layout: ChunkSizing | null;
  model: ModelInfo | null;
  summary: Summary | null;
  error: ErrorInfo | null;
}

type JsonField = 'video' | 'options' | 'model' | 'summary' | 'error';
type NumberField = 'size_bytes' | 'frames_total' | 'chunks_total' | 'chunk_frames';

/** No sampling, no filters, no tracking: what a record without options (and a test's fixture) holds. */
export const NO_OPTIONS: VideoOptions = { sample_fps: null, min_score: null, classes: null, tracking: false, tracker: null };
/** Options as stored: videos uploaded before tracking existed were not tracked. */
const storedOptionsSchema = z.preprocess((v) => ({ tracking: false, tracker: null, ...(v as object) }), videoOptionsSchema);

/** A record as an upload creates it: queued, nothing planned or found yet. */
export function queuedVideoRecord(
  fields: Pick<VideoRecord, 'id' | 'owner_id' | 'filename' | 'client_tag' | 'file' | 'size_bytes' | 'video' | 'options'> & { created_at?: string },
): VideoRecord {
  return {
    created_at: new Date().toISOString(),
    ...fields,
    status: VideoStatus.Queued,
    started_at: null,
    completed_at: null,
    frames_total: null,
    chunks_total: null,
    chunk_frames: null,
    chunk_layout: null,
    model: null,
    summary: null,
    error: null,
  };
}

/** Flattens a (partial) record into hash fields; null clears to the empty string. */
export function toVideoHash(record: Partial<VideoRecord>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    // Object-valued fields are exactly the JSON ones.
    out[key] = value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}

/** Reads a record back from HGETALL; null when the hash does not exist. */
export function fromVideoHash(hash: Record<string, string>): VideoRecord | null {
  if (!hash.id) return null;
  const json = <T>(key: JsonField, schema: z.ZodType<T>): T | null =>
    hash[key] ? schema.parse(JSON.parse(hash[key])) : null;
  const number = (key: NumberField): number | null => (hash[key] ? Number(hash[key]) : null);
  return {
    id: hash.id,
    owner_id: hash.owner_id ?? '',
    status: z.enum(videoStatuses).parse(hash.status),
    filename: hash.filename ?? '',
    client_tag: hash.client_tag || null,
    file: hash.file ?? '',
    size_bytes: number('size_bytes') ?? 0,
    created_at: hash.created_at ?? '',
    started_at: hash.started_at || null,
    completed_at: hash.completed_at || null,
    video: json('video', videoInfoSchema),
    options: json('options', storedOptionsSchema) ?? { ...NO_OPTIONS },
    frames_total: number('frames_total'),
    chunks_total: number('chunks_total'),
    chunk_frames: number('chunk_frames'),
    chunk_layout: hash.chunk_layout ? z.enum(['even', 'fixed']).parse(hash.chunk_layout) : null,
    model: json('model', modelInfoSchema),
    summary: json('summary', summarySchema),
    error: json('error', errorInfoSchema),
  };
}

/**
 * How the video's analysed frames were cut into chunks; null before it is planned. Records from
 * before `chunk_layout` was stored hold fixed-size chunks.
 */
export function chunkLayoutOf(record: VideoRecord): ChunkLayout | null {
  if (record.frames_total === null || record.chunk_frames === null) return null;
  return new ChunkLayout(record.frames_total, record.chunk_frames, record.chunk_layout ?? 'fixed');
}
