import { chunkResultSchema, type FrameResult } from './detections.js';
import type { VideoStore } from './video-store.js';

/** Chunks read per round trip: bounded memory however long the video. */
export const CHUNK_READ_BATCH = 16;

/**
 * A video's stored chunks `first`..`last` (inclusive), one at a time in order, read
 * CHUNK_READ_BATCH per round trip; `frames` is null for a chunk that is not stored.
 */
export async function* readChunks(videos: VideoStore, videoId: string, first: number, last: number): AsyncGenerator<{ chunk: number; frames: FrameResult[] | null }> {
  for (let start = first; start <= last; start += CHUNK_READ_BATCH) {
    const indices = Array.from({ length: Math.min(CHUNK_READ_BATCH, last - start + 1) }, (_, i) => start + i);
    const stored = await videos.getChunkResults(videoId, indices);
    for (const [i, json] of stored.entries()) yield { chunk: start + i, frames: json === null ? null : chunkResultSchema.parse(JSON.parse(json)) };
  }
}
