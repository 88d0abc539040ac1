import { access, constants, mkdir, rename, rm, stat } from 'node:fs/promises';
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
