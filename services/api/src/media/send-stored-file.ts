import type { Request, Response } from 'express';
import { LocalUploadStorage } from '@video-detect/shared';
import type { AppContext } from '../context.js';
import { HttpError } from '../http/http-error.js';
import { sendStoredObject } from './stored-object.js';

/**
 * Sends a file of the storage with range requests (206, 416), `ETag` and `Last-Modified` (send,
 * Express's file sender, answers Range, If-Range, If-None-Match and HEAD): the one place media
 * bytes leave the storage for a client — the stored upload and render files; from a bucket,
 * `sendStoredObject` (ranged reads of the object).
 */
export async function sendStoredFile(ctx: AppContext, req: Request, res: Response, fileName: string, contentType: string, gone = 'The stored file is gone.'): Promise<void> {
  const { uploads } = ctx;
  if (!(uploads instanceof LocalUploadStorage)) return sendStoredObject(uploads, fileName, contentType, req, res);
  await new Promise<void>((resolve, reject) => {
    const headers = { 'Cache-Control': 'private, max-age=3600', 'Content-Type': contentType };
    // `dotfiles: 'allow'`: the name is ours, and the storage folder may sit under a dot-folder.
    res.sendFile(uploads.pathOf(fileName), { acceptRanges: true, lastModified: true, etag: true, cacheControl: false, dotfiles: 'allow', headers }, (err?: Error) => {
      if (!err) return resolve();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new HttpError(404, 'file_not_found', gone));
      if ((err as { status?: number }).status === 416) return reject(new HttpError(416, 'range_not_satisfiable', 'The requested byte range is outside the file.'));
      // The client went away mid-file (a <video> that seeks does so often): nothing to answer.
      if ((err as NodeJS.ErrnoException).code === 'ECONNABORTED' || res.headersSent) return resolve();
      reject(err);
    });
  });
}
