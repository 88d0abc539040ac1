import path from 'node:path';
import {
  chunkLayoutOf,
  JobName,
  newAnalysisRecord,
  probeVideo,
  UnreadableVideoError,
  VideoStatus,
  type FrameResult,
  type AnalysisSettings,
  type VideoOptions,
  type VideoRecord,
} from '@video-detect/shared';
import type { AppContext } from '../context.js';
import { HttpError, notFound } from '../http/http-error.js';
import { filterFrames, planPage, type ObjectFilter, type PageFrame } from './detections-page.js';
import { frameWindow, type TimeRange } from './frame-window.js';
import type { DetectionsPage, VideoResource } from './video-schemas.js';

/** A video list page, as GET /api/v1/videos answers it. */
interface VideoList {
  items: VideoResource[];
  next_offset: number | null;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const videoPath = (id: string) => `/api/v1/videos/${id}`;

const linksOf = (self: string): VideoResource['links'] => ({
  self,
  detections: `${self}/detections`,
  tracks: `${self}/tracks`,
  segments: `${self}/segments`,
  timeline: `${self}/timeline`,
  analyses: `${self}/analyses`,
});

/** Video logic behind the routes: ownership, upload acceptance, paging, deletion. */
export class VideoService {
  constructor(private readonly ctx: AppContext) {}

  /** The caller's video, or 404 exactly as for an unknown id. */
  async getOwned(ownerId: string, videoId: string): Promise<VideoRecord> {
    if (!uuidPattern.test(videoId)) throw notFound();
    const record = await this.ctx.videos.get(videoId);
    if (!record || record.owner_id !== ownerId) throw notFound();
    return record;
  }

  /** The caller's videos, newest first; index entries of expired records (RESULT_TTL_SECONDS) are dropped on the way. */
  async list(ownerId: string, offset: number, limit: number): Promise<VideoList> {
    const { ids, total } = await this.ctx.videos.listIds(ownerId, offset, limit);
    const records = await this.ctx.videos.getMany(ids);
    const expired = ids.filter((_, i) => records[i] === null);
    await Promise.all(expired.map((id) => this.ctx.videos.forgetIndexEntry(ownerId, id)));
    const items = await Promise.all(records.flatMap((record) => (record ? [this.toResource(record)] : [])));
    return { items, next_offset: offset + limit < total ? offset + limit : null };
  }

  async toResource(record: VideoRecord): Promise<VideoResource> {
    const { framesDone, chunksDone } =
      record.status === VideoStatus.Queued ? { framesDone: 0, chunksDone: 0 } : await this.ctx.videos.getProgress(record.id);
    return {
      id: record.id,
      status: record.status,
      filename: record.filename,
      size_bytes: record.size_bytes,
      created_at: record.created_at,
      started_at: record.started_at,
      completed_at: record.completed_at,
      video: record.video,
      options: record.options,
      progress: {
        frames_total: record.frames_total,
        frames_done: framesDone,
        chunks_total: record.chunks_total,
        chunks_done: chunksDone,
      },
      model: record.model,
      summary: record.summary,
      error: record.error,
      links: linksOf(videoPath(record.id)),
    };
  }

  /**
   * Accepts a stored upload: ffprobe must find a decodable video stream (else 415), then the
   * record (and the analysis asked for with it, which runs once the video is completed) is written
   * and the `plan` job added with job id = video id.
   */
  async accept(ownerId: string, file: { filename: string; originalname: string; size: number }, options: VideoOptions, analysis: AnalysisSettings | null): Promise<VideoRecord> {
    const id = path.parse(file.filename).name;
    let probed;
    try {
      probed = await probeVideo(this.ctx.uploads.pathOf(file.filename), this.ctx.config.media.ffprobePath);
    } catch (err) {
      if (err instanceof UnreadableVideoError) throw new HttpError(415, 'unsupported_media', `Not a decodable video: ${err.detail}.`);
      throw err;
    }
    const { streamIndex: _s, startTime: _t, ...video } = probed;
    const record: VideoRecord = {
      id,
      owner_id: ownerId,
      status: VideoStatus.Queued,
      filename: path.basename(file.originalname).slice(0, 255),
      file: file.filename,
      size_bytes: file.size,
      created_at: new Date().toISOString(),
      started_at: null,
      completed_at: null,
      video,
      options,
      frames_total: null,
      chunks_total: null,
      chunk_frames: null,
      chunk_layout: null,
      model: null,
      summary: null,
      error: null,
    };
    await this.ctx.videos.create(record);
    try {
      if (analysis) await this.ctx.analyses.create(newAnalysisRecord(id, analysis), null);
      await this.ctx.jobs.add(JobName.Plan, { videoId: id });
    } catch (err) {
      await this.ctx.videos.delete(record).catch(() => undefined);
      throw err;
    }
    return record;
  }

  /**
   * A page of analysed frames. `offset` counts analysed frames from the start of the video; with a
   * time range the page starts at its first frame (when `offset` is before it) and ends with its last.
   */
  async detectionsPage(record: VideoRecord, offset: number, limit: number, filter: ObjectFilter & TimeRange): Promise<DetectionsPage> {
    const base = { video_id: record.id, status: record.status };
    const stillRunning = record.status === VideoStatus.Queued || record.status === VideoStatus.Processing;
    const layout = chunkLayoutOf(record);
    if (!layout) return { ...base, frames: [], next_offset: stillRunning ? offset : null };
    const window = await frameWindow(this.ctx.videos, record.id, layout, filter);
    const start = Math.max(offset, window.first);
    const stop = Math.min(start + limit, window.end);
    const slices = planPage(layout, start, Math.max(0, stop - start));
    const stored = await this.ctx.videos.getChunkResults(record.id, slices.map((s) => s.chunk));
    const frames: PageFrame[] = [];
    let nextOffset: number | null = stop < window.end ? stop : null;
    for (const [i, slice] of slices.entries()) {
      const json = stored[i];
      if (!json) {
        if (record.status === VideoStatus.Completed) throw new Error(`chunk ${slice.chunk} of completed video ${record.id} is missing`);
        // Not analysed yet (or lost to a failure): the page ends here; a running video's client polls on.
        nextOffset = stillRunning ? slice.chunkStart + slice.from : null;
        break;
      }
      frames.push(...filterFrames((JSON.parse(json) as FrameResult[]).slice(slice.from, slice.to), filter));
    }
    return { ...base, frames, next_offset: nextOffset };
  }

  /** Stops remaining work, then removes the record, results and file. */
  async delete(record: VideoRecord): Promise<void> {
    // Detectors check the status between frames: a running chunk stops and writes nothing.
    await this.ctx.videos.finish(record.id, { status: VideoStatus.Cancelled });
    const { jobs } = this.ctx;
    const videoId = record.id;
    // remove() answers 0 for a job that is running (locked); that one sees the cancellation and stops.
    await jobs.remove(JobName.Plan, { videoId });
    const chunks = record.chunks_total ?? (await this.ctx.videos.get(videoId))?.chunks_total ?? 0;
    for (let chunkIndex = 0; chunkIndex < chunks; chunkIndex++) await jobs.remove(JobName.Detect, { videoId, chunkIndex });
    await jobs.remove(JobName.Merge, { videoId }, { removeChildren: true });
    await jobs.remove(JobName.Track, { videoId });
    // A running analysis finds its record gone and writes nothing.
    for (const analysis of await this.ctx.analyses.list(videoId)) await jobs.remove(JobName.Analyse, { analysisId: analysis.id });
    await this.ctx.videos.delete({ ...record, chunks_total: chunks });
    await this.ctx.uploads.remove(record.file);
  }
}
