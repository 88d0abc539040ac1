import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { chunkLayoutOf, VideoStatus, videoPath, type VideoRecord } from '@video-detect/shared';
import type { AppContext } from '../context.js';
import { HttpError } from '../http/http-error.js';
import type { ApiRoutes } from '../http/api-routes.js';
import { z } from '../http/zod.js';
import { TrackService } from '../tracks/track-service.js';
import { filterFrames, type ObjectFilter } from '../videos/detections-page.js';
import { frameFilterOf } from '../videos/frame-filter.js';
import { frameWindow, windowFrames, type TimeRange } from '../videos/frame-window.js';
import { detectionFilterFields, orderedTimeRange, timeRangeIssue, videoIdParamsSchema } from '../videos/video-schemas.js';
import { VideoService } from '../videos/video-service.js';
import { exportChunks, exportFileName, exportFormats, exportMedia, type FrameSource } from './export-formats.js';

const exportQuerySchema = z
  .object({
    format: z.enum(exportFormats).openapi({ description: 'jsonl: one frame per line (the /detections frame). csv: one row per object. mot: MOTChallenge `frame,id,x,y,w,h,conf,-1,-1,-1` (frames 1-based). coco: COCO-style JSON.' }),
    ...detectionFilterFields,
  })
  .refine(orderedTimeRange, timeRangeIssue);

/** 409 unless the video is completed: an export is of every analysed frame. */
export function completedOr409(record: VideoRecord, what: string): void {
  if (record.status !== VideoStatus.Completed) throw new HttpError(409, 'video_not_completed', `The video is ${record.status}: ${what} come with a completed video.`);
}

/** The filtered frames of a completed video, read a chunk batch at a time each time it is called. */
export function exportFrames(ctx: AppContext, record: VideoRecord, filter: ObjectFilter & TimeRange): FrameSource {
  const layout = chunkLayoutOf(record);
  return async function* () {
    if (!layout) return;
    const window = await frameWindow(ctx.videos, record.id, layout, filter);
    for await (const frames of windowFrames(ctx.videos, record.id, layout, window)) yield filterFrames(frames, filter);
  };
}

export function registerExportRoutes(routes: ApiRoutes, ctx: AppContext): void {
  const videos = new VideoService(ctx);
  const tracks = new TrackService(ctx);
  routes.addDownload({
    path: '/api/v1/videos/:id/export',
    summary: "Download a completed video's detections as a file (JSON Lines, CSV, MOTChallenge, COCO)",
    description:
      'Streamed a chunk at a time, so any length of video downloads in constant memory. Takes the filters of /detections (`class`, `min_score`, `track_id`, `from`, `to`). ' +
      'CSV columns: `frame,timestamp,track_id,label,class_id,score,x1,y1,x2,y2` (track_id empty for a box never confirmed as a track). ' +
      'MOT: the track id, -1 for such a box. COCO: `images` are the analysed frames (id = frame index + 1, `coco_url` its snapshot), `annotations` carry `bbox` `[x, y, w, h]`, the official COCO category ids (other classes: 1000 + class id), `score` and `attributes.track_id`.',
    tags: ['videos'],
    auth: true,
    params: videoIdParamsSchema,
    query: exportQuerySchema,
    response: {
      description: 'The file, as an attachment.',
      contentTypes: [...new Set(Object.values(exportMedia).map((m) => m.contentType.split(';')[0]!))],
      headers: { 'Content-Disposition': 'attachment; filename="<video name>-<format>.<ext>"' },
    },
    errors: { 404: 'Unknown video or track, or not yours.', 409: 'The video is not completed (or track_id given for a video that was not tracked).' },
    handler: async ({ user, params, query }, { res }) => {
      const record = await videos.getOwned(user.id, params.id);
      completedOr409(record, 'exports');
      const filter = await frameFilterOf(tracks, record, query);
      const { width = 0, height = 0 } = record.video ?? {};
      const video = { id: record.id, width, height, frameUrl: (index: number) => `${videoPath(record.id)}/frames/${index}.jpg` };
      res.attachment(exportFileName(record.filename, query.format));
      res.type(exportMedia[query.format].contentType);
      // An error after the first byte can only cut the download short: the client sees a truncated file, never a wrong one.
      await pipeline(Readable.from(exportChunks(query.format, video, exportFrames(ctx, record, filter))), res);
    },
  });
}
