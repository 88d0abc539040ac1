import { createWriteStream } from 'node:fs';
import { access, constants, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from './config.js';
import { UnreadableVideoError } from './failures.js';
import { mediaInput, type MediaInput } from './media-input.js';

/**
 * Where uploads live: a folder every service mounts (STORAGE=local) or an S3-compatible bucket
 * (STORAGE=s3). Stored names are `<video id><ext>`; a video's Redis keys are `VideoStore`'s.
 */
export interface UploadStorage {
  readonly kind: Config['storage']['kind'];
  /** Prepares the folder (local); nothing for a bucket, which is the operator's. */
  ensure(): Promise<void>;
  /**
   * What ffprobe/ffmpeg read for a stored file: its path, or a short-lived presigned URL.
   * UnreadableVideoError when it is gone (no retry brings it back); StorageUnavailableError when
   * the store cannot be asked (retried).
   */
  source(fileName: string): Promise<MediaInput>;
  /** Streams `body` into the stored file; on any error nothing is left behind. */
  put(fileName: string, body: Readable): Promise<void>;
  /** Removes the stored file; a missing one is not an error. */
  remove(fileName: string): Promise<void>;
}

/** Stored name for an upload: the id plus a sanitised extension of the client's name (never the name itself). */
export function storedFileName(videoId: string, originalName: string): string {
  const ext = path.extname(originalName).toLowerCase();
  return /^\.[a-z0-9]{1,8}$/.test(ext) ? `${videoId}${ext}` : videoId;
}

/** Stored names are flat: no folder, no `..`, nothing a path or key could be steered with. */
export function assertStoredName(fileName: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(fileName) || fileName.includes('..')) throw new Error(`not a stored file name: ${JSON.stringify(fileName)}`);
}

/** STORAGE=local: `<VIDEO_STORAGE_DIR>/<name>`, one volume every service mounts. */
export class LocalUploadStorage implements UploadStorage {
  readonly kind = 'local';
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  pathOf(fileName: string): string {
    const resolved = path.resolve(this.dir, fileName);
    if (path.dirname(resolved) !== this.dir) throw new Error(`refusing a storage path outside ${this.dir}: ${fileName}`);
    return resolved;
  }

  async source(fileName: string): Promise<MediaInput> {
    const file = this.pathOf(fileName);
    try {
      await access(file, constants.R_OK);
    } catch (err) {
      throw new UnreadableVideoError(`the stored upload cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return mediaInput(file);
  }

  async put(fileName: string, body: Readable): Promise<void> {
    const file = this.pathOf(fileName);
    try {
      await pipeline(body, createWriteStream(file, { flags: 'wx' }));
    } catch (err) {
      await rm(file, { force: true });
      throw err;
    }
  }

  async remove(fileName: string): Promise<void> {
    await rm(this.pathOf(fileName), { force: true });
  }
}
