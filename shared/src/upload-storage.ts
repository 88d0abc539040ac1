import { createWriteStream } from 'node:fs';
import { access, constants, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from './config.js';
import { UnreadableVideoError } from './failures.js';
import { mediaInput, type MediaInput } from './media-input.js';

/** Whether a file is still being received and checked (`incoming`) or belongs to a recorded video (`stored`). */
export type UploadStage = 'incoming' | 'stored';

/**
 * Where uploads live: a folder every service mounts (STORAGE=local) or an S3-compatible bucket
 * (STORAGE=s3). Stored names are `<video id><ext>`; a video's Redis keys are `VideoStore`'s.
 * An upload is `incoming` until its video is recorded, then `promote`d.
 */
export interface UploadStorage {
  readonly kind: Config['storage']['kind'];
  /** Prepares the folders (local); nothing for a bucket, which is the operator's. */
  ensure(): Promise<void>;
  /**
   * What ffprobe/ffmpeg read for a file: its path, or a short-lived presigned URL read with range
   * requests. UnreadableVideoError when it is gone (no retry brings it back);
   * StorageUnavailableError when the store cannot be asked (retried).
   */
  source(fileName: string, stage?: UploadStage): Promise<MediaInput>;
  /** Streams `body` into an incoming file; on any error nothing is left behind. */
  put(fileName: string, body: Readable): Promise<void>;
  /** Makes an accepted incoming upload a stored one. */
  promote(fileName: string): Promise<void>;
  /** Removes incoming uploads idle for `idleSeconds` (their request died with its process); returns their names. */
  sweepIncoming(idleSeconds: number, now?: number): Promise<string[]>;
  /** Removes a file wherever it is; a missing one is not an error. */
  remove(fileName: string): Promise<void>;
  /** Size in bytes of a stored file; null when it is not there. */
  sizeOf(fileName: string): Promise<number | null>;
  /**
   * A local path where a program (ffmpeg) writes a file that becomes `fileName` only once complete
   * (`commitScratch`): readers never see a partial file, and a failed write leaves nothing behind
   * once `discardScratch` ran.
   */
  scratchPathOf(fileName: string): string;
  /** Publishes the finished scratch file as `fileName` (a rename, or an upload to the bucket); returns its size. */
  commitScratch(fileName: string): Promise<number>;
  discardScratch(fileName: string): Promise<void>;
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

/** Where local uploads are written until they are accepted, inside the storage dir (same filesystem: the move is a rename). */
export const INCOMING_DIR = '.incoming';

/**
 * STORAGE=local: `<VIDEO_STORAGE_DIR>/<video id><ext>`, one volume every service mounts. An upload
 * is written to `<VIDEO_STORAGE_DIR>/.incoming/` first and moved beside the others only once its
 * video is recorded, so a process killed mid-upload leaves its partial file where `sweepIncoming`
 * finds it, never among the videos.
 */
export class LocalUploadStorage implements UploadStorage {
  readonly kind = 'local';
  readonly dir: string;
  readonly incomingDir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
    this.incomingDir = path.join(this.dir, INCOMING_DIR);
  }

  async ensure(): Promise<void> {
    await mkdir(this.incomingDir, { recursive: true });
  }

  /** Where an upload is while it is being received and checked. */
  incomingPathOf(fileName: string): string {
    const resolved = path.resolve(this.incomingDir, fileName);
    if (path.dirname(resolved) !== this.incomingDir) throw new Error(`refusing a storage path outside ${this.incomingDir}: ${fileName}`);
    return resolved;
  }

  pathOf(fileName: string): string {
    const resolved = path.resolve(this.dir, fileName);
    if (path.dirname(resolved) !== this.dir) throw new Error(`refusing a storage path outside ${this.dir}: ${fileName}`);
    return resolved;
  }

  async source(fileName: string, stage: UploadStage = 'stored'): Promise<MediaInput> {
    const file = stage === 'stored' ? this.pathOf(fileName) : this.incomingPathOf(fileName);
    try {
      await access(file, constants.R_OK);
    } catch (err) {
      throw new UnreadableVideoError(`the stored upload cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return mediaInput(file);
  }

  async put(fileName: string, body: Readable): Promise<void> {
    const file = this.incomingPathOf(fileName);
    try {
      await pipeline(body, createWriteStream(file, { flags: 'wx' }));
    } catch (err) {
      await rm(file, { force: true });
      throw err;
    }
  }

  async promote(fileName: string): Promise<void> {
    await rename(this.incomingPathOf(fileName), this.pathOf(fileName));
  }

  async sweepIncoming(idleSeconds: number, now = Date.now()): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await readdir(this.incomingDir).catch(() => [] as string[])) {
      const file = path.join(this.incomingDir, name);
      const info = await stat(file).catch(() => null);
      if (!info || now - info.mtimeMs < idleSeconds * 1000) continue;
      await rm(file, { force: true, recursive: true });
      removed.push(name);
    }
    return removed;
  }

  async remove(fileName: string): Promise<void> {
    await Promise.all([rm(this.pathOf(fileName), { force: true }), rm(this.incomingPathOf(fileName), { force: true })]);
  }

  async sizeOf(fileName: string): Promise<number | null> {
    return (await stat(this.pathOf(fileName)).catch(() => null))?.size ?? null;
  }

  /** A dot-file beside the stored ones: the commit is an atomic rename. */
  scratchPathOf(fileName: string): string {
    return this.pathOf(`.${fileName}.partial`);
  }

  async commitScratch(fileName: string): Promise<number> {
    const scratch = this.scratchPathOf(fileName);
    const { size } = await stat(scratch);
    await rename(scratch, this.pathOf(fileName));
    return size;
  }

  async discardScratch(fileName: string): Promise<void> {
    await rm(this.scratchPathOf(fileName), { force: true });
  }
}
