import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { dataOf, messageOf, type Analysis } from '../api/http';
import type { Shapes } from '../overlay/draw-overlay';
import { Notice } from '../ui/notice';

export type DrawMode = 'line' | 'zone' | null;

/**
 * Draw counting lines and zones on the video, then count with the re-analysis endpoint
 * (POST /analyses over the stored tracks) and show the counts per direction and class.
 */
export function CountingPanel(props: {
  videoId: string;
  shapes: Shapes;
  mode: DrawMode;
  setMode: (m: DrawMode) => void;
  finishZone: () => void;
  clear: () => void;
  analysis: Analysis | null;
  setAnalysis: (a: Analysis | null) => void;
}) {
  const { shapes, mode, analysis } = props;
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const count = async () => {
    setBusy(true);
    setError(null);
    try {
      const path = { id: props.videoId };
      let current = dataOf(await api.POST('/api/v1/videos/{id}/analyses', { params: { path }, body: { lines: shapes.lines, zones: shapes.zones } }));
      props.setAnalysis(current);
      while (current.status === 'queued' || current.status === 'processing') {
        await new Promise((r) => setTimeout(r, 500));
        current = dataOf(await api.GET('/api/v1/videos/{id}/analyses/{analysis_id}', { params: { path: { ...path, analysis_id: current.id } } }));
        props.setAnalysis(current);
      }
      if (current.status === 'failed') setError(current.error?.message ?? 'The analysis failed.');
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const nothing = shapes.lines.length === 0 && shapes.zones.length === 0;
  return (
    <section class="card counting">
      <h3>Count</h3>
      <div class="controls">
        <button type="button" class={mode === 'line' ? 'active' : 'secondary'} onClick={() => props.setMode(mode === 'line' ? null : 'line')}>
          Draw line
        </button>
        <button type="button" class={mode === 'zone' ? 'active' : 'secondary'} onClick={() => (mode === 'zone' ? props.finishZone() : props.setMode('zone'))}>
          {mode === 'zone' ? 'Close zone' : 'Draw zone'}
        </button>
        <button type="button" class="secondary" onClick={props.clear} disabled={nothing && shapes.draft.length === 0}>
          Clear
        </button>
        <button type="button" onClick={() => void count()} disabled={nothing || busy}>
          {busy ? 'Counting…' : 'Count'}
        </button>
      </div>
      {mode === 'line' && <p class="small muted">Click two points on the video: "in" is from the line's right to its left, looking from the first point to the second.</p>}
      {mode === 'zone' && <p class="small muted">Click the zone's corners on the video, then "Close zone".</p>}
      {error && <Notice kind="error">{error}</Notice>}
      {analysis?.status === 'completed' && (
        <table class="counts small" data-testid="counts">
          <thead>
            <tr>
              <th>Line / zone</th>
              <th>Class</th>
              <th>In / entries</th>
              <th>Out / exits</th>
            </tr>
          </thead>
          <tbody>
            {analysis.lines.flatMap((line) => rows(line.name, Object.entries(line.counts ?? {}).map(([label, c]) => [label, c.in, c.out])))}
            {analysis.zones.flatMap((zone) => rows(zone.name, Object.entries(zone.counts ?? {}).map(([label, c]) => [label, c.entries, c.exits])))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function rows(name: string, counts: [string, number, number][]) {
  if (counts.length === 0)
    return [
      <tr key={name} data-count={name}>
        <td>{name}</td>
        <td class="muted">none crossed</td>
        <td data-in="0">0</td>
        <td data-out="0">0</td>
      </tr>,
    ];
  return counts.map(([label, a, b]) => (
    <tr key={`${name}-${label}`} data-count={name} data-label={label}>
      <td>{name}</td>
      <td>{label}</td>
      <td data-in={a}>{a}</td>
      <td data-out={b}>{b}</td>
    </tr>
  ));
}
