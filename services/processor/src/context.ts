import type { AnalysisStore, Config, JobProducer, TrackStore, UploadStorage, VideoStore } from '@video-detect/shared';

/** What the processor's job handlers use, built once in `start-processor.ts`. */
export interface ProcessorContext {
  config: Config;
  videos: VideoStore;
  tracks: TrackStore;
  analyses: AnalysisStore;
  uploads: UploadStorage;
  jobs: JobProducer;
}
