import type { Config, JobProducer, UploadStorage, VideoStore } from '@video-detect/shared';

/** What the processor's job handlers use, built once in `start-processor.ts`. */
export interface ProcessorContext {
  config: Config;
  videos: VideoStore;
  uploads: UploadStorage;
  jobs: JobProducer;
}
