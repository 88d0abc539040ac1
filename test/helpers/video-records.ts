import { randomUUID } from 'node:crypto';
import { NO_OPTIONS, VideoStatus, type VideoRecord } from '@video-detect/shared';

/** A queued video record as the API writes it on upload (no file: for tests of what happens around a video, not to it). */
export function queuedRecord(ownerId: string, fields: Partial<VideoRecord> = {}): VideoRecord {
  return {
    id: randomUUID(),
    owner_id: ownerId,
    status: VideoStatus.Queued,
    filename: 'clip.mp4',
    client_tag: null,
    file: 'clip.mp4',
    size_bytes: 1000,
    created_at: new Date().toISOString(),
    started_at: null,
    completed_at: null,
    video: null,
    options: { ...NO_OPTIONS },
    frames_total: null,
    chunks_total: null,
    chunk_frames: null,
    chunk_layout: null,
    model: null,
    summary: null,
    error: null,
    ...fields,
  };
}
