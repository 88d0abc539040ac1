import { useState } from 'preact/hooks';
import { api, authorizedFetch } from '../api/client';
import { ApiError, dataOf, errorFromBody, messageOf, type Schemas, type Video } from '../api/http';
import { Notice } from '../ui/notice';

type Render = Schemas['Render'];

const FORMATS = [
  ['jsonl', 'JSON Lines'],
  ['csv', 'CSV'],
  ['mot', 'MOTChallenge'],
  ['coco', 'COCO'],
] as const;

/** Saves a response body under the name its Content-Disposition gives. */
async function save(response: Response, fallback: string): Promise<void> {
  if (!response.ok) throw errorFromBody(response.status, await response.json().catch(() => null));
  const name = /filename="?([^";]+)"?/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? fallback;
  const url = URL.createObjectURL(await response.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Download the detections as files (with the player's filters) and make an annotated MP4 (the
 * boxes, track ids, trails and the counting analysis drawn in by the server), watch and download it.
 */
export function OutputsPanel({ video, classes, minScore, analysisId }: { video: Video; classes: string[] | null; minScore: number; analysisId: string | null }) {
  const links = video.links;
  const [error, setError] = useState<string | null>(null);
  const [render, setRender] = useState<Render | null>(null);
  const [renderSrc, setRenderSrc] = useState<string | null>(null);
  const [trails, setTrails] = useState(true);
  if (video.status !== 'completed' || (!links.export && !links.renders)) return null;
  if (classes?.length === 0) return <p class="card small muted">Tick a class to download or render.</p>;
  const base = `/api/v1/videos/${video.id}`;

  const run = async (work: () => Promise<void>) => {
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(messageOf(err));
    }
  };

  const download = (format: string) =>
    run(async () => {
      const query = new URLSearchParams({ format });
      if (classes) query.set('class', classes.join(','));
      if (minScore > 0) query.set('min_score', String(minScore));
      await save(await authorizedFetch(new Request(`${base}/export?${query.toString()}`)), `${video.filename}.${format}`);
    });

  const startRender = () =>
    run(async () => {
      setRenderSrc(null);
      const options = { classes, min_score: minScore > 0 ? minScore : null, track_ids: true, trails, analysis_id: analysisId };
      const path = { id: video.id };
      let current = dataOf(await api.POST('/api/v1/videos/{id}/renders', { params: { path }, body: options }));
      setRender(current);
      while (current.status === 'queued' || current.status === 'processing') {
        await new Promise((r) => setTimeout(r, 1000));
        current = dataOf(await api.GET('/api/v1/videos/{id}/renders/{render_id}', { params: { path: { ...path, render_id: current.id } } }));
        setRender(current);
      }
      if (current.status === 'failed') throw new ApiError(500, current.error?.code ?? 'render_failed', current.error?.message ?? 'The render failed.');
      // A <video> cannot send the token: a short-lived signed URL of the file.
      const minted = dataOf(await api.POST('/api/v1/videos/{id}/media-urls', { params: { path }, body: { resources: [`renders/${current.id}/file`] } }));
      setRenderSrc(minted.items[0]?.url ?? null);
    });

  const busy = render !== null && (render.status === 'queued' || render.status === 'processing');
  return (
    <section class="card outputs">
      <h3>Files</h3>
      {links.export && (
        <div class="exports">
          {FORMATS.map(([format, name]) => (
            <button key={format} type="button" class="secondary" data-export={format} onClick={() => void download(format)}>
              {name}
            </button>
          ))}
        </div>
      )}
      {links.renders && (
        <>
          <p class="small muted">Annotated video with the boxes as filtered above{analysisId ? ' and the counting lines' : ''}.</p>
          <div class="controls">
            <label class="inline">
              <input type="checkbox" checked={trails} onChange={(e) => setTrails(e.currentTarget.checked)} /> trails
            </label>
            <button type="button" onClick={() => void startRender()} disabled={busy}>
              {busy ? 'Rendering…' : 'Make annotated video'}
            </button>
          </div>
          {render && busy && <progress max={render.progress.frames_total ?? 1} value={render.progress.frames_done} aria-label="Render progress" />}
          {/* Queued again after a failed attempt (a full disk): say why it waits, it is retried by itself. */}
          {render && busy && render.error && <Notice kind="info">{render.error.message}</Notice>}
          {renderSrc && (
            <>
              <video class="render" src={renderSrc} controls muted playsInline data-testid="render-video" />
              <a href={renderSrc} download={`${video.filename}.annotated.mp4`}>
                Download the annotated MP4
              </a>
            </>
          )}
        </>
      )}
      {error && <Notice kind="error">{error}</Notice>}
    </section>
  );
}
