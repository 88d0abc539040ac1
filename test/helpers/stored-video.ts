import { createReadStream } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ChunkLayout, DEFAULT_TRACKER_SETTINGS, NO_OPTIONS, probeVideo, VideoStatus, type FrameResult, type Track, type VideoRecord } from '@video-detect/shared';
import type { AppContext } from '../../services/api/src/index.js';

export interface StoredVideoSpec {
  ownerId: string;
  /** Every analysed frame with its objects (track ids included), ascending. */
  frames: FrameResult[];
  /** A real media file to store as the upload (its probe gives `video`); without one, `video` is made up. */
  media?: string;
  tracks?: Track[];
  chunkFrames?: number;
  /** Leave it processing instead of completing it. */
  processing?: boolean;
}

/**
 * A video as the pipeline leaves it (record, stored chunks and chunk times, tracks, the upload's
 * file), written through the real stores: for tests of what is read from finished results, without
 * running the detector over the file.
 */
export async function storeVideo(ctx: AppContext, spec: StoredVideoSpec): Promise<VideoRecord> {
  const id = randomUUID();
  const chunkFrames = spec.chunkFrames ?? 40;
  const layout = new ChunkLayout(spec.frames.length, chunkFrames);
  let file = `${id}.mp4`;
  let video: VideoRecord['video'] = { duration: 20, fps: 10, width: 1000, height: 500, frame_count: spec.frames.length, codec: 'h264', rotation: 0 };
  if (spec.media) {
    file = `${id}${path.extname(spec.media)}`;
    await ctx.uploads.put(file, createReadStream(spec.media));
    await ctx.uploads.promote(file);
    const { streamIndex: _s, startTime: _t, timeBase: _b, ...probed } = await probeVideo(await ctx.uploads.source(file), ctx.config.media.ffprobePath);
    video = probed;
  }
  const now = new Date().toISOString();
  const record: VideoRecord = {
    ...{ id, owner_id: spec.ownerId, status: VideoStatus.Processing, filename: `clip ${id.slice(0, 4)}.mp4`, client_tag: null, file, size_bytes: 1, created_at: now },
    ...{ started_at: now, completed_at: null, video, options: { ...NO_OPTIONS, tracking: true, tracker: DEFAULT_TRACKER_SETTINGS } },
    ...{ frames_total: spec.frames.length, chunks_total: layout.count, chunk_frames: chunkFrames, chunk_layout: 'even', model: null, summary: null, error: null },
  };
  await ctx.videos.create(record);
  for (let c = 0; c < layout.count; c++) {
    const chunk = spec.frames.slice(layout.start(c), layout.start(c) + layout.size(c));
    await ctx.videos.saveChunkResult(id, c, JSON.stringify(chunk), chunk.length);
  }
  await ctx.videos.saveChunkTimes(id, Array.from({ length: layout.count }, (_, c) => spec.frames[layout.start(c)]!.timestamp));
  await ctx.tracks.save(id, spec.tracks ?? []);
  if (!spec.processing) await ctx.videos.finish(id, { status: VideoStatus.Completed, summary: {} });
  return (await ctx.videos.get(id))!;
}
