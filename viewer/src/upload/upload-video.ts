import { session, SESSION_EXPIRED } from '../auth/session';
import { ApiError, errorFromBody, NETWORK_MESSAGE, type Schemas, type Video } from '../api/http';

/** The text fields of POST /videos this form offers (the generated multipart schema, the file aside). */
export type UploadOptions = Partial<Pick<Schemas['VideoUpload'], 'sample_fps' | 'min_score' | 'classes'>>;

export interface UploadHandle {
  done: Promise<Video>;
  abort(): void;
}

/**
 * POST /videos with upload progress. fetch cannot report how much of a request body was sent, so
 * this one request uses XMLHttpRequest; its answer is the same typed Video (or the API's error).
 */
export function uploadVideo(file: File, options: UploadOptions, onProgress: (fraction: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const send = (retried: boolean): Promise<Video> =>
    new Promise<Video>((resolve, reject) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(options)) if (value !== undefined && value !== '') form.append(name, String(value));
      form.append('video', file);
      xhr.open('POST', '/api/v1/videos');
      xhr.responseType = 'json';
      xhr.setRequestHeader('Authorization', `Bearer ${session.accessToken ?? ''}`);
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      xhr.onerror = () => reject(new ApiError(0, 'network', NETWORK_MESSAGE));
      xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Upload cancelled.'));
      xhr.onload = () => {
        if (xhr.status === 202) return resolve(xhr.response as Video);
        if (xhr.status === 401 && !retried) {
          session
            .refresh()
            .then((ok) => (ok ? send(true).then(resolve, reject) : reject(new ApiError(401, 'session_expired', SESSION_EXPIRED))))
            .catch(reject);
          return;
        }
        reject(errorFromBody(xhr.status, xhr.response));
      };
      xhr.send(form);
    });
  return { done: send(false), abort: () => xhr.abort() };
}
