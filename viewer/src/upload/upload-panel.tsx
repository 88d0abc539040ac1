import { useRef, useState } from 'preact/hooks';
import { messageOf, type Video } from '../api/http';
import { uploadVideo, type UploadOptions } from './upload-video';

interface UploadItem {
  key: number;
  name: string;
  progress: number;
  state: 'uploading' | 'done' | 'failed';
  error: string | null;
  abort: () => void;
}

let nextKey = 1;

/** Pick or drop one or several videos; each uploads on its own with a progress bar, with the options of POST /videos. */
export function UploadPanel({ onUploaded }: { onUploaded: (video: Video) => void }) {
  const [items, setItems] = useState<UploadItem[]>([]);
  const [dragging, setDragging] = useState(false);
  const optionsForm = useRef<HTMLFormElement>(null);
  const update = (key: number, change: Partial<UploadItem>) => setItems((all) => all.map((i) => (i.key === key ? { ...i, ...change } : i)));

  const options = (): UploadOptions => {
    const form = optionsForm.current!;
    const text = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    return {
      ...(text('sample_fps') ? { sample_fps: Number(text('sample_fps')) } : {}),
      ...(text('min_score') ? { min_score: Number(text('min_score')) } : {}),
      ...(text('classes') ? { classes: text('classes') } : {}),
    };
  };

  const start = (files: FileList | null) => {
    for (const file of Array.from(files ?? [])) {
      const key = nextKey++;
      const handle = uploadVideo(file, options(), (progress) => update(key, { progress }));
      setItems((all) => [{ key, name: file.name, progress: 0, state: 'uploading', error: null, abort: () => handle.abort() }, ...all]);
      handle.done.then(
        (video) => {
          update(key, { state: 'done', progress: 1 });
          onUploaded(video);
        },
        (err: unknown) => update(key, { state: 'failed', error: messageOf(err) }),
      );
    }
  };

  return (
    <section class="card upload">
      <h2>Upload videos</h2>
      <div
        class={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => (e.preventDefault(), setDragging(true))}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          start(e.dataTransfer?.files ?? null);
        }}
      >
        <p>Drop video files here, or</p>
        <label class="button">
          Choose files…
          <input type="file" accept="video/*" multiple class="visually-hidden" onChange={(e) => (start(e.currentTarget.files), (e.currentTarget.value = ''))} />
        </label>
      </div>
      <details>
        <summary>Options</summary>
        <form ref={optionsForm} class="options" onSubmit={(e) => e.preventDefault()}>
          <label>
            Frames per second to analyse
            <input name="sample_fps" type="number" min="0.01" max="1000" step="any" placeholder="every frame" />
          </label>
          <label>
            Minimum score
            <input name="min_score" type="number" min="0" max="1" step="0.05" placeholder="detector default" />
          </label>
          <label>
            Classes to keep
            <input name="classes" placeholder="all, or e.g. person,car" />
          </label>
        </form>
      </details>
      <ul class="uploads">
        {items.map((item) => (
          <li key={item.key} class={`upload-item ${item.state}`} data-upload={item.name}>
            <span class="name">{item.name}</span>
            <progress max={1} value={item.progress} aria-label={`Upload of ${item.name}`} />
            {item.state === 'uploading' && (
              <button type="button" class="link" onClick={item.abort}>
                Stop
              </button>
            )}
            {item.state === 'done' && <span class="ok">Uploaded</span>}
            {item.error && (
              <span class="error-text" role="alert">
                {item.error}
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
