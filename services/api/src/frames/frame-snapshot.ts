import { createHash } from 'node:crypto';
import {
  chunkLayoutOf,
  decodeYuvFrames,
  encodeJpeg,
  FrameAnnotator,
  listFrameTimestamps,
  probeVideo,
  round6,
  sourceFrameRange,
  type DetectedObject,
  type VideoRecord,
} from '@video-detect/shared';
import type { AppContext } from '../context.js';
import { HttpError } from '../http/http-error.js';
import { frameWindow, windowFrames } from '../videos/frame-window.js';

export interface SnapshotRequest {
  index: number;
  boxes: boolean;
  maxWidth: number | null;
}

/** A video's frame timestamps and stream, kept for the last few videos asked about (a demux of the whole file each time would cost seconds on long videos). */
interface FrameIndex {
  streamIndex: number;
  startTime: number;
  pts: number[];
}
const INDEX_CACHE_SIZE = 16;

/** Frame snapshots: one source frame, decoded frame-exactly from the stored upload, boxes optionally drawn, as JPEG. */
export class FrameSnapshots {
  private readonly indexes = new Map<string, Promise<FrameIndex>>();

  constructor(private readonly ctx: AppContext) {}

  /** A strong validator of the JPEG: the same video, frame, options and results give the same bytes. */
  etag(record: VideoRecord, req: SnapshotRequest): string {
    const key = [record.id, record.file, req.index, req.boxes, req.maxWidth, req.boxes ? (record.completed_at ?? record.status) : ''].join(':');
    return `"${createHash('sha256').update(key).digest('base64url').slice(0, 27)}"`;
  }

  async jpeg(record: VideoRecord, req: SnapshotRequest): Promise<Buffer> {
    const video = record.video;
    const { streamIndex, startTime, pts } = await this.frameIndex(record);
    if (!video || req.index >= pts.length) throw new HttpError(404, 'frame_not_found', `The video has ${pts.length} frames (indices 0..${pts.length - 1}).`);
    const file = await this.ctx.uploads.source(record.file);
    const range = sourceFrameRange(pts, req.index, req.index + 1);
    let image = null;
    for await (const frame of decodeYuvFrames({ ffmpegPath: this.ctx.config.media.ffmpegPath, file, streamIndex, width: video.width, height: video.height, range, limits: this.ctx.config.media.limits })) {
      image ??= frame;
    }
    if (!image) throw new Error(`ffmpeg gave no frame ${req.index} of video ${record.id}`);
    if (req.boxes) {
      const objects = await this.objectsAt(record, req.index, round6(Math.max(0, pts[req.index]! - startTime)));
      await new FrameAnnotator(video.width, video.height, { trackIds: true, trails: false, analysis: null }).draw(image, { index: req.index, timestamp: 0, objects });
    }
    return encodeJpeg(this.ctx.config.media.ffmpegPath, image, req.maxWidth, this.ctx.config.media.limits);
  }

  /** The stored objects of frame `index` (none when it was not analysed, or its chunk is not stored yet). */
  private async objectsAt(record: VideoRecord, index: number, timestamp: number): Promise<DetectedObject[]> {
    const layout = chunkLayoutOf(record);
    if (!layout) return [];
    const window = await frameWindow(this.ctx.videos, record.id, layout, { from: timestamp, to: timestamp });
    try {
      for await (const frames of windowFrames(this.ctx.videos, record.id, layout, window)) {
        const found = frames.find((f) => f.index === index);
        if (found) return found.objects;
      }
    } catch {
      // A chunk not stored (still processing): no boxes yet.
    }
    return [];
  }

  private frameIndex(record: VideoRecord): Promise<FrameIndex> {
    let index = this.indexes.get(record.file);
    if (!index) {
      if (this.indexes.size >= INDEX_CACHE_SIZE) this.indexes.delete(this.indexes.keys().next().value!);
      index = this.readFrameIndex(record.file);
      index.catch(() => this.indexes.delete(record.file));
      this.indexes.set(record.file, index);
    }
    return index;
  }

  private async readFrameIndex(fileName: string): Promise<FrameIndex> {
    const file = await this.ctx.uploads.source(fileName);
    const { ffprobePath, limits } = this.ctx.config.media;
    const { streamIndex, startTime } = await probeVideo(file, ffprobePath, limits);
    return { streamIndex, startTime, pts: await listFrameTimestamps(file, streamIndex, ffprobePath, limits) };
  }
}
