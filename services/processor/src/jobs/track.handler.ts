import { chunkLayoutOf, DEFAULT_TRACKER_SETTINGS, defineJobHandler, IncompleteResultsError, JobName, VideoStatus, type FrameResult, type Track } from '@video-detect/shared';
import type { ProcessorContext } from '../context.js';
import { ByteTracker } from '../tracking/byte-tracker.js';
import { completeVideo, queuePendingAnalyses, storedFrames } from './complete-video.js';

/** Ended tracks written per round trip. */
const TRACK_BATCH = 500;

/**
 * The `track` job, after a complete merge: runs the tracker over the stored frames in order, a
 * chunk at a time, writes each chunk back with every object's `track_id` and each confirmed track
 * when it ends, completes the summary with per-class track counts and finishes the video as
 * completed. Memory holds a few chunks and the live tracks, however long the video. A rerun
 * (retry) gives the same ids: the tracker is deterministic and reads only boxes.
 */
export const trackHandler = defineJobHandler(JobName.Track, async ({ data: { videoId, summary }, log }, ctx: ProcessorContext) => {
  const record = await ctx.videos.get(videoId);
  if (record?.status === VideoStatus.Completed) {
    // A retry after the video was completed: only the analyses may still need their jobs.
    await queuePendingAnalyses(ctx, videoId);
    return { status: record.status, tracks: await ctx.tracks.count(videoId) };
  }
  if (!record || record.status !== VideoStatus.Processing) return { status: record?.status ?? VideoStatus.Cancelled, tracks: 0 };
  const layout = chunkLayoutOf(record);
  if (!layout) throw new IncompleteResultsError(['the video has no chunk plan (frames_total or chunk_frames missing)']);

  const tracker = new ByteTracker(record.options.tracker ?? DEFAULT_TRACKER_SETTINGS);
  const perLabel = new Map<string, number>();
  let ended: Track[] = [];
  let out: FrameResult[] = [];
  let outChunk = 0;
  let stopped = false;
  const saveEnded = async () => {
    stopped ||= !(await ctx.tracks.save(videoId, ended));
    ended = [];
  };
  const handOut = async (events: ReturnType<ByteTracker['push']>) => {
    for (const event of events) {
      if (event.type === 'ended') {
        ended.push(event.track);
        perLabel.set(event.track.label, (perLabel.get(event.track.label) ?? 0) + 1);
        continue;
      }
      out.push(event.frame);
      if (out.length < layout.size(outChunk)) continue;
      stopped ||= !(await ctx.videos.saveTrackedChunk(videoId, outChunk, JSON.stringify(out)));
      out = [];
      outChunk++;
      if (ended.length >= TRACK_BATCH) await saveEnded();
    }
  };
  for await (const frames of storedFrames(ctx, videoId, layout)) {
    for (const frame of frames) await handOut(tracker.push(frame));
    // The video was cancelled or deleted: stop, writing nothing more.
    if (stopped) return { status: (await ctx.videos.getStatus(videoId)) ?? VideoStatus.Cancelled, tracks: 0 };
  }
  await handOut(tracker.finish());
  await saveEnded();
  if (stopped) return { status: (await ctx.videos.getStatus(videoId)) ?? VideoStatus.Cancelled, tracks: 0 };

  const tracks = [...perLabel.values()].reduce((a, b) => a + b, 0);
  const withTracks = Object.fromEntries(Object.entries(summary).map(([label, s]) => [label, { ...s, tracks: perLabel.get(label) ?? 0 }]));
  log.info({ tracks }, 'tracked');
  await completeVideo(ctx, videoId, withTracks, log);
  return { status: VideoStatus.Completed, tracks };
});
