import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { envSchema, loadConfig } from '@video-detect/shared';
import { repoRoot } from '../helpers/test-env.js';

interface ComposeService {
  profiles?: string[];
  image?: string;
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  command?: string[] | string;
}

const composeFile = path.join(repoRoot, 'docker-compose.yml');
const compose = parse(readFileSync(composeFile, 'utf8')) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };

describe('docker-compose.yml: the object-storage profile', () => {
  it('adds MinIO and a bucket-making job only under the profile; the default stack runs without them', () => {
    const { minio, 'minio-init': init } = compose.services;
    assert.deepEqual(minio?.profiles, ['object-storage']);
    assert.deepEqual(init?.profiles, ['object-storage']);
    assert.match(minio.image ?? '', /^minio\/minio:/);
    assert.deepEqual(init.depends_on, { minio: { condition: 'service_healthy' } });
    assert.match(String(init.command), /mc mb --ignore-existing "store\/\$\$S3_BUCKET"/);
    assert.ok('minio_data' in compose.volumes);
    for (const name of ['api', 'processor', 'detector']) {
      const service = compose.services[name]!;
      assert.equal(service.profiles, undefined, `${name} runs in every profile`);
      assert.ok(!('minio' in (service.depends_on ?? {})), `${name} must start without the profile`);
    }
  });

  it('the settings its header tells .env to set make a valid STORAGE=s3 configuration', () => {
    const header = readFileSync(composeFile, 'utf8').split('\n').filter((l) => l.startsWith('#')).join('\n');
    const vars = { STORAGE: 's3', S3_ENDPOINT: 'http://minio:9000', S3_FORCE_PATH_STYLE: 'true', S3_BUCKET: 'video-detect', S3_ACCESS_KEY_ID: 'video-detect', S3_SECRET_ACCESS_KEY: 'change-me-minio-secret' };
    for (const [name, value] of Object.entries(vars)) {
      assert.ok(name in envSchema.shape, `${name} is a real variable`);
      if (!name.startsWith('S3_ACCESS') && !name.startsWith('S3_SECRET')) assert.ok(header.includes(`${name}=${value}`), `the header names ${name}=${value}`);
    }
    const s3 = loadConfig(vars).storage.s3;
    assert.deepEqual([s3?.endpoint, s3?.forcePathStyle, s3?.bucket], ['http://minio:9000', true, 'video-detect']);
  });

  it('is valid for Docker Compose itself, where the compose plugin is installed', (t) => {
    const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (probe.status !== 0) return t.diagnostic('docker compose is not installed here: checked as YAML above only');
    const out = spawnSync('docker', ['compose', '-f', composeFile, '--profile', 'object-storage', 'config', '--quiet'], { encoding: 'utf8', cwd: repoRoot });
    assert.equal(out.status, 0, out.stderr);
  });
});
