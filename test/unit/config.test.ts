import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createLogger, ConfigError, envSchema, loadConfig } from '@video-detect/shared';
import { resolveJwtSecret } from '../../services/api/src/create-context.js';
import { repoRoot } from '../helpers/test-env.js';

/** `.env.example` as name -> value (comments stripped). */
function envExample(): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of readFileSync(path.join(repoRoot, '.env.example'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(\S*)/.exec(line);
    if (m) entries.set(m[1] as string, m[2] as string);
  }
  return entries;
}

describe('config', () => {
  it('.env.example keeps comments off value lines (Compose would read them as the value)', () => {
    const offending = readFileSync(path.join(repoRoot, '.env.example'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z0-9_]+=.*#/.test(line));
    assert.deepEqual(offending, []);
  });

  it('.env.example lists every variable with its real default', () => {
    const example = envExample();
    assert.deepEqual([...example.keys()].sort(), Object.keys(envSchema.shape).sort());
    const fromExample = loadConfig(Object.fromEntries([...example].filter(([, v]) => v !== '')));
    assert.deepEqual(fromExample, loadConfig({}));
  });

  it('fixes the operators\' variable names and defaults', () => {
    const c = loadConfig({});
    assert.equal(c.api.port, 3000);
    assert.equal(c.redis.url, 'redis://127.0.0.1:6379');
    assert.equal(c.storage.dir, 'video_storage');
    assert.equal(c.model.path, 'models/yolox_nano.onnx');
    assert.equal(loadConfig({ MODEL_PATH: '/m.onnx', PORT: '8080' }).model.path, '/m.onnx');
  });

  it('names every bad variable in one error', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', REDIS_URL: 'not a url', DETECTOR_EXECUTION_PROVIDER: 'tpu', DETECTION_NMS_IOU: '2' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        for (const name of ['PORT', 'REDIS_URL', 'DETECTOR_EXECUTION_PROVIDER', 'DETECTION_NMS_IOU']) assert.match(err.message, new RegExp(name));
        return true;
      },
    );
  });

  it('STORAGE=s3 refuses MAX_UPLOAD_BYTES over 5 GiB (an accepted upload is promoted with one CopyObject)', () => {
    const s3 = { STORAGE: 's3', S3_BUCKET: 'b' };
    assert.equal(loadConfig({ ...s3, MAX_UPLOAD_BYTES: String(5 * 1024 ** 3) }).api.maxUploadBytes, 5 * 1024 ** 3);
    assert.throws(() => loadConfig({ ...s3, MAX_UPLOAD_BYTES: String(5 * 1024 ** 3 + 1) }), (err: unknown) => err instanceof ConfigError && /MAX_UPLOAD_BYTES/.test(err.message));
    assert.equal(loadConfig({ MAX_UPLOAD_BYTES: String(6 * 1024 ** 3) }).api.maxUploadBytes, 6 * 1024 ** 3, 'no such cap on a local volume');
  });

  it('execution providers: cpu, webgpu and cuda with their options; webgpu runs one inference thread per process', () => {
    const c = loadConfig({ DETECTOR_EXECUTION_PROVIDER: 'webgpu', DETECTOR_WEBGPU_VALIDATION: 'disabled', DETECTOR_WEBGPU_LAYOUT: 'NCHW', DETECTOR_BATCH_SIZE: '16' });
    assert.deepEqual([c.detector.executionProvider, c.detector.webgpu, c.detector.batchSize], ['webgpu', { validationMode: 'disabled', preferredLayout: 'NCHW', storageBufferCacheMode: 'bucket' }, 16]);
    assert.equal(loadConfig({ DETECTOR_EXECUTION_PROVIDER: 'cuda', DETECTOR_DEVICE_ID: '3', DETECTOR_INFERENCE_THREADS: '4' }).detector.inferenceThreads, 4);
    assert.throws(() => loadConfig({ DETECTOR_WEBGPU_LAYOUT: 'HWC' }), /DETECTOR_WEBGPU_LAYOUT/);
    assert.throws(() => loadConfig({ DETECTOR_EXECUTION_PROVIDER: 'webgpu', DETECTOR_INFERENCE_THREADS: '2' }), /DETECTOR_INFERENCE_THREADS: must be 1 with DETECTOR_EXECUTION_PROVIDER=webgpu/);
  });

  it('refuses to run the API in production without a strong JWT_SECRET', () => {
    const logger = createLogger('test', 'silent');
    assert.throws(() => resolveJwtSecret(loadConfig({ NODE_ENV: 'production' }), logger), /JWT_SECRET: required/);
    assert.throws(() => resolveJwtSecret(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' }), logger), /JWT_SECRET: must be at least 32/);
    assert.equal(resolveJwtSecret(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }), logger), 'x'.repeat(40));
    assert.equal(resolveJwtSecret(loadConfig({ NODE_ENV: 'development' }), logger).length, 64);
  });
});
