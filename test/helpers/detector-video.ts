import { randomUUID } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { NO_OPTIONS, VideoStatus, type DetectJobData, type VideoRecord, type VideoStore } from '@video-detect/shared';
import { planRange, probeMedia } from './detector-fixtures.js';
import { mediaPath } from './test-env.js';

/**
 * A video as the processor leaves it before the detect jobs run: the file copied into storage and
 * a record in `processing`. Returns a detect payload for frames [start, end).
 */
export async function processingVideo(store: VideoStore, storageDir: string, name: string, start: number, end: number): Promise<DetectJobData> {
  const id = randomUUID();
  const file = `${id}${path.extname(name)}`;
  copyFileSync(mediaPath(name), path.join(storageDir, file));
  const media = await probeMedia(name);
  const { width, height, streamIndex, startTime } = media.probed;
  const record: VideoRecord = {
    id,
    owner_id: randomUUID(),
    status: VideoStatus.Processing,
    filename: name,
    client_tag: null,
    file,
    size_bytes: 0,
    created_at: new Date().toISOString(),
    started_at: new Date().toISOString(),
    completed_at: null,
    video: null,
    options: NO_OPTIONS,
    frames_total: media.pts.length,
    chunks_total: 1,
    chunk_frames: end - start,
    chunk_layout: 'even',
    model: null,
    summary: null,
    error: null,
  };
  await store.create(record);
  const frames = Array.from({ length: end - start }, (_, k) => start + k);
  return {
    videoId: id,
    chunkIndex: 0,
    file,
    streamIndex,
    width,
    height,
    ...planRange(media.pts, start, end),
    frameIndices: frames,
    timestamps: frames.map((i) => Math.max(0, Math.round((media.pts[i]! - startTime) * 1e6) / 1e6)),
    options: { min_score: null, classes: null },
  };
}
