import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { S3UploadStorage, UnreadableVideoError, type UploadStorage } from '@video-detect/shared';
import { HttpError } from '../http/http-error.js';

/**
 * Answers a file request (GET or HEAD, with `Range` and `If-None-Match`) from the bucket
 * (STORAGE=s3): the API streams the store's answer through, so browsers need not reach the store.
 */
export async function sendStoredObject(storage: UploadStorage, fileName: string, contentType: string, req: Request, res: Response): Promise<void> {
  if (!(storage instanceof S3UploadStorage)) throw new Error(`no object reader for STORAGE=${storage.kind}`);
  let answer;
  try {
    answer = await storage.read(fileName, { range: req.get('range'), ifNoneMatch: req.get('if-none-match'), head: req.method === 'HEAD' });
  } catch (err) {
    if (err instanceof UnreadableVideoError) throw new HttpError(404, 'file_not_found', 'The stored file of this video is gone.');
    throw err;
  }
  if (answer.status === 416) throw new HttpError(416, 'range_not_satisfiable', 'The requested byte range is outside the file.');
  res.status(answer.status).set({ ...answer.headers, 'Cache-Control': 'private, max-age=3600' });
  if (answer.status === 200 || answer.status === 206) res.set('Content-Type', contentType);
  if (!answer.body) return void res.end();
  // The client going away mid-file (a <video> that seeks does so often) ends the copy: nothing to answer.
  await pipeline(answer.body, res).catch((err: unknown) => {
    if (!res.headersSent) throw err;
  });
}
