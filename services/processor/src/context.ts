import type { FlowProducer } from 'bullmq';
import type { Config, Logger, VideoStorage, VideoStore } from '@video-detect/shared';

export interface ProcessorContext {
  config: Config;
  logger: Logger;
  videos: VideoStore;
  storage: VideoStorage;
  flows: FlowProducer;
}
