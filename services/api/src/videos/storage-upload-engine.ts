import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { storedFileName, type UploadStorage } from '@video-detect/shared';

class UploadOverLimit extends Error {
  constructor() {
    super('the upload is over the size limit');
  }
}

/**
 * A multer storage engine that streams the file into `UploadStorage.put` (STORAGE=s3: a multipart
 * upload, memory bounded by part size × parts in flight). Over the size limit, the body is cut
 * with an error, so the store aborts the multipart upload and keeps nothing; multer answers 413
 * only once that is done. A client that goes away destroys the body the same way.
 */
export class StorageUploadEngine implements StorageEngine {
  constructor(private readonly storage: UploadStorage) {}

  _handleFile(_req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<Express.Multer.File>) => void): void {
    const filename = storedFileName(randomUUID(), file.originalname);
    const source = file.stream;
    const body = new PassThrough();
    let size = 0;
    source.on('data', (chunk: Buffer) => (size += chunk.length));
    source.on('error', (err) => body.destroy(err));
    source.once('limit', () => {
      source.unpipe(body);
      source.resume();
      body.destroy(new UploadOverLimit());
    });
    source.pipe(body);
    this.storage.put(filename, body).then(
      () => callback(null, { filename, size }),
      (err: unknown) => callback(err),
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    this.storage.remove(file.filename).then(
      () => callback(null),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }
}
