import type { Box } from '@video-detect/shared';

/**
 * Noise weights of ByteTrack's Kalman filter (per frame at 30 fps, relative to the box size), turned
 * into rates per second so that any frame spacing (sampling, variable frame rate) gets the same model.
 */
const REFERENCE_FPS = 30;
const POSITION_WEIGHT = 1 / 20;
const VELOCITY_WEIGHT = 1 / 160;
/** Fields per coordinate: position, velocity (per second), covariance [[a, b], [b, c]]. */
const FIELDS = 5;

/**
 * A box's motion as a constant-velocity Kalman filter on (centre x, centre y, width, height).
 * Motion model, noise and measurements are diagonal per coordinate, so the 8-state filter of
 * ByteTrack/BoT-SORT falls apart into four independent 2-state filters (position, velocity):
 * exactly the same estimates, written out in closed form without matrix code. Noise scales with
 * the box (x and width with its width, y and height with its height); time steps are seconds.
 */
export class BoxKalmanFilter {
  private readonly s = new Float64Array(4 * FIELDS);

  constructor(box: Box) {
    const [cx, cy, w, h] = toCentre(box);
    for (const [k, value] of [cx, cy, w, h].entries()) {
      const scale = k % 2 === 0 ? w : h;
      const o = k * FIELDS;
      this.s[o] = value;
      this.s[o + 1] = 0;
      this.s[o + 2] = (2 * POSITION_WEIGHT * scale) ** 2;
      this.s[o + 3] = 0;
      this.s[o + 4] = (10 * VELOCITY_WEIGHT * scale * REFERENCE_FPS) ** 2;
    }
  }

  /** Moves the estimate `dt` seconds on; `holdSize` stops width and height changing (a lost track, as ByteTrack does). */
  predict(dt: number, holdSize = false): void {
    const s = this.s;
    const [w, h] = [Math.max(s[2 * FIELDS]!, 1), Math.max(s[3 * FIELDS]!, 1)];
    for (let k = 0; k < 4; k++) {
      const o = k * FIELDS;
      if (holdSize && k >= 2) s[o + 1] = 0;
      const scale = k % 2 === 0 ? w : h;
      const qp = (POSITION_WEIGHT * scale) ** 2 * REFERENCE_FPS * dt;
      const qv = (VELOCITY_WEIGHT * scale * REFERENCE_FPS) ** 2 * REFERENCE_FPS * dt;
      const [a, b, c] = [s[o + 2]!, s[o + 3]!, s[o + 4]!];
      s[o] = s[o]! + s[o + 1]! * dt;
      s[o + 2] = a + 2 * dt * b + dt * dt * c + qp;
      s[o + 3] = b + dt * c;
      s[o + 4] = c + qv;
    }
  }

  /** Corrects the estimate with a measured box. */
  update(box: Box): void {
    const s = this.s;
    const measured = toCentre(box);
    for (let k = 0; k < 4; k++) {
      const o = k * FIELDS;
      const scale = k % 2 === 0 ? measured[2] : measured[3];
      const r = (POSITION_WEIGHT * scale) ** 2;
      const [a, b, c] = [s[o + 2]!, s[o + 3]!, s[o + 4]!];
      const innovation = measured[k]! - s[o]!;
      const gainP = a / (a + r);
      const gainV = b / (a + r);
      s[o] = s[o]! + gainP * innovation;
      s[o + 1] = s[o + 1]! + gainV * innovation;
      s[o + 2] = (1 - gainP) * a;
      s[o + 3] = (1 - gainP) * b;
      s[o + 4] = c - gainV * b;
    }
  }

  /** The estimated box, [x1, y1, x2, y2]. */
  box(): Box {
    const s = this.s;
    const [cx, cy] = [s[0]!, s[FIELDS]!];
    const [w, h] = [Math.max(s[2 * FIELDS]!, 1e-3), Math.max(s[3 * FIELDS]!, 1e-3)];
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
  }

  /** Estimated velocity of the box centre, pixels per second. */
  velocity(): [number, number] {
    return [this.s[1]!, this.s[FIELDS + 1]!];
  }
}

function toCentre([x1, y1, x2, y2]: Box): [number, number, number, number] {
  return [(x1 + x2) / 2, (y1 + y2) / 2, Math.max(x2 - x1, 1e-3), Math.max(y2 - y1, 1e-3)];
}
