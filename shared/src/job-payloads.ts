import { z } from 'zod';
import { summarySchema, videoStatuses } from './video-record.js';

/** What every job names: its video, so the worker wrapper can log it and fail it when the job fails for good. */
export const videoJobSchema = z.object({ videoId: z.string().uuid() });

/** `plan`: probe the stored upload, plan its chunks, add the merge/detect flow. */
export const planJobSchema = videoJobSchema;
export const planResultSchema = z.object({ chunks: z.number().int(), framesAnalysed: z.number().int() });

/** `merge`: runs once every chunk of the video is done. */
export const mergeJobSchema = videoJobSchema.extend({ chunksTotal: z.number().int().min(0) });
export const mergeResultSchema = z.object({ status: z.enum(videoStatuses) });
/**
 * What a running merge reports as its BullMQ job progress after each batch of chunks it has read:
 * `progress` is the percentage (bull-board draws it), the counts say how far a long video's merge got.
 */
export const mergeProgressSchema = z.object({ progress: z.number().int().min(0).max(100), chunksMerged: z.number().int().min(0), chunksTotal: z.number().int().min(0) });
export type MergeProgress = z.infer<typeof mergeProgressSchema>;

export function mergeProgress(chunksMerged: number, chunksTotal: number): MergeProgress {
  return { progress: chunksTotal === 0 ? 100 : Math.floor((chunksMerged * 100) / chunksTotal), chunksMerged, chunksTotal };
}

/** `track`: runs after a complete merge when tracking is on; carries the merge's per-class summary, which it completes with track counts. */
export const trackJobSchema = videoJobSchema.extend({ summary: summarySchema });
export const trackResultSchema = z.object({ status: z.enum(videoStatuses), tracks: z.number().int() });

/** `analyse`: counts one analysis's lines and zones from the stored detections of a completed video. */
export const analyseJobSchema = videoJobSchema.extend({ analysisId: z.string().uuid() });
export const analyseResultSchema = z.object({ status: z.string() });

/** `render`: draws a completed video's boxes into a new MP4. */
export const renderJobSchema = videoJobSchema.extend({ renderId: z.string().uuid() });
export const renderResultSchema = z.object({ frames: z.number().int(), bytes: z.number().int() });

export const detectionOptionsSchema = z.object({
  /** Boxes below this score are dropped; null = the detector's configured threshold. */
  min_score: z.number().min(0).max(1).nullable(),
  /** Labels to keep; null = every class. */
  classes: z.array(z.string().min(1)).nullable(),
});
export type DetectionOptions = z.infer<typeof detectionOptionsSchema>;

const detectFieldsSchema = videoJobSchema
  .extend({
    chunkIndex: z.number().int().min(0),
    /** File name inside VIDEO_STORAGE_DIR. */
    file: z.string().min(1),
    /** Absolute index of the video stream in the container (not always 0). */
    streamIndex: z.number().int().min(0),
    /** Displayed frame size (after rotation), in pixels. */
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    /** Source frames [startFrame, endFrame) in presentation order are decoded. */
    startFrame: z.number().int().min(0),
    endFrame: z.number().int().min(1),
    /**
     * Presentation-time window, in the stream's own timestamps (seconds, as ffmpeg sees them with
     * -copyts), that holds exactly those frames: the midpoints to the neighbouring frames, so float
     * rounding can never move a frame across a chunk boundary. null = open-ended.
     */
    selectFrom: z.number().nullable(),
    selectTo: z.number().nullable(),
    /** Where to seek before decoding, in the stream's timestamps (s, <= selectFrom); decoding starts at the keyframe before it. */
    seekTo: z.number().min(0),
    /** Source indices of the frames to analyse (ascending, inside the range) and their timestamps from the video start. */
    frameIndices: z.array(z.number().int().min(0)),
    timestamps: z.array(z.number().min(0)),
    options: detectionOptionsSchema,
  })
  .superRefine((data, ctx) => {
    const problem = frameListProblem(data);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['frameIndices'] });
  });

/** What the field types cannot say: a non-empty range, and the analysed frames inside it, ascending, one timestamp each. */
function frameListProblem(data: { startFrame: number; endFrame: number; frameIndices: number[]; timestamps: number[] }): string | null {
  const { startFrame, endFrame, frameIndices, timestamps } = data;
  if (endFrame <= startFrame) return `empty frame range [${startFrame}, ${endFrame})`;
  if (frameIndices.length !== timestamps.length) return `${frameIndices.length} frame indices but ${timestamps.length} timestamps`;
  for (const [i, f] of frameIndices.entries()) {
    if (f < startFrame || f >= endFrame) return `frame ${f} is outside [${startFrame}, ${endFrame})`;
    if (i > 0 && f <= frameIndices[i - 1]!) return 'frame indices are not strictly ascending';
  }
  return null;
}

/**
 * `detect`: one chunk, a frame-exact range of the source video. No pixels: the detector decodes the
 * range itself from the stored file. Detect jobs queued by a release before `frameIndices` was named
 * call it `frames`; they are read the same way, so a deployment can upgrade with chunks queued.
 */
export const detectJobSchema = z.preprocess(
  (data) => (typeof data === 'object' && data !== null && 'frames' in data && !('frameIndices' in data) ? { ...data, frameIndices: data.frames } : data),
  detectFieldsSchema,
);
export type DetectJobData = z.output<typeof detectJobSchema>;

/** What a detect job returns: counts only, the detections themselves are in the chunk result key. */
export const detectResultSchema = z.object({ framesAnalysed: z.number().int(), objects: z.number().int() });

/**
 * `deliver`: one event to one webhook endpoint. The body is fixed when the event is dispatched, so
 * every attempt sends the same bytes under the same `webhook-id` (each attempt is signed anew).
 */
export const deliverJobSchema = z.object({
  endpointId: z.string().uuid(),
  /** The Standard Webhooks `webhook-id`: one per event, the same on every attempt and endpoint. */
  messageId: z.string().min(1).max(128),
  type: z.string().min(1),
  /** The JSON body `{type, timestamp, data}`, exactly as sent. */
  body: z.string(),
});
export const deliverResultSchema = z.object({ outcome: z.enum(['delivered', 'skipped']), statusCode: z.number().int().nullable() });
