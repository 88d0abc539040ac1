import path from 'node:path';

/**
 * The Content-Type a stored upload is served with, from its (sanitised) extension: a fixed, documented
 * set, so the OpenAPI document lists every type the file route can answer. Browsers decide what
 * they can play from the bytes; the type only has to be honest.
 */
const byExtension: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.avi': 'video/x-msvideo',
  '.ts': 'video/mp2t',
  '.mts': 'video/mp2t',
  '.m2ts': 'video/mp2t',
  '.mpg': 'video/mpeg',
  '.mpeg': 'video/mpeg',
  '.ogv': 'video/ogg',
  '.3gp': 'video/3gpp',
  '.flv': 'video/x-flv',
  '.wmv': 'video/x-ms-wmv',
};

export const FALLBACK_CONTENT_TYPE = 'application/octet-stream';

export const storedVideoContentTypes = [...new Set([...Object.values(byExtension), FALLBACK_CONTENT_TYPE])];

export const contentTypeOf = (storedName: string): string => byExtension[path.extname(storedName).toLowerCase()] ?? FALLBACK_CONTENT_TYPE;
