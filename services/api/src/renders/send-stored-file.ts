import type { Request, Response } from 'express';
import type { AppContext } from '../context.js';
import { notFound } from '../http/http-error.js';

/**
 * Sends a file of the storage with range requests (206), `ETag` and `Last-Modified`: the one place
 * media bytes leave the storage for a client (send's range handling today; a redirect to a
 * pre-signed URL, or a ranged GET, with another storage backend).
 */
export async function sendStoredFile(ctx: AppContext, req: Request, res: Response, fileName: string, type: string): Promise<void> {
  if ((await ctx.uploads.sizeOf(fileName)) === null) throw notFound('file');
  res.type(type);
  await new Promise<void>((resolve, reject) => {
    res.sendFile(ctx.uploads.pathOf(fileName), { acceptRanges: true, cacheControl: false, dotfiles: 'allow' }, (err) => (err && !res.headersSent ? reject(err) : resolve()));
  });
}
