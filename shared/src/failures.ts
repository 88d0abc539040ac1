import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * Stable codes of what went wrong: the error classes below carry them, a failed video stores one
 * as `error.code`, and code branches on the class, never on message text.
 */
export const FailureCode = {
  /** ffprobe cannot read the upload, or it has no video stream or no frames. */
  UnreadableVideo: 'unreadable_video',
  /** ffmpeg stopped short of the frames asked for (a corrupt segment); retried. */
  DecodeFailed: 'decode_failed',
  /** ffmpeg or ffprobe is not installed where FFMPEG_PATH / FFPROBE_PATH say. */
  FfmpegMissing: 'ffmpeg_missing',
  /** The detector cannot use its model (start-up refuses it). */
  ModelLoadFailed: 'model_load_failed',
  /** The merge found frames missing, repeated or out of order. */
  IncompleteResults: 'incomplete_results',
  /** The object store (STORAGE=s3) did not answer; retried (jobs) or answered 503 (API). */
  StorageUnavailable: 'storage_unavailable',
  /** A disk had no room for a file being written (ENOSPC, EDQUOT); retried: freeing space fixes it. */
  StorageFull: 'storage_full',
  /** Redis did not answer; retried (jobs) or answered 503 (API). */
  RedisUnavailable: 'redis_unavailable',
  /** A job's payload does not match its schema: retrying cannot help. */
  InvalidPayload: 'invalid_payload',
  /** A chunk failed for good (every attempt, or stalled too often). */
  ChunkFailed: 'chunk_failed',
  /** Planning failed for good with an error that was worth retrying. */
  PlanFailed: 'processing_failed',
  /** The merge failed for good with an error that was worth retrying. */
  MergeFailed: 'merge_failed',
  /** A webhook receiver did not answer 2xx in time (retried; its own failure, never a video's). */
  WebhookDeliveryFailed: 'webhook_delivery_failed',
  /** A webhook endpoint was disabled after failing for WEBHOOK_DISABLE_AFTER_DAYS: its deliveries stop. */
  WebhookEndpointDisabled: 'webhook_endpoint_disabled',
  /** Tracking failed for good with an error that was worth retrying. */
  TrackFailed: 'tracking_failed',
  /** An analysis (lines, zones) failed for good; its video stays completed. */
  AnalysisFailed: 'analysis_failed',
  /** A render job failed for good (its render, not the video, is failed with it). */
  RenderFailed: 'render_failed',
} as const;
export type FailureCode = (typeof FailureCode)[keyof typeof FailureCode];

/** A failure that retrying cannot fix: BullMQ moves the job to failed at once, and the video fails with `code`. */
export abstract class UnrecoverableFailure extends UnrecoverableError {
  abstract readonly code: FailureCode;
}

/** A failure worth retrying (BullMQ's attempts and backoff apply), with its code for logs and the final error. */
export abstract class RetryableFailure extends Error {
  abstract readonly code: FailureCode;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UnreadableVideoError extends UnrecoverableFailure {
  readonly code = FailureCode.UnreadableVideo;
  /** @param detail what ffprobe found wrong, for a person ("the file has no video stream"). */
  constructor(readonly detail: string) {
    super(`unreadable video: ${detail}`);
  }
}

export class FfmpegMissingError extends UnrecoverableFailure {
  readonly code = FailureCode.FfmpegMissing;
  constructor(program: 'ffmpeg' | 'ffprobe', path: string) {
    super(`${program} not found at "${path}" (${program === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'})`);
  }
}

export class DecodeFailedError extends RetryableFailure {
  readonly code = FailureCode.DecodeFailed;
  /** @param frame source index of the first frame ffmpeg did not deliver, when known. */
  constructor(
    message: string,
    readonly frame: number | null,
  ) {
    super(message);
  }
}

export class IncompleteResultsError extends UnrecoverableFailure {
  readonly code = FailureCode.IncompleteResults;
  constructor(readonly problems: readonly string[]) {
    super(`results are incomplete: ${problems.slice(0, 5).join('; ')}`);
  }
}

export class ChunksFailedError extends UnrecoverableFailure {
  readonly code = FailureCode.ChunkFailed;
}

export class InvalidPayloadError extends UnrecoverableFailure {
  readonly code = FailureCode.InvalidPayload;
}

/** One delivery attempt failed (an answer other than 2xx, a timeout, a refused connection); retried with backoff. */
export class WebhookDeliveryError extends RetryableFailure {
  readonly code = FailureCode.WebhookDeliveryFailed;
}

/** The endpoint was disabled (now, or before this delivery ran): no retry can deliver it. */
export class WebhookEndpointDisabledError extends UnrecoverableFailure {
  readonly code = FailureCode.WebhookEndpointDisabled;
}

/**
 * A write found its disk full (or over quota). Worth retrying: space is freed by an operator, or by
 * other work ending. `detail` is what the writer said (ffmpeg's line), kept for the logs.
 */
export class StorageFullError extends RetryableFailure {
  readonly code = FailureCode.StorageFull;
  constructor(
    what: string,
    readonly detail: string,
  ) {
    super(`no space left on device: ${what}`);
  }
}

export class RedisUnavailableError extends RetryableFailure {
  readonly code = FailureCode.RedisUnavailable;
  constructor(cause?: unknown) {
    super('Redis is unreachable', { cause });
  }
}

/** The object store could not be reached, or answered with a server error: worth retrying. */
export class StorageUnavailableError extends RetryableFailure {
  readonly code = FailureCode.StorageUnavailable;
  constructor(action: string, cause: unknown) {
    super(`object storage is unreachable (${action}: ${cause instanceof Error ? cause.message || cause.name : String(cause)})`, { cause });
  }
}

/**
 * Whether an error met while using `connection` means Redis is away: asks the connection, not the
 * message. A command fails while ioredis is (re)connecting; a reply error from a live Redis does not count.
 */
export function isRedisDown(err: unknown, connection: Redis): boolean {
  return err instanceof RedisUnavailableError || connection.status !== 'ready';
}

/** The code and retry decision of any error a job throws; an unknown error is retryable and takes the job's own code. */
export function classifyFailure(err: unknown, fallback: FailureCode): { code: FailureCode; retryable: boolean } {
  if (err instanceof UnrecoverableFailure) return { code: err.code, retryable: false };
  if (err instanceof RetryableFailure) return { code: err.code, retryable: true };
  return { code: fallback, retryable: !(err instanceof UnrecoverableError) };
}
