/** A box before NMS: class index, score and corners (x1, y1, x2, y2), in whatever pixels the caller says. */
export interface Candidate {
  classId: number;
  score: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** What the decoders keep from the raw output. */
export interface DecodeOptions {
  /** Keep scores >= this. */
  scoreThreshold: number;
  /** Keep only these class indices; null = every class. */
  classIds: ReadonlySet<number> | null;
  /**
   * One box per anchor with its best class (false: what YOLOX's demo, OpenCV's reference and
   * Ultralytics' predict do), or every class above the threshold (true: Ultralytics' val).
   */
  multiLabel: boolean;
}
