import { z } from 'zod';
import { errorInfoSchema, modelInfoSchema, summarySchema, videoInfoSchema, videoOptionsSchema, videoStatuses, type VideoRecord } from './video-record.js';

/** Longest `client_tag` accepted (characters). */
export const CLIENT_TAG_MAX_LENGTH = 256;

/** A client's free-text tag: 1..256 characters, no control characters (it travels in event-stream lines and logs). */
export const clientTagSchema = z
  .string()
  .min(1)
  .max(CLIENT_TAG_MAX_LENGTH)
  .regex(/^\P{Cc}*$/u, 'must not contain control characters');

export const videoPath = (id: string) => `/api/v1/videos/${id}`;

export const videoProgressSchema = z.object({
  frames_total: z.number().int().nullable(),
  frames_done: z.number().int(),
  chunks_total: z.number().int().nullable(),
  chunks_done: z.number().int(),
});
export type VideoProgress = z.infer<typeof videoProgressSchema>;

/**
 * The video resource: what GET /videos/{id} answers, and what status events and webhooks carry,
 * so a receiver needs no second call. Built only by `toVideoResource`.
 */
export const videoResourceSchema = z.object({
  id: z.string().uuid(),
  status: z.enum(videoStatuses),
  client_tag: z.string().nullable(),
  filename: z.string(),
  size_bytes: z.number().int(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  video: videoInfoSchema.nullable(),
  options: videoOptionsSchema,
  progress: videoProgressSchema,
  model: modelInfoSchema.nullable(),
  summary: summarySchema.nullable(),
  error: errorInfoSchema.nullable(),
  links: z.object({
    self: z.string(),
    detections: z.string(),
    tracks: z.string(),
    segments: z.string(),
    timeline: z.string(),
    analyses: z.string(),
    events: z.string(),
    export: z.string().nullable().describe('The detections as a file once the video is completed (format jsonl here; csv, mot and coco too); null before.'),
    renders: z.string().describe('Annotated videos: POST options here to start one.'),
    frames: z.string().describe('URI template of a frame snapshot: replace {index} with a 0-based frame index.'),
  }),
});
export type VideoResource = z.input<typeof videoResourceSchema>;

/** What `video.progress` events carry: the counters and enough to tell the video apart. */
export const videoProgressEventSchema = z.object({
  id: z.string().uuid(),
  status: z.enum(videoStatuses),
  client_tag: z.string().nullable(),
  progress: videoProgressSchema,
});
export type VideoProgressEvent = z.infer<typeof videoProgressEventSchema>;

const linksOf = (self: string, completed: boolean): VideoResource['links'] => ({
  self,
  detections: `${self}/detections`,
  tracks: `${self}/tracks`,
  segments: `${self}/segments`,
  timeline: `${self}/timeline`,
  analyses: `${self}/analyses`,
  events: `${self}/events`,
  export: completed ? `${self}/export?format=jsonl` : null,
  renders: `${self}/renders`,
  frames: `${self}/frames/{index}.jpg`,
});

/** The record as clients see it; `done` counts what the detectors stored so far. */
export function toVideoResource(record: VideoRecord, done: { framesDone: number; chunksDone: number }): VideoResource {
  return {
    id: record.id,
    status: record.status,
    client_tag: record.client_tag,
    filename: record.filename,
    size_bytes: record.size_bytes,
    created_at: record.created_at,
    started_at: record.started_at,
    completed_at: record.completed_at,
    video: record.video,
    options: record.options,
    progress: {
      frames_total: record.frames_total,
      frames_done: done.framesDone,
      chunks_total: record.chunks_total,
      chunks_done: done.chunksDone,
    },
    model: record.model,
    summary: record.summary,
    error: record.error,
    links: linksOf(videoPath(record.id), record.status === 'completed'),
  };
}
