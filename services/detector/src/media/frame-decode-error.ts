/** Stable codes, so the processor can tell a corrupt segment from a missing ffmpeg. */
export type FrameDecodeErrorCode = 'FFMPEG_NOT_FOUND' | 'FFMPEG_FAILED' | 'FRAME_COUNT_MISMATCH' | 'TRUNCATED_FRAME';

/** ffmpeg could not deliver the frames asked for; the message names the file and ends with ffmpeg's last words. */
export class FrameDecodeError extends Error {
  constructor(
    readonly code: FrameDecodeErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'FrameDecodeError';
  }
}
