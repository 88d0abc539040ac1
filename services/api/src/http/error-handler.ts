import type { ErrorRequestHandler, RequestHandler } from 'express';
import { MulterError } from 'multer';
import type { Redis } from 'ioredis';
import { FfmpegMissingError, isRedisDown, StorageUnavailableError, type Logger } from '@video-detect/shared';
import { HttpError } from './http-error.js';

export interface ErrorBody {
  error: { code: string; message: string };
}

const multerStatus: Record<string, [number, string, string]> = {
  LIMIT_FILE_SIZE: [413, 'file_too_large', 'The upload is larger than the size limit.'],
  LIMIT_FILE_COUNT: [400, 'too_many_files', 'Send exactly one file, in the field "video".'],
  LIMIT_UNEXPECTED_FILE: [400, 'unexpected_file', 'Send the file in the field "video", and no other file.'],
  LIMIT_FIELD_COUNT: [400, 'too_many_fields', 'Too many form fields.'],
  LIMIT_FIELD_VALUE: [400, 'field_too_long', 'A form field is too long.'],
  LIMIT_FIELD_KEY: [400, 'field_name_too_long', 'A form field name is too long.'],
  LIMIT_PART_COUNT: [400, 'too_many_parts', 'Too many parts in the form.'],
};

/** Maps any error to the contract's JSON shape; never an HTML page or a stack trace. `redis`: the requests' connection, asked whether an error means Redis is away (503). */
export function errorHandler(logger: Logger, redis: Redis): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let status = 500;
    let code = 'internal_error';
    let message = 'Something went wrong on our side.';
    if (err instanceof HttpError) {
      ({ status, code, message } = err);
    } else if (err instanceof MulterError) {
      [status, code, message] = multerStatus[err.code] ?? [400, 'bad_upload', err.message];
    } else if (err instanceof StorageUnavailableError) {
      [status, code, message] = [503, 'dependency_unavailable', 'A dependency (object storage) is unreachable; try again shortly.'];
    } else if (err instanceof FfmpegMissingError) {
      // A server set up without ffmpeg: the upload is refused whole (nothing kept), and the log says what to install.
      [status, code, message] = [503, 'dependency_unavailable', 'The server cannot read videos right now (its ffprobe is missing); nothing was kept. Try again later.'];
    } else if ((err as NodeJS.ErrnoException | null)?.code === 'ENOSPC') {
      // The upload's partial file is removed by multer (or removeOnError) before this answers.
      [status, code, message] = [507, 'insufficient_storage', 'The server has no room to store the upload; nothing was kept. Try again later.'];
    } else if (isRedisDown(err, redis)) {
      [status, code, message] = [503, 'dependency_unavailable', 'A dependency (Redis) is unreachable; try again shortly.'];
    } else if (typeof err === 'object' && err !== null && 'type' in err && typeof err.type === 'string') {
      // body-parser errors carry a `type` and a `status`.
      const typed = err as { type: string; status?: number };
      if (typed.type === 'entity.parse.failed') [status, code, message] = [400, 'invalid_json', 'The request body is not valid JSON.'];
      else if (typed.type === 'entity.too.large') [status, code, message] = [413, 'body_too_large', 'The request body is too large.'];
      else if (typed.status && typed.status >= 400 && typed.status < 500) [status, code, message] = [typed.status, 'bad_request', 'The request could not be read.'];
    }
    if (status >= 500) logger.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    if (res.headersSent) return;
    const body: ErrorBody = { error: { code, message } };
    res.status(status).json(body);
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}.`));
};
