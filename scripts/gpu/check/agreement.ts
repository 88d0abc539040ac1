import path from 'node:path';
import type { ExecutionProviderName, WebGpuSettings } from '@video-detect/shared';
import { addTally, computeLetterbox, DetectionEngine, emptyTally, openOnnxSession, referenceTolerance, tallyFrame, type AgreementTally } from '@video-detect/detector';
import { decodeVideo, type Tools } from './media-frames.js';
import { report } from './report.js';

export interface AgreementOptions {
  model: string;
  videos: string[];
  providers: ExecutionProviderName[];
  webgpu: Partial<WebGpuSettings>;
  tools: Tools;
  /** Frames per video at most (a quick run); null = every frame. */
  maxFrames: number | null;
}

/** Same post-processing on every provider; 0.25 so a box just under 0.3 on one side is still matched. */
const post = { scoreThreshold: 0.25, nmsIou: 0.45, maxPerFrame: 100, classIds: null, multiLabel: false };

const summary = (t: AgreementTally) => ({
  frames: t.frames,
  matched: t.matched,
  problems: t.problemCount,
  worst_iou: t.matched ? +t.worstIou.toFixed(5) : null,
  worst_score_delta: t.matched ? +t.worstScoreDelta.toFixed(5) : null,
  pass: t.problemCount === 0 && t.frames > 0,
});

/**
 * Every frame of every video through the CPU provider and each GPU provider, with the same
 * letterboxed input: each box >= 0.3 of either must have a same-class box in the other with
 * IoU >= 0.9 and a score within 0.05 (the OpenCV reference test's tolerance).
 */
export async function checkAgreement(o: AgreementOptions): Promise<void> {
  const open = (executionProvider: ExecutionProviderName) =>
    openOnnxSession({ modelPath: o.model, executionProvider, deviceId: 0, webgpu: o.webgpu, intraOpThreads: 0, batchSize: 1 }).then((s) => new DetectionEngine(s));
  const cpu = await open('cpu');
  const engines: Array<{ provider: ExecutionProviderName; engine: DetectionEngine; total: AgreementTally }> = [];
  for (const provider of o.providers) {
    try {
      const engine = await open(provider);
      await engine.warmUp();
      engines.push({ provider, engine, total: emptyTally() });
    } catch (err) {
      report({ check: 'agreement', provider, error: (err as Error).message, pass: false });
    }
  }
  if (engines.length === 0) return;

  const { family, inputSize } = cpu.model.format;
  for (const file of o.videos) {
    const name = path.basename(file);
    const video = await decodeVideo(file, family, o.tools);
    const letterbox = computeLetterbox(family, video.width, video.height, inputSize);
    const tallies = engines.map(() => emptyTally());
    const ms = engines.map(() => 0);
    let cpuMs = 0;
    for await (const frame of video.frames) {
      let started = performance.now();
      const reference = (await cpu.detect([frame.data], letterbox, post))[0]!;
      cpuMs += performance.now() - started;
      for (const [i, { provider, engine }] of engines.entries()) {
        started = performance.now();
        const objects = (await engine.detect([frame.data], letterbox, post))[0]!;
        ms[i]! += performance.now() - started;
        tallyFrame(tallies[i]!, `${name} frame ${frame.ordinal}`, reference, objects, ['cpu', provider]);
      }
      if (frame.ordinal + 1 === o.maxFrames) break;
    }
    video.stop();
    for (const [i, { provider, total }] of engines.entries()) {
      const t = tallies[i]!;
      report({ check: 'agreement', provider, video: name, ...summary(t), cpu_ms_per_frame: +(cpuMs / t.frames).toFixed(2), provider_ms_per_frame: +(ms[i]! / t.frames).toFixed(2), examples: t.problems.slice(0, 3) });
      addTally(total, t);
    }
  }
  for (const { provider, engine, total } of engines) {
    report({ check: 'agreement', provider, video: 'all', videos: o.videos.length, tolerance: referenceTolerance, ...summary(total) });
    await engine.release();
  }
  await cpu.release();
}
