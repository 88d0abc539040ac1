import type { Candidate } from './candidate.js';

/** Intersection over union of two corner boxes (no +1 pixel convention, as OpenCV and torchvision). */
export function boxIou(a: Candidate, b: Candidate): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Class-aware greedy NMS: within each class, highest score first, a box is dropped when its IoU
 * with a kept box exceeds `iouThreshold`. Returns at most `maxDetections` boxes, best first.
 */
export function nonMaxSuppression(candidates: readonly Candidate[], iouThreshold: number, maxDetections: number): Candidate[] {
  // Stable sort: equal scores keep decode order, as OpenCV's NMSBoxes does.
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const keptByClass = new Map<number, Candidate[]>();
  const kept: Candidate[] = [];
  for (const cand of sorted) {
    let sameClass = keptByClass.get(cand.classId);
    if (!sameClass) {
      sameClass = [];
      keptByClass.set(cand.classId, sameClass);
    }
    if (sameClass.some((k) => boxIou(k, cand) > iouThreshold)) continue;
    sameClass.push(cand);
    kept.push(cand);
  }
  return kept.slice(0, maxDetections);
}
