/**
 * Writes the API's OpenAPI document, key-sorted, to services/api/openapi.json: `npm run openapi`.
 * Commit it with the change that made it differ; test/integration/api-videos.test.ts fails until then.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, loadConfig } from '@video-detect/shared';
import { createApp, createContext, OPENAPI_FILE, toSortedJson } from '../services/api/src/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The document depends only on the route declarations; the context's Redis connection goes unused.
const config = loadConfig({ ...process.env, NODE_ENV: 'test', JWT_SECRET: 'only-for-generating-the-document-0123456789', LOG_LEVEL: 'silent' });
const { ctx, jwtSecret } = await createContext(config, createLogger('openapi', 'silent'));
const { openApi } = createApp(ctx, jwtSecret);
writeFileSync(path.join(repoRoot, OPENAPI_FILE), toSortedJson(openApi));
// The rate limiter loads its scripts at start: let those answers arrive before closing (quietly).
await ctx.redis.ping().catch(() => undefined);
await ctx.jobs.close();
await ctx.redis.quit();
console.log(`wrote ${OPENAPI_FILE}`);
