import type { Point } from '@video-detect/shared';

/** -1 or 1: which side of a line (left, right) or of a zone's edge (outside, inside); 0: within the tolerance band. */
export type Side = -1 | 0 | 1;

/** A committed move: from one side to the other, dated by the first frame of the run on the new side. */
export interface SideChange {
  from: Side;
  to: Side;
  index: number;
  timestamp: number;
  /** Where the anchor last was, clearly on the old side, and where it first was on the new one. */
  before: Point;
  after: Point;
}

/**
 * One track's side of one line or zone, with debounce: a move to the other side counts only once
 * the anchor has been seen clearly on the new side (outside the tolerance band) in every analysed
 * frame for `debounce` seconds. A frame in the band or back on the old side cancels the move, so a
 * box flickering on a line never counts, and one that crosses and stays counts once.
 */
export class DebouncedSide {
  private pending: { side: Side; index: number; timestamp: number; at: Point } | null = null;
  private lastClear: Point | null = null;

  /** @param side the side it starts on; 0: taken from its first clear observation, without counting a move. */
  constructor(
    private readonly debounce: number,
    private side: Side = 0,
  ) {}

  get current(): Side {
    return this.side;
  }

  observe(side: Side, index: number, timestamp: number, at: Point): SideChange | null {
    if (side === 0) {
      this.pending = null;
      return null;
    }
    if (this.side === 0 || side === this.side) {
      this.side = side;
      this.pending = null;
      this.lastClear = at;
      return null;
    }
    if (this.pending?.side !== side) this.pending = { side, index, timestamp, at };
    // The epsilon: 19.4 - 19.1 is 0.29999… in floating point, and three 0.1 s steps are 0.3 s.
    if (timestamp - this.pending.timestamp < this.debounce - 1e-9) return null;
    const change: SideChange = { from: this.side, to: side, index: this.pending.index, timestamp: this.pending.timestamp, before: this.lastClear ?? this.pending.at, after: this.pending.at };
    this.side = side;
    this.lastClear = at;
    this.pending = null;
    return change;
  }
}
