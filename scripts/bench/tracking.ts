import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AnalysisStore,
  ChunkLayout,
  DEFAULT_COUNTING,
  DEFAULT_TRACKER_SETTINGS,
  JobName,
  newAnalysisRecord,
  NO_OPTIONS,
  VideoStatus,
  type AnalysisSettings,
  type FrameResult,
  type JobProducer,
  type VideoStore,
} from '@video-detect/shared';
import { ChunkResultMerger } from '../../services/processor/src/jobs/merge-chunk-results.js';
import { ByteTracker } from '../../services/processor/src/tracking/byte-tracker.js';
import { TrackCounter } from '../../services/processor/src/analysis/track-counter.js';
import { SYNTHETIC_SIZE, syntheticFrames } from './synthetic-video.js';

/** A counting line through the middle and a zone over the middle third: what the benchmarks count. */
export function benchAnalysis(): AnalysisSettings {
  return {
    ...DEFAULT_COUNTING,
    tracker: DEFAULT_TRACKER_SETTINGS,
    lines: [{ name: 'middle', points: [[0.5, 0], [0.5, 1]] }],
    zones: [{ name: 'centre', polygon: [[0.33, 0], [0.67, 0], [0.67, 1], [0.33, 1]] }],
  };
}

/** Milliseconds the tracker and the counting take over a video's detections, in this process (no I/O). */
export function trackAndCountMs(frames: readonly FrameResult[], size: { width: number; height: number }): number {
  const started = performance.now();
  const tracker = new ByteTracker(DEFAULT_TRACKER_SETTINGS);
  const counter = new TrackCounter(benchAnalysis(), size);
  for (const frame of frames) for (const event of tracker.push(frame)) counter.add(event);
  for (const event of tracker.finish()) counter.add(event);
  counter.results();
  return performance.now() - started;
}

export interface StoredVideo {
  id: string;
  layout: ChunkLayout;
  merger: ChunkResultMerger;
}

/** A synthetic video written as the detectors leave it (record processing, every chunk stored), generated a chunk at a time. */
export async function storeSyntheticVideo(videos: VideoStore, id: string, seconds: number, fps: number, chunkFrames: number): Promise<StoredVideo> {
  const framesTotal = Math.round(seconds * fps);
  const layout = new ChunkLayout(framesTotal, chunkFrames);
  const record = {
    ...{ id, owner_id: id, status: VideoStatus.Processing, filename: 'synthetic.mp4', client_tag: null, file: `${id}.mp4`, size_bytes: 0, created_at: new Date().toISOString() },
    ...{ started_at: new Date().toISOString(), completed_at: null, options: { ...NO_OPTIONS, tracking: true, tracker: DEFAULT_TRACKER_SETTINGS } },
    video: { duration: seconds, fps, ...SYNTHETIC_SIZE, frame_count: framesTotal, codec: 'h264', rotation: 0 },
    ...{ frames_total: framesTotal, chunks_total: layout.count, chunk_frames: chunkFrames, chunk_layout: 'even' as const, model: null, summary: null, error: null },
  };
  await videos.create(record);
  const merger = new ChunkResultMerger(layout);
  const starts: number[] = [];
  for (let c = 0; c < layout.count; c++) {
    const frames = syntheticFrames(fps, layout.start(c), layout.size(c));
    merger.add(c, frames);
    starts.push(frames[0]!.timestamp);
    await videos.saveChunkResult(id, c, JSON.stringify(frames), frames.length);
  }
  await videos.saveChunkTimes(id, starts);
  return { id, layout, merger };
}

/** Peak resident memory of a process while `work` runs, sampled every 50 ms (MB). */
export async function peakRssMb<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  let peak = rss();
  const timer = setInterval(() => (peak = Math.max(peak, rss())), 50);
  try {
    return { result: await work(), peakMb: peak };
  } finally {
    clearInterval(timer);
  }
}

/** Runs the tracking job on a stored synthetic video; seconds from adding the job to `completed_at`. */
export async function timeTrackingJob(videos: VideoStore, jobs: JobProducer, video: StoredVideo): Promise<number> {
  if (!video.merger.complete()) throw new Error(`synthetic video incomplete: ${video.merger.problems.join('; ')}`);
  const started = Date.now();
  await jobs.add(JobName.Track, { videoId: video.id, summary: video.merger.summary });
  for (;;) {
    const record = await videos.get(video.id);
    if (record?.status !== VideoStatus.Processing) {
      if (record?.status !== VideoStatus.Completed || !record.completed_at) throw new Error(`tracking ended ${record?.status}: ${JSON.stringify(record?.error)}`);
      return (Date.parse(record.completed_at) - started) / 1000;
    }
    await sleep(100);
  }
}

/** Runs one analysis of a completed video through the processor; its seconds and its line count. */
export async function timeAnalysis(analyses: AnalysisStore, jobs: JobProducer, videoId: string): Promise<{ seconds: number; crossings: number }> {
  const analysis = newAnalysisRecord(videoId, benchAnalysis());
  const started = Date.now();
  if ((await analyses.create(analysis, VideoStatus.Completed)) !== VideoStatus.Completed) throw new Error('the video is not completed');
  await jobs.add(JobName.Analyse, { videoId, analysisId: analysis.id });
  for (;;) {
    const done = await analyses.get(videoId, analysis.id);
    if (done?.status === 'failed') throw new Error(`analysis failed: ${JSON.stringify(done.error)}`);
    if (done?.status === 'completed' && done.completed_at && done.results) {
      const counts = Object.values(done.results.lines[0]?.counts ?? {});
      return { seconds: (Date.parse(done.completed_at) - started) / 1000, crossings: counts.reduce((n, c) => n + c.in + c.out, 0) };
    }
    await sleep(100);
  }
}
