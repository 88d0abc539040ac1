import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Schemas } from '../api/http';
import { classColor, cssColor } from '../overlay/colors';

export interface CountSeries {
  name: string;
  /** Times (seconds) of each counted event. */
  times: number[];
}

/**
 * Per-class timeline (GET /timeline: tracks in view per bucket) drawn with uPlot, plus the counts of
 * a line or zone analysis as cumulative steps. A click seeks the video to that time.
 */
export function TimelineChart({ timeline, counts, duration, onSeek }: { timeline: Schemas['Timeline']; counts: CountSeries[]; duration: number; onSeek: (t: number) => void }) {
  const box = useRef<HTMLDivElement>(null);
  const seek = useRef(onSeek);
  seek.current = onSeek;

  useEffect(() => {
    const el = box.current!;
    const labels = [...new Set(timeline.items.map((i) => i.label))];
    const starts = [...new Set(timeline.items.map((i) => i.start))].sort((a, b) => a - b);
    const xs = [...starts, Math.max(duration, (starts.at(-1) ?? 0) + timeline.bucket)];
    const perLabel = labels.map((label) => {
      const byStart = new Map(timeline.items.filter((i) => i.label === label).map((i) => [i.start, i.tracks]));
      const ys = starts.map((s) => byStart.get(s) ?? 0);
      return [...ys, ys.at(-1) ?? 0];
    });
    const perCount = counts.map((c) => xs.map((x) => c.times.filter((t) => t <= x).length));
    const data: uPlot.AlignedData = [xs, ...perLabel, ...perCount];
    const stepped = uPlot.paths.stepped?.({ align: 1 });
    const plot = new uPlot(
      {
        width: el.clientWidth || 600,
        height: 220,
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] }, count: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [{ label: 'seconds' }, { label: 'tracks in view' }, { scale: 'count', side: 1, label: 'counted', grid: { show: false } }],
        series: [
          { label: 's' },
          ...labels.map((label) => ({ label, stroke: cssColor(classColor(label)), width: 2, paths: stepped })),
          ...counts.map((c) => ({ label: c.name, scale: 'count', stroke: '#6b7280', dash: [6, 4], width: 2, paths: stepped })),
        ],
        cursor: { drag: { x: false, y: false } },
        hooks: {
          ready: [
            (u) =>
              u.over.addEventListener('click', () => {
                const left = u.cursor.left;
                if (left !== undefined && left >= 0) seek.current(u.posToVal(left, 'x'));
              }),
          ],
        },
      },
      data,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [timeline, counts, duration]);

  return <div ref={box} class="chart" data-testid="timeline-chart" />;
}
