import { DecodeFailedError, FfmpegMissingError } from '@video-detect/shared';

/** Stable codes, so a corrupt segment (retried) is told from a missing ffmpeg (never retried). */
export type FrameDecodeErrorCode = 'FFMPEG_NOT_FOUND' | 'FFMPEG_FAILED' | 'FRAME_COUNT_MISMATCH' | 'TRUNCATED_FRAME';

/** ffmpeg could not deliver the frames asked for; the message names the file and ends with ffmpeg's last words. */
export class FrameDecodeError extends Error {
  /** @param frame source index of the first frame not delivered, when a range was asked for. */
  constructor(
    readonly code: FrameDecodeErrorCode,
    message: string,
    readonly frame: number | null = null,
  ) {
    super(`${code}: ${message}`);
    this.name = 'FrameDecodeError';
  }

  /** The product's failure for this: a missing ffmpeg fails the video at once, anything else is retried. */
  toJobFailure(ffmpegPath: string): FfmpegMissingError | DecodeFailedError {
    return this.code === 'FFMPEG_NOT_FOUND' ? new FfmpegMissingError('ffmpeg', ffmpegPath) : new DecodeFailedError(this.message, this.frame);
  }
}
