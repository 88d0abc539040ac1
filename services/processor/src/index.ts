export { startProcessor, type RunningProcessor } from './start-processor.js';
export { planChunks, type ChunkPlan } from './planning/plan-chunks.js';
export { sampleFrames } from './planning/sample-frames.js';
export { ChunkResultMerger } from './jobs/merge-chunk-results.js';
