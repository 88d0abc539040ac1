import { api } from '../api/client';
import { dataOf, type Frame } from '../api/http';

/** Seconds of detections fetched at once: a long video is read around where it plays, never whole. */
const WINDOW_SECONDS = 10;
const PAGE_LIMIT = 1000;
const PARTIAL_RETRY_MS = 2000;

/**
 * The analysed frames of one video, fetched in windows of WINDOW_SECONDS (`from`/`to` of
 * /detections) as playback reaches them, the next one ahead of time. `frames()` returns every
 * frame loaded so far in timestamp order.
 */
export class DetectionsCache {
  private readonly windows = new Map<number, Promise<void>>();
  private loaded: Frame[] = [];

  constructor(
    private readonly videoId: string,
    private readonly onLoaded: () => void,
  ) {}

  frames(): readonly Frame[] {
    return this.loaded;
  }

  /** Makes sure the frames around `time` (and the next window) are loaded or on their way. */
  want(time: number): void {
    const k = Math.max(0, Math.floor(time / WINDOW_SECONDS));
    this.load(k);
    this.load(k + 1);
  }

  /** Resolves once the window holding `time` is loaded. */
  async ready(time: number): Promise<void> {
    this.want(time);
    await this.windows.get(Math.max(0, Math.floor(time / WINDOW_SECONDS)));
  }

  private load(k: number): void {
    if (this.windows.has(k)) return;
    const task = this.fetchWindow(k).catch((err: unknown) => {
      this.windows.delete(k); // asked again on the next frame
      throw err;
    });
    task.catch(() => undefined);
    this.windows.set(k, task);
  }

  private async fetchWindow(k: number): Promise<void> {
    const from = k * WINDOW_SECONDS;
    // `to` is inclusive: stop just before the next window's first instant.
    const to = (k + 1) * WINDOW_SECONDS - 1e-6;
    const got: Frame[] = [];
    let offset: number | null = 0;
    let partial = false;
    while (offset !== null) {
      const page: { frames: Frame[]; next_offset: number | null } = dataOf(await api.GET('/api/v1/videos/{id}/detections', { params: { path: { id: this.videoId }, query: { offset, limit: PAGE_LIMIT, from, to } } }));
      got.push(...page.frames);
      // A video still being analysed: the page stops at the first chunk not done yet (the same offset again).
      partial = page.next_offset === offset;
      offset = partial ? null : page.next_offset;
    }
    // Asked again after a while, when more of it may be analysed.
    if (partial) setTimeout(() => this.windows.delete(k), PARTIAL_RETRY_MS);
    const seen = new Set(this.loaded.map((f) => f.index));
    this.loaded = [...this.loaded, ...got.filter((f) => !seen.has(f.index))].sort((a, b) => a.index - b.index);
    this.onLoaded();
  }
}
