import { access, constants, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { UnreadableVideoError } from './failures.js';

/** The uploaded files on disk: `<VIDEO_STORAGE_DIR>/<video id><ext>` (a video's Redis keys are `VideoStore`'s). */
export class UploadStorage {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
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

  async remove(fileName: string): Promise<void> {
    await rm(this.pathOf(fileName), { force: true });
  }
}
