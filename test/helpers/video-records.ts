import { randomUUID } from 'node:crypto';
import { NO_OPTIONS, queuedVideoRecord, type VideoRecord } from '@video-detect/shared';

/** A queued video record as the API writes it on upload (no file: for tests of what happens around a video, not to it). */
export function queuedRecord(ownerId: string, fields: Partial<VideoRecord> = {}): VideoRecord {
  const base = queuedVideoRecord({ id: randomUUID(), owner_id: ownerId, filename: 'clip.mp4', client_tag: null, file: 'clip.mp4', size_bytes: 1000, video: null, options: { ...NO_OPTIONS } });
  return { ...base, ...fields };
}
