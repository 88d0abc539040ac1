import type { DetectedObject, Track } from '@video-detect/shared';

interface Vote {
  classId: number;
  count: number;
  scoreSum: number;
}

/** What `/tracks` says about a track, gathered box by box as the tracker assigns them. */
export class TrackStats {
  private firstFrame = -1;
  private lastFrame = -1;
  private start = 0;
  private end = 0;
  private frames = 0;
  private scoreSum = 0;
  private best: Track['best'] | null = null;
  private readonly votes = new Map<string, Vote>();

  add(index: number, timestamp: number, object: DetectedObject): void {
    if (this.frames === 0) {
      this.firstFrame = index;
      this.start = timestamp;
    }
    this.lastFrame = index;
    this.end = timestamp;
    this.frames++;
    this.scoreSum += object.score;
    if (!this.best || object.score > this.best.score) this.best = { index, box: object.box, score: object.score };
    const vote = this.votes.get(object.label) ?? { classId: object.class_id, count: 0, scoreSum: 0 };
    vote.count++;
    vote.scoreSum += object.score;
    this.votes.set(object.label, vote);
  }

  /** The label most of its boxes carry; ties go to the higher summed score, then the lower class id. */
  label(): { label: string; classId: number } {
    let winner: [string, Vote] | null = null;
    for (const entry of this.votes) {
      const [, v] = entry;
      const w = winner?.[1];
      if (!w || v.count > w.count || (v.count === w.count && (v.scoreSum > w.scoreSum || (v.scoreSum === w.scoreSum && v.classId < w.classId)))) winner = entry;
    }
    if (!winner) throw new Error('a track without boxes has no label');
    return { label: winner[0], classId: winner[1].classId };
  }

  toTrack(id: number): Track {
    const { label, classId } = this.label();
    const round = (x: number) => Math.round(x * 1e4) / 1e4;
    return {
      id,
      label,
      class_id: classId,
      first_frame: this.firstFrame,
      last_frame: this.lastFrame,
      start: this.start,
      end: this.end,
      frames: this.frames,
      max_score: this.best!.score,
      mean_score: round(this.scoreSum / this.frames),
      best: this.best!,
    };
  }
}
