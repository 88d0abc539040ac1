import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import multer from 'multer';
import { LocalUploadStorage, storedFileName } from '@video-detect/shared';
import type { AppContext } from '../context.js';
import { StorageUploadEngine } from './storage-upload-engine.js';

/** The multipart field that carries the video file. */
export const UPLOAD_FIELD = 'video';

/**
 * multer streams the UPLOAD_FIELD field straight to disk (or, STORAGE=s3, into the bucket) under a
 * fresh UUID (never whole into memory), with the configured size limit. Any error after that removes the file before the error is answered,
 * so a rejected upload leaves nothing behind (multer itself removes partial files on a limit or
 * abort); a client that goes away mid-request gets the same clean-up.
 */
export function uploadMiddleware(ctx: AppContext): { receive: RequestHandler[]; removeOnError: ErrorRequestHandler } {
  const { uploads } = ctx;
  const upload = multer({
    storage:
      uploads instanceof LocalUploadStorage
        ? multer.diskStorage({
            // Received into .incoming/ and moved among the videos once accepted (UploadStorage.promote).
            destination: uploads.incomingDir,
            filename: (_req, file, cb) => cb(null, storedFileName(randomUUID(), file.originalname)),
          })
        : new StorageUploadEngine(uploads),
    limits: { fileSize: ctx.config.api.maxUploadBytes, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 12 },
  });
  const removeOnAbort: RequestHandler = (req, res, next) => {
    res.on('close', () => {
      if (!res.writableFinished && req.file) void ctx.uploads.remove(req.file.filename).catch(() => undefined);
    });
    next();
  };
  const removeOnError: ErrorRequestHandler = (err, req, _res, next) => {
    if (!req.file) return next(err);
    ctx.uploads.remove(req.file.filename).then(
      () => next(err),
      (removeErr: unknown) => {
        ctx.logger.error({ err: removeErr }, 'could not remove a rejected upload');
        next(err);
      },
    );
  };
  return { receive: [removeOnAbort, upload.single(UPLOAD_FIELD)], removeOnError };
}
