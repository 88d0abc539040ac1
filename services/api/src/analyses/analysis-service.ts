import {
  AnalysisStatus,
  describeIssues,
  JobName,
  newAnalysisRecord,
  resolveAnalysisSettings,
  VideoStatus,
  type AnalysisRecord,
  type AnalysisRequest,
  type AnalysisSettings,
  type Point,
  type VideoRecord,
} from '@video-detect/shared';
import type { AppContext } from '../context.js';
import { HttpError, notFound } from '../http/http-error.js';
import { videoPath } from '../videos/video-service.js';
import type { AnalysisResource } from './analysis-schemas.js';

/** An analysis's settings from a request and the video's tracker settings; 400 naming the field (under `prefix`) when the merged settings do not hold. */
export function analysisSettingsOr400(request: AnalysisRequest, videoTracker: VideoRecord['options']['tracker'], prefix = ''): AnalysisSettings {
  const resolved = resolveAnalysisSettings(request, videoTracker);
  if (!resolved.success) throw new HttpError(400, 'invalid_request', `Invalid ${prefix ? 'upload options' : 'request body'}: ${prefix}${describeIssues(resolved.error)}`);
  return resolved.data;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Analyses of one video: created only for a completed video, read back with pixels beside the fractions. */
export class AnalysisService {
  constructor(private readonly ctx: AppContext) {}

  /** Stores the analysis and adds its job; 409 unless the video is completed. Nothing stays behind when either step fails. */
  async create(video: VideoRecord, settings: AnalysisSettings): Promise<AnalysisRecord> {
    const analysis = newAnalysisRecord(video.id, settings);
    const status = await this.ctx.analyses.create(analysis, VideoStatus.Completed);
    if (status === null) throw notFound();
    if (status !== VideoStatus.Completed) throw new HttpError(409, 'video_not_completed', `The video is ${status}: analyses need a completed video.`);
    try {
      await this.ctx.jobs.add(JobName.Analyse, { videoId: video.id, analysisId: analysis.id });
    } catch (err) {
      await this.ctx.analyses.remove(video.id, analysis.id).catch(() => undefined);
      throw err;
    }
    return analysis;
  }

  async get(video: VideoRecord, analysisId: string): Promise<AnalysisRecord> {
    const analysis = /^[0-9a-f-]{36}$/i.test(analysisId) ? await this.ctx.analyses.get(video.id, analysisId) : null;
    if (!analysis) throw notFound('analysis');
    return analysis;
  }

  async list(video: VideoRecord): Promise<AnalysisRecord[]> {
    return this.ctx.analyses.list(video.id);
  }

  /**
   * The analysis as the API shows it: lines and zones with their pixels and, once completed,
   * their counts. An analysis asked for at upload whose video then failed is shown failed.
   */
  toResource(analysis: AnalysisRecord, video: VideoRecord): AnalysisResource {
    const { width, height } = video.video ?? { width: 0, height: 0 };
    const px = (points: readonly Point[]) => points.map(([x, y]): [number, number] => [round1(x * width), round1(y * height)]);
    const { settings, results } = analysis;
    const videoEnded = video.status === VideoStatus.Failed || video.status === VideoStatus.Cancelled;
    const orphaned = analysis.status === AnalysisStatus.Queued && videoEnded;
    return {
      id: analysis.id,
      video_id: analysis.video_id,
      status: orphaned ? AnalysisStatus.Failed : analysis.status,
      created_at: analysis.created_at,
      completed_at: analysis.completed_at,
      anchor: settings.anchor,
      debounce: settings.debounce,
      tolerance: settings.tolerance,
      tracker: settings.tracker,
      lines: settings.lines.map((line, i) => {
        const r = results?.lines[i];
        const [a, b] = px(line.points);
        return { name: line.name, points: line.points, points_px: [a!, b!], counts: r?.counts ?? null, crossings: r?.crossings ?? null };
      }),
      zones: settings.zones.map((zone, i) => {
        const r = results?.zones[i];
        return { name: zone.name, polygon: zone.polygon, polygon_px: px(zone.polygon), counts: r?.counts ?? null, visits: r?.visits ?? null, occupancy: r?.occupancy ?? null, max_occupancy: r?.max_occupancy ?? null };
      }),
      error: orphaned ? { code: 'video_not_completed', message: `The video ${video.status === VideoStatus.Failed ? 'failed' : 'was cancelled'}: nothing to analyse.` } : analysis.error,
      links: { self: `${videoPath(video.id)}/analyses/${analysis.id}`, video: videoPath(video.id) },
    };
  }
}
