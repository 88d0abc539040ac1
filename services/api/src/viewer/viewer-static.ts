import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import { HttpError } from '../http/http-error.js';

/** `viewer/dist` of this checkout or image: four levels up from `services/api/{src,dist}/viewer/`. */
const bundledDir = fileURLToPath(new URL('../../../../viewer/dist', import.meta.url));

export function viewerDir(configured: string | undefined): string {
  return path.resolve(configured ?? bundledDir);
}

/**
 * The web viewer's files (`npm run build` writes them): `GET /` answers the page, revalidated on
 * every load (`no-cache`), so a new release shows at once; its assets have content hashes in their
 * names and never change, so browsers keep them a year without asking (`immutable`).
 */
export function serveViewer(app: Express, dir: string): void {
  const index = path.join(dir, 'index.html');
  app.get(['/', '/index.html'], (_req, res, next) => {
    if (!existsSync(index)) return next(new HttpError(503, 'viewer_not_built', `The web viewer is not built: run \`npm run build\` (looked in ${dir}).`));
    res.sendFile(index, { headers: { 'Cache-Control': 'no-cache' }, lastModified: true, etag: true }, (err?: Error) => err && next(err));
  });
  app.use('/assets', express.static(path.join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: true }));
  // favicon and other files copied as they are (no hash in the name): revalidated.
  app.use(express.static(dir, { index: false, cacheControl: true, maxAge: 0, setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') }));
}
