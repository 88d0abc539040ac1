import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  chunkLayoutOf,
  FailureCode,
  JobName,
  newAnalysisRecord,
  probeVideo,
  queuedVideoRecord,
  toVideoResource,
  UnreadableVideoError,
  renderFileName,
  VideoStatus,
  type FrameResult,
  type AnalysisSettings,
  type VideoOptions,
  type VideoRecord,
} from '@video-detect/shared';
import type { AppContext } from '../context.js';
import { HttpError, notFound } from '../http/http-error.js';
import { quotaError } from './quota-errors.js';
import { filterFrames, planPage, type ObjectFilter, type PageFrame } from './detections-page.js';
import { frameWindow, type TimeRange } from './frame-window.js';
import type { DetectionsPage, VideoResource } from './video-schemas.js';

/** A video list page, as GET /api/v1/videos answers it. */
interface VideoList {
  items: VideoResource[];
  next_offset: number | null;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How long a retry waits for the jobs of the stopped run to let go (a running chunk stops within about half a second). */
const RETRY_WAIT_MS = 5000;

export { videoPath } from '@video-detect/shared';

const isRunning = (status: VideoStatus) => status === VideoStatus.Queued || status === VideoStatus.Processing;

/** Video logic behind the routes: ownership, upload acceptance, paging, cancelling, retrying, deletion. */
export class VideoService {
  constructor(private readonly ctx: AppContext) {}

  /** The caller's video, or 404 exactly as for an unknown id. */
  async getOwned(ownerId: string, videoId: string): Promise<VideoRecord> {
    if (!uuidPattern.test(videoId)) throw notFound();
    const record = await this.ctx.videos.get(videoId);
    if (!record || record.owner_id !== ownerId) throw notFound();
    return record;
  }

  async exists(videoId: string): Promise<boolean> {
    return (await this.ctx.videos.getStatus(videoId)) !== null;
  }

  /** The caller's videos (with `clientTag` only, when given), newest first; index entries of expired records (RESULT_TTL_SECONDS) are dropped on the way. */
  async list(ownerId: string, offset: number, limit: number, clientTag?: string): Promise<VideoList> {
    const { ids, total } = await this.ctx.videos.listIds(ownerId, offset, limit, clientTag);
    const records = await this.ctx.videos.getMany(ids);
    const expired = ids.filter((_, i) => records[i] === null);
    await Promise.all(expired.map((id) => this.ctx.videos.forgetIndexEntry(ownerId, id, clientTag)));
    const items = await Promise.all(records.flatMap((record) => (record ? [this.toResource(record)] : [])));
    return { items, next_offset: offset + limit < total ? offset + limit : null };
  }

  async toResource(record: VideoRecord): Promise<VideoResource> {
    const done = record.status === VideoStatus.Queued && record.chunks_total === null ? { framesDone: 0, chunksDone: 0 } : await this.ctx.videos.getProgress(record.id);
    const resource = toVideoResource(record, done);
    const base = this.ctx.config.api.publicBaseUrl?.replace(/\/$/, '') ?? '';
    return { ...resource, links: { ...resource.links, file: this.ctx.mediaUrls.sign(record.owner_id, record.id, 'file', base).url } };
  }

  /**
   * Accepts a stored upload: ffprobe must find a decodable video stream (else 415), then the
   * record (and the analysis asked for with it, which runs once the video is completed) is written,
   * the file moved from `.incoming/` to its place, and the `plan` job added with job id = video id.
   */
  async accept(
    ownerId: string,
    file: { filename: string; originalname: string; size: number },
    options: VideoOptions,
    analysis: AnalysisSettings | null,
    clientTag: string | null,
  ): Promise<VideoRecord> {
    const id = path.parse(file.filename).name;
    let probed;
    try {
      probed = await probeVideo(await this.ctx.uploads.source(file.filename, 'incoming'), this.ctx.config.media.ffprobePath, this.ctx.config.media.limits);
    } catch (err) {
      if (err instanceof UnreadableVideoError) throw new HttpError(415, 'unsupported_media', `Not a decodable video: ${err.detail}.`);
      throw err;
    }
    const { streamIndex: _s, startTime: _t, timeBase: _b, ...video } = probed;
    const record = queuedVideoRecord({
      id,
      owner_id: ownerId,
      filename: path.basename(file.originalname).slice(0, 255),
      client_tag: clientTag,
      file: file.filename,
      size_bytes: file.size,
      video,
      options,
    });
    // Counted against the owner's limits atomically; refused: the route's clean-up removes the file.
    const refusal = await this.ctx.quotas.reserve(ownerId, id, file.size);
    if (refusal) throw quotaError(refusal, this.ctx.quotas);
    try {
      await this.ctx.videos.create(record);
    } catch (err) {
      await this.ctx.quotas.release(ownerId, id, file.size).catch(() => undefined);
      throw err;
    }
    try {
      // After the record, before the job: a file among the videos always has its record.
      await this.ctx.uploads.promote(file.filename);
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
    const stillRunning = isRunning(record.status);
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

  /**
   * Stops a queued or processing video and keeps it: status `cancelled`, the results stored so
   * far stay readable (a retry runs only the rest). Cancelling a cancelled video answers it as it
   * is; a completed or failed one is 409.
   */
  async cancel(record: VideoRecord): Promise<VideoRecord> {
    if (record.status === VideoStatus.Cancelled) return record;
    if (!isRunning(record.status)) throw new HttpError(409, 'video_not_running', `The video is already ${record.status}: there is nothing to cancel.`);
    await this.stopWork(record);
    return (await this.ctx.videos.get(record.id)) ?? record;
  }

  /**
   * Runs a failed or cancelled video again: only the chunks without a stored result are detected,
   * then everything is merged. 409 for a video in any other status, or while a job of its stopped
   * run still holds on (for longer than RETRY_WAIT_MS).
   */
  async retry(record: VideoRecord): Promise<VideoRecord> {
    if (record.status !== VideoStatus.Failed && record.status !== VideoStatus.Cancelled) {
      throw new HttpError(409, 'video_not_retryable', `Only a failed or cancelled video can be retried; this one is ${record.status}.`);
    }
    // Job ids come from the video, so the finished jobs of the last run must go before new ones can be added.
    for (const deadline = Date.now() + RETRY_WAIT_MS; !(await this.removeJobs(record)); await sleep(100)) {
      if (Date.now() > deadline) throw new HttpError(409, 'video_busy', 'A job of the stopped run is still finishing; retry in a few seconds.');
    }
    // Active again: it takes a place among the owner's active videos (its file is counted already).
    const refusal = await this.ctx.quotas.reserve(record.owner_id, record.id, 0);
    if (refusal) throw quotaError(refusal, this.ctx.quotas);
    if (!(await this.ctx.videos.requeue(record))) {
      await this.ctx.quotas.release(record.owner_id, record.id, 0);
      throw new HttpError(409, 'video_not_retryable', 'The video changed status meanwhile; read it again.');
    }
    try {
      await this.ctx.jobs.add(JobName.Plan, { videoId: record.id });
    } catch (err) {
      const message = `could not queue the retry: ${err instanceof Error ? err.message : String(err)}`;
      await this.ctx.videos.finish(record.id, { status: VideoStatus.Failed, error: { code: FailureCode.PlanFailed, message } }).catch(() => false);
      throw err;
    }
    return (await this.ctx.videos.get(record.id)) ?? record;
  }

  /** Stops remaining work, then removes the record, results and file. */
  async delete(record: VideoRecord): Promise<void> {
    await this.stopWork(record);
    const chunks = record.chunks_total ?? (await this.ctx.videos.get(record.id))?.chunks_total ?? 0;
    // A running analysis finds its record gone and writes nothing.
    for (const analysis of await this.ctx.analyses.list(record.id)) await this.ctx.jobs.remove(JobName.Analyse, { analysisId: analysis.id });
    // A running render finds its record gone, stops and removes its partial file; a finishing one removes its file.
    const renders = await this.ctx.renders.list(record.id);
    for (const render of renders) await this.ctx.jobs.remove(JobName.Render, { renderId: render.id });
    await this.ctx.videos.delete({ ...record, chunks_total: chunks });
    await this.ctx.uploads.remove(record.file);
    for (const render of renders) await this.ctx.uploads.remove(renderFileName(record.id, render.id));
  }

  /** Ends the video as cancelled and removes its waiting jobs; a running chunk sees the status between frames and stops, writing nothing. */
  private async stopWork(record: VideoRecord): Promise<void> {
    await this.ctx.videos.finish(record.id, { status: VideoStatus.Cancelled });
    await this.removeJobs(record);
  }

  /** Removes every job of the video (waiting or finished); false while one of them is still running. */
  private async removeJobs(record: VideoRecord): Promise<boolean> {
    const { jobs } = this.ctx;
    const videoId = record.id;
    const outcomes = [await jobs.removeUnlessRunning(JobName.Plan, { videoId })];
    // The plan may have just stored how many chunks there are.
    const chunks = record.chunks_total ?? (await this.ctx.videos.get(videoId))?.chunks_total ?? 0;
    for (let chunkIndex = 0; chunkIndex < chunks; chunkIndex++) outcomes.push(await jobs.removeUnlessRunning(JobName.Detect, { videoId, chunkIndex }));
    outcomes.push(await jobs.removeUnlessRunning(JobName.Merge, { videoId }));
    outcomes.push(await jobs.removeUnlessRunning(JobName.Track, { videoId }));
    return !outcomes.includes('running');
  }
}
