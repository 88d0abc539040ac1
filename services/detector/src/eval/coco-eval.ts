/**
 * COCO-style box AP, following pycocotools' COCOeval for iouType 'bbox' with area range 'all' and
 * maxDets 100: IoU thresholds .50:.05:.95, 101-point interpolated precision, crowd regions that
 * absorb matches without counting, categories without ground truth left out of the mean.
 */

export interface CocoGroundTruth {
  image_id: number;
  category_id: number;
  /** [x, y, w, h] in pixels. */
  bbox: [number, number, number, number];
  area: number;
  iscrowd: 0 | 1;
}

export interface CocoDetection {
  image_id: number;
  category_id: number;
  bbox: [number, number, number, number];
  score: number;
}

export interface CocoEvalResult {
  /** AP@[.50:.95]. */
  ap: number;
  /** AP@.50. */
  ap50: number;
  /** AP@.75. */
  ap75: number;
  /** Categories that have ground truth (those the mean runs over). */
  categories: number;
  images: number;
  detections: number;
}

/** numpy.linspace(start, stop, num), bit for bit: threshold comparisons can be exact ties. */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : i * step + start));
}

export const IOU_THRESHOLDS = linspace(0.5, 0.95, 10);
const RECALL_THRESHOLDS = linspace(0, 1, 101);

/** pycocotools' maskUtils.iou for boxes: crowd ground truth divides by the detection's area only. */
export function cocoIou(dt: readonly number[], gt: readonly number[], gtCrowd: boolean): number {
  const [dx, dy, dw, dh] = dt as [number, number, number, number];
  const [gx, gy, gw, gh] = gt as [number, number, number, number];
  const iw = Math.min(dx + dw, gx + gw) - Math.max(dx, gx);
  const ih = Math.min(dy + dh, gy + gh) - Math.max(dy, gy);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = gtCrowd ? dw * dh : dw * dh + gw * gh - inter;
  return inter / union;
}

interface ImageEval {
  /** Detection scores, best first (at most maxDets). */
  scores: number[];
  /** Per IoU threshold: whether each detection matched (and whether the match is ignored). */
  matched: boolean[][];
  ignored: boolean[][];
  /** Ground truth that counts (not crowd, in the area range). */
  positives: number;
}

/** pycocotools evaluateImg for one image and category. */
function evaluateImage(gts: CocoGroundTruth[], dts: CocoDetection[], maxDets: number): ImageEval | null {
  if (gts.length === 0 && dts.length === 0) return null;
  // Area range 'all' is [0, 1e10]: only crowd regions are ignored.
  const gtIgnore = (g: CocoGroundTruth) => g.iscrowd === 1 || g.area < 0 || g.area > 1e10;
  // Ground truth sorted with the ignored ones last (stable), as pycocotools does.
  const gt = [...gts].sort((a, b) => Number(gtIgnore(a)) - Number(gtIgnore(b)));
  const ig = gt.map(gtIgnore);
  const dt = [...dts].sort((a, b) => b.score - a.score).slice(0, maxDets);
  const ious = dt.map((d) => gt.map((g) => cocoIou(d.bbox, g.bbox, g.iscrowd === 1)));

  const matched: boolean[][] = [];
  const ignored: boolean[][] = [];
  for (const t of IOU_THRESHOLDS) {
    const gtMatched = gt.map(() => false);
    const dtMatched = dt.map(() => false);
    const dtIgnored = dt.map(() => false);
    dt.forEach((d, di) => {
      let best = Math.min(t, 1 - 1e-10);
      let m = -1;
      for (let gi = 0; gi < gt.length; gi++) {
        // A matched non-crowd gt is taken; crowds can absorb many detections.
        if (gtMatched[gi] && gt[gi]!.iscrowd !== 1) continue;
        // Past the real gts onto ignored ones, with a real match already: stop.
        if (m > -1 && !ig[m] && ig[gi]) break;
        if (ious[di]![gi]! < best) continue;
        best = ious[di]![gi]!;
        m = gi;
      }
      if (m === -1) {
        // Unmatched detections outside the area range are ignored; with 'all' none is.
        const area = d.bbox[2] * d.bbox[3];
        dtIgnored[di] = area < 0 || area > 1e10;
        return;
      }
      dtIgnored[di] = ig[m]!;
      dtMatched[di] = true;
      gtMatched[m] = true;
    });
    matched.push(dtMatched);
    ignored.push(dtIgnored);
  }
  return { scores: dt.map((d) => d.score), matched, ignored, positives: ig.filter((x) => !x).length };
}

/** pycocotools accumulate + summarize for one category and IoU threshold index: interpolated precision at 101 recalls, or null. */
function categoryPrecision(evals: ImageEval[], tIndex: number, maxDets: number): number[] | null {
  const positives = evals.reduce((n, e) => n + e.positives, 0);
  if (positives === 0) return null;
  const rows: Array<{ score: number; tp: boolean; ignored: boolean }> = [];
  for (const e of evals) {
    for (let i = 0; i < Math.min(e.scores.length, maxDets); i++) {
      rows.push({ score: e.scores[i]!, tp: e.matched[tIndex]![i]!, ignored: e.ignored[tIndex]![i]! });
    }
  }
  // Stable sort by score, best first (numpy's mergesort on -score).
  rows.sort((a, b) => b.score - a.score);
  const recall: number[] = [];
  const precision: number[] = [];
  let tp = 0;
  let fp = 0;
  for (const r of rows) {
    if (r.ignored) {
      // Ignored detections count for neither, but still occupy a slot of the cumulative sums.
    } else if (r.tp) tp++;
    else fp++;
    recall.push(tp / positives);
    precision.push(tp / (tp + fp + Number.EPSILON));
  }
  for (let i = precision.length - 1; i > 0; i--) if (precision[i]! > precision[i - 1]!) precision[i - 1] = precision[i]!;
  return RECALL_THRESHOLDS.map((rt) => {
    // np.searchsorted(rc, rt, side='left'): first index with recall >= rt.
    let lo = 0;
    let hi = recall.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (recall[mid]! < rt) lo = mid + 1;
      else hi = mid;
    }
    return lo < precision.length ? precision[lo]! : 0;
  });
}

/** AP over the given images (all of them, including those without annotations). */
export function evaluateCoco(imageIds: readonly number[], gts: readonly CocoGroundTruth[], dts: readonly CocoDetection[], maxDets = 100): CocoEvalResult {
  const images = new Set(imageIds);
  const key = (img: number, cat: number) => `${img}/${cat}`;
  const gtBy = new Map<string, CocoGroundTruth[]>();
  const dtBy = new Map<string, CocoDetection[]>();
  const categories = new Set<number>();
  for (const g of gts) {
    if (!images.has(g.image_id)) continue;
    categories.add(g.category_id);
    const k = key(g.image_id, g.category_id);
    gtBy.set(k, [...(gtBy.get(k) ?? []), g]);
  }
  let detections = 0;
  for (const d of dts) {
    if (!images.has(d.image_id)) continue;
    detections++;
    const k = key(d.image_id, d.category_id);
    dtBy.set(k, [...(dtBy.get(k) ?? []), d]);
  }
  const sortedImages = [...images].sort((a, b) => a - b);
  const perThreshold = IOU_THRESHOLDS.map(() => [] as number[][]);
  // Every category of the ground truth's category list that has detections or annotations;
  // those without positives drop out of the mean (-1 in pycocotools).
  const allCategories = new Set([...categories, ...dts.map((d) => d.category_id)]);
  for (const cat of [...allCategories].sort((a, b) => a - b)) {
    const evals = sortedImages.flatMap((img) => {
      const e = evaluateImage(gtBy.get(key(img, cat)) ?? [], dtBy.get(key(img, cat)) ?? [], maxDets);
      return e ? [e] : [];
    });
    IOU_THRESHOLDS.forEach((_, t) => {
      const p = categoryPrecision(evals, t, maxDets);
      if (p) perThreshold[t]!.push(p);
    });
  }
  const mean = (rows: number[][]) => {
    const all = rows.flat();
    return all.length === 0 ? -1 : all.reduce((a, b) => a + b, 0) / all.length;
  };
  return {
    ap: mean(perThreshold.flat()),
    ap50: mean(perThreshold[0]!),
    ap75: mean(perThreshold[5]!),
    categories: categories.size,
    images: images.size,
    detections,
  };
}
