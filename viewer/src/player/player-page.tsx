import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api/client';
import { dataOf, messageOf, type Analysis, type Frame, type Schemas, type Track, type Video } from '../api/http';
import { CountingPanel, type DrawMode } from '../analysis/counting-panel';
import { TimelineChart, type CountSeries } from '../analysis/timeline-chart';
import { classColor, cssColor } from '../overlay/colors';
import type { Point, Shapes } from '../overlay/draw-overlay';
import { followEvents } from '../live/event-stream';
import { Notice } from '../ui/notice';
import { OutputsPanel } from '../outputs/outputs-panel';
import { DetectionsCache } from './detections-cache';
import { VideoStage } from './video-stage';

/** Timeline buckets: about 100 over the video, at least a second. */
const bucketFor = (duration: number) => Math.max(1, Math.round(duration / 100));

/** A completed video: the player with its boxes, filters, frame stepping, tracks, timeline and counting. */
export function PlayerPage({ videoId }: { videoId: string }) {
  const [video, setVideo] = useState<Video | null>(null);
  const [src, setSrc] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [tracks, setTracks] = useState<Track[]>([]);
  const [timeline, setTimeline] = useState<Schemas['Timeline'] | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [minScore, setMinScore] = useState(0);
  const [shapes, setShapes] = useState<Shapes>({ lines: [], zones: [], draft: [] });
  const [mode, setMode] = useState<DrawMode>(null);
  const [analysis, setAnalysis] = useState<Analysis | null>(null);
  const [shown, setShown] = useState<{ frame: Frame | null; time: number }>({ frame: null, time: 0 });
  const [redraw, setRedraw] = useState(0);
  const videoRef = useRef<HTMLVideoElement | null>(null);
  const [reload, setReload] = useState(0);
  const cache = useMemo(() => new DetectionsCache(videoId, () => setRedraw((n) => n + 1)), [videoId, reload]);
  const path = { id: videoId };

  useEffect(() => {
    let stopFollowing = () => {};
    const load = async () => {
      const v = dataOf(await api.GET('/api/v1/videos/{id}', { params: { path } }));
      setVideo(v);
      setSrc((current) => current || v.links.file);
      if (v.status === 'queued' || v.status === 'processing') {
        // The video's own event stream: progress while it runs, and the moment it ends (then the rest loads).
        stopFollowing = followEvents(`/api/v1/videos/${videoId}/events`, ({ type, data }) => {
          if (type === 'video.progress') setVideo((old) => (old ? { ...old, progress: (data as Video).progress, status: (data as Video).status } : old));
          else if (type === 'video.completed' || type === 'video.failed' || type === 'video.cancelled') setReload((n) => n + 1);
        });
        return;
      }
      if (v.status !== 'completed') return;
      const duration = v.video?.duration ?? 0;
      const [t, tl] = await Promise.all([
        api.GET('/api/v1/videos/{id}/tracks', { params: { path, query: { limit: 500 } } }),
        api.GET('/api/v1/videos/{id}/timeline', { params: { path, query: { bucket: bucketFor(duration) } } }),
      ]);
      // A video uploaded with tracking off has neither (409): the player works without them.
      if (t.data) setTracks(t.data.items);
      if (tl.data) setTimeline(tl.data);
    };
    load().catch((err: unknown) => setError(messageOf(err)));
    return () => stopFollowing();
  }, [videoId, reload]);

  useEffect(() => setRedraw((n) => n + 1), [hidden, minScore, shapes]);

  if (error) return <Notice kind="error">{error}</Notice>;
  if (!video) return <p class="muted">Loading…</p>;
  const fps = video.video?.fps ?? 30;
  const labels = Object.keys(video.summary ?? {}).sort();

  /** Shows frame `index`: the middle of its display interval, so rounding cannot land on a neighbour. */
  const seekTime = (time: number) => {
    const el = videoRef.current;
    if (!el) return;
    el.pause();
    el.currentTime = Math.max(0, time);
  };
  const frameTime = (index: number) => cache.frames().find((f) => f.index === index)?.timestamp ?? index / fps;
  const goToFrame = async (index: number) => {
    await cache.ready(index / fps).catch(() => undefined);
    seekTime(frameTime(index) + 0.25 / fps);
  };
  const currentIndex = shown.frame?.index ?? Math.round(shown.time * fps);

  const refreshSrc = async () => {
    // The signed URL expired (or the file moved): get a new one and carry on where it was.
    const el = videoRef.current;
    const at = el?.currentTime ?? 0;
    try {
      const v = dataOf(await api.GET('/api/v1/videos/{id}', { params: { path } }));
      if (v.links.file === src) return setError('The video file cannot be played in this browser.');
      setSrc(v.links.file);
      el?.addEventListener('loadedmetadata', () => (el.currentTime = at), { once: true });
    } catch (err) {
      setError(messageOf(err));
    }
  };

  const addPoint = (p: Point) => {
    if (mode === 'line') {
      const draft = [...shapes.draft, p];
      if (draft.length < 2) return setShapes({ ...shapes, draft });
      setShapes({ ...shapes, lines: [...shapes.lines, { name: `line ${shapes.lines.length + 1}`, points: draft }], draft: [] });
      setMode(null);
    } else if (mode === 'zone') setShapes({ ...shapes, draft: [...shapes.draft, p] });
  };
  const finishZone = () => {
    if (shapes.draft.length >= 3) setShapes({ ...shapes, zones: [...shapes.zones, { name: `zone ${shapes.zones.length + 1}`, polygon: shapes.draft }], draft: [] });
    else setShapes({ ...shapes, draft: [] });
    setMode(null);
  };

  const counts: CountSeries[] =
    analysis?.status === 'completed'
      ? [
          ...analysis.lines.map((l) => ({ name: `${l.name} crossings`, times: (l.crossings ?? []).map((c) => c.timestamp) })),
          ...analysis.zones.map((z) => ({ name: `${z.name} entries`, times: (z.visits ?? []).map((v) => v.enter) })),
        ]
      : [];

  return (
    <div class="player">
      <p>
        <a href="#/">← All videos</a> · <strong>{video.filename}</strong>{' '}
        <span class="muted small">
          {video.video?.width}×{video.video?.height}, {fps.toFixed(2)} fps, {(video.video?.duration ?? 0).toFixed(1)} s
        </span>
      </p>
      {video.status !== 'completed' && (
        <Notice kind="info">
          This video is {video.status}
          {video.progress.frames_total ? ` (${video.progress.frames_done} of ${video.progress.frames_total} frames analysed)` : ''}; boxes of the analysed parts show as they come, tracks and counts once it is completed.
        </Notice>
      )}
      <div class="player-layout">
        <div>
          {src && (
            <VideoStage
              video={video}
              src={src}
              cache={cache}
              filter={{ hidden, minScore }}
              shapes={shapes}
              drawing={mode !== null}
              onPoint={addPoint}
              onFrame={(frame, time) => setShown((s) => (s.frame === frame && s.time === time ? s : { frame, time }))}
              onMediaError={() => void refreshSrc()}
              videoRef={videoRef}
              redraw={redraw}
            />
          )}
          <div class="controls">
            <button type="button" class="secondary" aria-label="Previous frame" onClick={() => void goToFrame(Math.max(0, currentIndex - 1))}>
              ◀ Frame
            </button>
            <button type="button" class="secondary" aria-label="Next frame" onClick={() => void goToFrame(currentIndex + 1)}>
              Frame ▶
            </button>
            <form class="controls" onSubmit={(e) => (e.preventDefault(), void goToFrame(Number((e.currentTarget.elements.namedItem('frame') as HTMLInputElement).value)))}>
              <label class="inline">
                Go to frame <input name="frame" type="number" min="0" max={(video.video?.frame_count ?? 1) - 1} />
              </label>
            </form>
            <span class="frame-info" data-testid="frame-info">
              frame {currentIndex} · {shown.time.toFixed(3)} s · {shown.frame ? `${shown.frame.objects.length} boxes` : 'not analysed'}
            </span>
          </div>
          <div class="filters card">
            <strong>Show</strong>
            {labels.map((label) => (
              <label key={label}>
                <input
                  type="checkbox"
                  name={`class-${label}`}
                  checked={!hidden.has(label)}
                  onChange={(e) => {
                    const next = new Set(hidden);
                    if (e.currentTarget.checked) next.delete(label);
                    else next.add(label);
                    setHidden(next);
                  }}
                />
                <span class="swatch" style={{ background: cssColor(classColor(label)) }} />
                {label}
              </label>
            ))}
            <label>
              <input name="min-score" type="range" min="0" max="1" step="0.05" value={minScore} onInput={(e) => setMinScore(Number(e.currentTarget.value))} />
              <span>min score {minScore.toFixed(2)}</span>
            </label>
          </div>
          {timeline && (
            <section class="card">
              <h3>Timeline</h3>
              <TimelineChart timeline={timeline} counts={counts} duration={video.video?.duration ?? 0} onSeek={seekTime} />
            </section>
          )}
        </div>
        <aside>
          <CountingPanel
            videoId={videoId}
            shapes={shapes}
            mode={mode}
            setMode={(m) => (setMode(m), setShapes({ ...shapes, draft: [] }))}
            finishZone={finishZone}
            clear={() => (setShapes({ lines: [], zones: [], draft: [] }), setAnalysis(null), setMode(null))}
            analysis={analysis}
            setAnalysis={setAnalysis}
          />
          <OutputsPanel video={video} classes={labels.some((l) => hidden.has(l)) ? labels.filter((l) => !hidden.has(l)) : null} minScore={minScore} analysisId={analysis?.status === 'completed' ? analysis.id : null} />
          <section class="card">
            <h3>Tracks ({tracks.length})</h3>
            <ul class="tracks">
              {tracks
                .filter((t) => !hidden.has(t.label) && t.max_score >= minScore)
                .map((t) => (
                  <li key={t.id}>
                    <button type="button" data-track-id={t.id} onClick={() => seekTime(t.start + 0.25 / fps)}>
                      <span class="swatch" style={{ background: cssColor(classColor(t.label)) }} />#{t.id} {t.label}{' '}
                      <span class="muted small">
                        {t.start.toFixed(1)}–{t.end.toFixed(1)} s · max {t.max_score.toFixed(2)}
                      </span>
                    </button>
                  </li>
                ))}
            </ul>
          </section>
        </aside>
      </div>
    </div>
  );
}
