import type { Video } from '../api/http';

const percent = (v: Video) => {
  const { frames_total, frames_done } = v.progress;
  return frames_total ? Math.round((100 * frames_done) / frames_total) : 0;
};

/** The person's videos with live status and progress; open, cancel, retry or delete each. */
export function VideoList({ videos, onCancel, onRetry, onDelete }: { videos: Video[]; onCancel: (v: Video) => void; onRetry: (v: Video) => void; onDelete: (v: Video) => void }) {
  if (videos.length === 0) return <p class="muted">No videos yet: upload one above.</p>;
  return (
    <table class="videos">
      <thead>
        <tr>
          <th>Video</th>
          <th>Status</th>
          <th>Progress</th>
          <th>Found</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {videos.map((v) => {
          const running = v.status === 'queued' || v.status === 'processing';
          return (
            <tr key={v.id} data-video-id={v.id} data-status={v.status}>
              <td>
                <a href={`#/videos/${v.id}`}>{v.filename}</a>
                <div class="muted small">{new Date(v.created_at).toLocaleString()}</div>
              </td>
              <td>
                <span class={`status status-${v.status}`}>{v.status}</span>
                {v.error && <div class="error-text small">{v.error.message}</div>}
              </td>
              <td class="progress-cell">
                <progress max={100} value={v.status === 'completed' ? 100 : percent(v)} />
                <div class="small muted">
                  {v.progress.frames_done}/{v.progress.frames_total ?? '?'} frames · {v.progress.chunks_done}/{v.progress.chunks_total ?? '?'} chunks
                </div>
              </td>
              <td class="small">
                {v.summary
                  ? Object.entries(v.summary)
                      .map(([label, s]) => `${label} (${s.tracks ?? s.frames})`)
                      .join(', ') || 'nothing'
                  : ''}
              </td>
              <td class="actions">
                {running && (
                  <button type="button" class="secondary" onClick={() => onCancel(v)}>
                    Cancel
                  </button>
                )}
                {(v.status === 'failed' || v.status === 'cancelled') && (
                  <button type="button" class="secondary" onClick={() => onRetry(v)}>
                    Retry
                  </button>
                )}
                <button type="button" class="danger" onClick={() => onDelete(v)}>
                  Delete
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
