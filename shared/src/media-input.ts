/**
 * What ffprobe and ffmpeg read: a local path, or (STORAGE=s3) a presigned HTTP(S) URL that they
 * read with range requests. A presigned URL is a credential for its lifetime, so it never goes
 * into a message, a log line or a stored error: `label` stands for it there.
 */
export interface MediaInput {
  /** Path or URL, given to ffprobe/ffmpeg as `-i`. */
  input: string;
  /** Names the media in messages (the path, or the object's URL without its signature). */
  label: string;
}

export const isRemoteInput = (input: string): boolean => /^https?:\/\//i.test(input);

/** A MediaInput for a plain path or URL (an URL loses its query string in the label). */
export function mediaInput(input: string): MediaInput {
  return { input, label: isRemoteInput(input) ? input.replace(/\?.*$/s, '') : input };
}

/** `text` (ffmpeg's words, an error message) with the input's URL replaced by its label. */
export function redactInput(text: string, media: MediaInput): string {
  return media.input === media.label ? text : text.replaceAll(media.input, media.label);
}

/** Read timeout for network inputs, so a store that stops answering fails the run instead of hanging it. */
const REMOTE_READ_TIMEOUT_US = 30_000_000;

/** ffmpeg/ffprobe options that go before `-i` for this input. */
export function inputOptions(media: MediaInput): string[] {
  return isRemoteInput(media.input) ? ['-rw_timeout', String(REMOTE_READ_TIMEOUT_US)] : [];
}

/** ffmpeg's words when it could not reach a network input (as against a file it cannot read). */
const UNREACHABLE = /connection refused|connection reset|timed out|network is unreachable|server returned 5\d\d|input\/output error|end of file|no route to host/i;

/** Whether a failed ffprobe/ffmpeg run on this input was the store being away, not the media: retried, not failed. */
export function isUnreachable(media: MediaInput, ffmpegWords: string): boolean {
  return isRemoteInput(media.input) && UNREACHABLE.test(ffmpegWords);
}
