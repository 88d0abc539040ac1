import { defineConfig, type Plugin } from 'vite';

/**
 * The page's own Content-Security-Policy, as strict as the API's (helmet): scripts and styles only
 * from files of this origin, nothing inline. A `<meta>` policy is enforced together with the
 * header, so the app proves it needs nothing looser (the browser tests fail on any violation).
 * Added to the built page only: Vite's dev server injects inline scripts.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

function strictCsp(): Plugin {
  return {
    name: 'strict-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy }, injectTo: 'head-prepend' }],
  };
}

export default defineConfig({
  plugins: [strictCsp()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    // No inlined assets (data: URLs) and no module-preload polyfill script: nothing the CSP would have to allow.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
  },
  server: { proxy: { '/api': 'http://localhost:3000', '/openapi.json': 'http://localhost:3000' } },
});
