import { access, constants, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { UnreadableVideoError } from './failures.js';

/** Where uploads are written until they are accepted, inside the storage dir (same filesystem: the move is a rename). */
export const INCOMING_DIR = '.incoming';

/**
 * The uploaded files on disk: `<VIDEO_STORAGE_DIR>/<video id><ext>` (a video's Redis keys are `VideoStore`'s).
 * An upload is written to `<VIDEO_STORAGE_DIR>/.incoming/` first and moved beside the others only once
 * its video is recorded, so a process killed mid-upload leaves its partial file where
 * `sweepIncoming` finds it, never among the videos.
 */
export class UploadStorage {
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

  /** Moves an accepted upload from `.incoming/` to its place among the videos. */
  async promote(fileName: string): Promise<void> {
    await rename(this.incomingPathOf(fileName), this.pathOf(fileName));
  }

  /**
   * Removes unfinished uploads: files in `.incoming/` not written to for `idleSeconds` (their
   * request died with its process). Uploads still arriving keep their modification time fresh.
   * Returns the names removed.
   */
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

  /** Stored name for an upload: the id plus a sanitised extension of the client's name (never the name itself). */
  static fileName(videoId: string, originalName: string): string {
    const ext = path.extname(originalName).toLowerCase();
    return /^\.[a-z0-9]{1,8}$/.test(ext) ? `${videoId}${ext}` : videoId;
  }

  pathOf(fileName: string): string {
    const resolved = path.resolve(this.dir, fileName);
    if (path.dirname(resolved) !== this.dir) throw new Error(`refusing a storage path outside ${this.dir}: ${fileName}`);
    return resolved;
  }

  /** The upload's path; UnreadableVideoError when the file is gone or cannot be read (no retry brings it back). */
  async readablePathOf(fileName: string): Promise<string> {
    const file = this.pathOf(fileName);
    try {
      await access(file, constants.R_OK);
    } catch (err) {
      throw new UnreadableVideoError(`the stored upload cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return file;
  }

  /** Removes an upload wherever it is (still incoming, or accepted). */
  async remove(fileName: string): Promise<void> {
    await Promise.all([rm(this.pathOf(fileName), { force: true }), rm(this.incomingPathOf(fileName), { force: true })]);
  }

  /** Stored name of a render's MP4 (beside its video's upload). */
  static renderFileName(videoId: string, renderId: string): string {
    return `${videoId}.render-${renderId}.mp4`;
  }

  /** Size in bytes of a stored file; null when it is not there. */
  async sizeOf(fileName: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(fileName))).size;
    } catch {
      return null;
    }
  }

  /**
   * A local path where a program (ffmpeg) writes a file that becomes `fileName` only once complete
   * (`commitScratch`): readers never see a partial file, and a failed write leaves nothing behind
   * once `discardScratch` ran. A dot-file beside it today; a temporary file before an upload with S3.
   */
  scratchPathOf(fileName: string): string {
    return this.pathOf(`.${fileName}.partial`);
  }

  /** Publishes the finished scratch file as `fileName` (an atomic rename); returns its size. */
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
