import type { RequestHandler } from 'express';
import helmet from 'helmet';

type Directives = Record<string, string[] | null>;

/**
 * The Content-Security-Policy of every response. Same-origin only: it serves the JSON API, the
 * Swagger UI (its scripts are files, its init too) and the web viewer (a static build at `/` with
 * no inline script, drawing on <canvas>, playing <video> and fetching JSON and event streams from
 * this origin). `blob:` for images and media lets the viewer show what it builds in the page.
 */
function directives(https: boolean): Directives {
  return {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    'connect-src': ["'self'"],
    'font-src': ["'self'", 'data:'],
    'form-action': ["'self'"],
    'frame-ancestors': ["'self'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'media-src': ["'self'", 'blob:'],
    'object-src': ["'none'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    'worker-src': ["'self'", 'blob:'],
    // Only when served over HTTPS: on a plain-HTTP LAN install it would send every asset request to https:// and break the pages.
    'upgrade-insecure-requests': https ? [] : null,
  };
}

/**
 * helmet's headers on every response (HSTS, nosniff, frame and referrer policies, COOP/CORP, the
 * CSP above). `publicBaseUrl`: the deployment's public address; https turns on upgrade-insecure-requests.
 */
export function securityHeaders(publicBaseUrl: string | undefined): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: directives(publicBaseUrl?.startsWith('https:') ?? false) },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/** Swagger UI's page carries inline <style> blocks: only its pages get `style-src 'unsafe-inline'` (never inline scripts). */
export function docsSecurityHeaders(publicBaseUrl: string | undefined): RequestHandler {
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: { ...directives(publicBaseUrl?.startsWith('https:') ?? false), 'style-src': ["'self'", "'unsafe-inline'"] },
  });
}
