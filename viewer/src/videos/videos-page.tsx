import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client';
import { dataOf, messageOf, type Schemas, type Video } from '../api/http';
import { followEvents, type StreamState } from '../live/event-stream';
import { Notice } from '../ui/notice';
import { UploadPanel } from '../upload/upload-panel';
import { VideoList } from './video-list';

type ProgressEvent = Pick<Video, 'id' | 'status' | 'progress'>;

/** Upload, and the list kept live by GET /events (status events carry the resource, progress events the counters). */
export function VideosPage() {
  const [videos, setVideos] = useState<Video[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState<StreamState>({ connected: true, problem: null });
  const deleted = useRef(new Set<string>());

  const upsert = (video: Video) => {
    if (deleted.current.has(video.id)) return;
    setVideos((all) => {
      const at = all.findIndex((v) => v.id === video.id);
      if (at < 0) return [video, ...all];
      const next = [...all];
      next[at] = { ...all[at], ...video, links: { ...all[at]!.links, ...video.links } };
      return next;
    });
  };

  useEffect(() => {
    api
      .GET('/api/v1/videos', { params: { query: { limit: 100 } } })
      .then((r) => setVideos(dataOf(r).items))
      .catch((err: unknown) => setError(messageOf(err)));
    return followEvents(
      '/api/v1/events',
      ({ type, data }) => {
        if (type === 'video.progress') {
          const p = data as ProgressEvent;
          setVideos((all) => all.map((v) => (v.id === p.id ? { ...v, status: p.status, progress: p.progress } : v)));
        } else if (type.startsWith('video.')) upsert(data as Video);
      },
      setLive,
    );
  }, []);

  const act = async (run: () => Promise<void>) => {
    setError(null);
    try {
      await run();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const cancel = (v: Video) =>
    act(async () => {
      upsert(dataOf(await api.POST('/api/v1/videos/{id}/cancel', { params: { path: { id: v.id } } })));
    });
  const retry = (v: Video) =>
    act(async () => {
      upsert(dataOf(await api.POST('/api/v1/videos/{id}/retry', { params: { path: { id: v.id } } })));
    });
  const remove = (v: Video) =>
    act(async () => {
      if (!confirm(`Delete ${v.filename} and its results?`)) return;
      dataOf<Schemas['Error'] | undefined>(await api.DELETE('/api/v1/videos/{id}', { params: { path: { id: v.id } } }));
      deleted.current.add(v.id);
      setVideos((all) => all.filter((x) => x.id !== v.id));
    });

  return (
    <div class="videos-page">
      <UploadPanel onUploaded={upsert} />
      <section class="card">
        <h2>Your videos</h2>
        {live.problem && <Notice kind="error">{live.problem}</Notice>}
        {error && (
          <Notice kind="error" onClose={() => setError(null)}>
            {error}
          </Notice>
        )}
        <VideoList videos={videos} onCancel={(v) => void cancel(v)} onRetry={(v) => void retry(v)} onDelete={(v) => void remove(v)} />
      </section>
    </div>
  );
}
