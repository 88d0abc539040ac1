import type { Request, Response } from 'express';
import type { AppContext } from '../context.js';
import { HttpError } from '../http/http-error.js';

/**
 * Sends a file of the storage with range requests (206, 416), `ETag` and `Last-Modified` (send,
 * Express's file sender, answers Range, If-Range, If-None-Match and HEAD): the one place media
 * bytes leave the storage for a client — the stored upload and render files. Another storage
 * backend redirects to a pre-signed URL, or proxies a ranged read, here.
 */
export async function sendStoredFile(ctx: AppContext, _req: Request, res: Response, fileName: string, contentType: string, gone = 'The stored file is gone.'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const headers = { 'Cache-Control': 'private, max-age=3600', 'Content-Type': contentType };
    // `dotfiles: 'allow'`: the name is ours, and the storage folder may sit under a dot-folder.
    res.sendFile(ctx.uploads.pathOf(fileName), { acceptRanges: true, lastModified: true, etag: true, cacheControl: false, dotfiles: 'allow', headers }, (err?: Error) => {
      if (!err) return resolve();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new HttpError(404, 'file_not_found', gone));
      if ((err as { status?: number }).status === 416) return reject(new HttpError(416, 'range_not_satisfiable', 'The requested byte range is outside the file.'));
      // The client went away mid-file (a <video> that seeks does so often): nothing to answer.
      if ((err as NodeJS.ErrnoException).code === 'ECONNABORTED' || res.headersSent) return resolve();
      reject(err);
    });
  });
}
