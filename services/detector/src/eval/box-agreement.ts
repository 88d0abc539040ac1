import type { DetectedObject } from '@video-detect/shared';
import { boxIou } from '../decode/nms.js';

/** When two runs of a model (two providers) count as agreeing; the defaults are the OpenCV reference test's. */
export interface AgreementTolerance {
  /** Boxes from this score up must be matched in the other run. @defaultValue 0.3 */
  minScore: number;
  /** @defaultValue 0.9 */
  minIou: number;
  /** @defaultValue 0.05 */
  maxScoreDelta: number;
}

export const referenceTolerance: AgreementTolerance = { minScore: 0.3, minIou: 0.9, maxScoreDelta: 0.05 };

/** Running totals over many frames. */
export interface AgreementTally {
  frames: number;
  /** Boxes >= minScore in either run that found their match in the other. */
  matched: number;
  /** Human-readable problems (first few kept), and how many there were in all. */
  problems: string[];
  problemCount: number;
  /** Over the matched boxes: the lowest IoU and the largest score difference seen. */
  worstIou: number;
  worstScoreDelta: number;
}

export function emptyTally(): AgreementTally {
  return { frames: 0, matched: 0, problems: [], problemCount: 0, worstIou: 1, worstScoreDelta: 0 };
}

const toCorners = (o: DetectedObject) => ({ x1: o.box[0], y1: o.box[1], x2: o.box[2], y2: o.box[3], score: o.score, classId: o.class_id });
const describe = (o: DetectedObject) => `${o.label} ${o.score.toFixed(3)} [${o.box.map((v) => v.toFixed(1)).join(', ')}]`;

/**
 * Adds one frame to the tally, both ways: each box of `a` scoring >= minScore needs a same-class
 * box in `b` with IoU >= minIou and a score within maxScoreDelta, and each such box of `b` one in
 * `a`. Run both sides with a threshold below minScore (0.25 for 0.3), so a box that scores just
 * under minScore on one side is still there to be matched.
 */
export function tallyFrame(
  tally: AgreementTally,
  where: string,
  a: readonly DetectedObject[],
  b: readonly DetectedObject[],
  names: readonly [string, string] = ['a', 'b'],
  tol: AgreementTolerance = referenceTolerance,
): void {
  tally.frames++;
  const oneWay = (from: readonly DetectedObject[], to: readonly DetectedObject[], side: string) => {
    for (const box of from) {
      if (box.score < tol.minScore) continue;
      const corners = toCorners(box);
      let best: { iou: number; delta: number; other: DetectedObject } | null = null;
      for (const other of to) {
        if (other.class_id !== box.class_id) continue;
        const iou = boxIou(corners, toCorners(other));
        if (!best || iou > best.iou) best = { iou, delta: Math.abs(other.score - box.score), other };
      }
      if (best && best.iou >= tol.minIou && best.delta <= tol.maxScoreDelta) {
        tally.matched++;
        tally.worstIou = Math.min(tally.worstIou, best.iou);
        tally.worstScoreDelta = Math.max(tally.worstScoreDelta, best.delta);
        continue;
      }
      tally.problemCount++;
      if (tally.problems.length < 10) {
        const closest = best ? `closest ${describe(best.other)}, IoU ${best.iou.toFixed(3)}` : 'no box of that class';
        tally.problems.push(`${where}: ${side} ${describe(box)} unmatched (${closest})`);
      }
    }
  };
  oneWay(a, b, names[0]);
  oneWay(b, a, names[1]);
}

/** Adds one tally into another (per-video tallies into a total). */
export function addTally(total: AgreementTally, t: AgreementTally): void {
  total.frames += t.frames;
  total.matched += t.matched;
  total.problemCount += t.problemCount;
  total.problems.push(...t.problems.slice(0, Math.max(0, 10 - total.problems.length)));
  total.worstIou = Math.min(total.worstIou, t.worstIou);
  total.worstScoreDelta = Math.max(total.worstScoreDelta, t.worstScoreDelta);
}
