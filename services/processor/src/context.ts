import type { AnalysisStore, Config, FairPriorities, JobProducer, RenderStore, TrackStore, UploadStorage, VideoStore, WebhookStore } from '@video-detect/shared';
import type { WebhookSender } from './webhooks/webhook-sender.js';

/** What the processor's job handlers use, built once in `start-processor.ts`. */
export interface ProcessorContext {
  config: Config;
  videos: VideoStore;
  tracks: TrackStore;
  analyses: AnalysisStore;
  renders: RenderStore;
  uploads: UploadStorage;
  jobs: JobProducer;
  /** Detect chunks' priorities, fair between users. */
  priorities: FairPriorities;
  webhooks: WebhookStore;
  sender: WebhookSender;
}
