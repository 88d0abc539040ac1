import { z } from 'zod';

/** Queue names: the only place they are spelled. */
export const QueueName = {
  Processor: 'processor',
  Detector: 'detector',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

/** Job names, by the queue that runs them. */
export const JobName = {
  /** processor: probe an upload, plan chunks, add the detect/merge flow. */
  Process: 'process',
  /** processor: runs after every chunk is done; proves completeness, writes the summary. */
  Merge: 'merge',
  /** detector: decode one frame range and run the model on it. */
  Detect: 'detect',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** Job ids are derived from the video id so that a retried step never adds a second job. */
export const jobIds = {
  process: (videoId: string) => videoId,
  merge: (videoId: string) => `${videoId}-merge`,
  detect: (videoId: string, chunkIndex: number) => `${videoId}-chunk-${chunkIndex}`,
};

export const detectionOptionsSchema = z.object({
  /** Boxes below this score are dropped; null = the detector's configured threshold. */
  min_score: z.number().min(0).max(1).nullable(),
  /** Labels to keep; null = every class. */
  classes: z.array(z.string().min(1)).nullable(),
});
export type DetectionOptions = z.infer<typeof detectionOptionsSchema>;

export const processJobSchema = z.object({ videoId: z.string().uuid() });
export type ProcessJobData = z.infer<typeof processJobSchema>;

export const mergeJobSchema = z.object({ videoId: z.string().uuid(), chunksTotal: z.number().int().min(0) });
export type MergeJobData = z.infer<typeof mergeJobSchema>;

/**
 * One chunk: a frame-exact range of the source video. No pixels: the detector decodes the range
 * itself from the stored file.
 */
export const detectJobSchema = z.object({
  videoId: z.string().uuid(),
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
  /** Source indices to analyse (ascending, inside the range) and their timestamps from the video start. */
  frames: z.array(z.number().int().min(0)),
  timestamps: z.array(z.number().min(0)),
  options: detectionOptionsSchema,
});
export type DetectJobData = z.infer<typeof detectJobSchema>;

/** What a detect job returns: counts only, the detections themselves are in the chunk result key. */
export const detectResultSchema = z.object({ frames: z.number().int(), objects: z.number().int() });
export type DetectJobResult = z.infer<typeof detectResultSchema>;
