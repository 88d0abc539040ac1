import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@video-detect/shared';
import { startProcessor, type RunningProcessor } from '../../services/processor/src/index.js';
import { createTestEnv, repoRoot, type TestEnv } from '../helpers/test-env.js';

/** The images' HEALTHCHECK command, run as Docker runs it. */
function healthcheck(env: TestEnv, queue: string) {
  return spawnSync(process.execPath, [path.join(repoRoot, 'shared/dist/worker-healthcheck.js'), queue], {
    env: { ...process.env, ...env.vars },
    encoding: 'utf8',
  });
}

describe('worker health check (processor and detector images)', () => {
  let env: TestEnv;
  let processor: RunningProcessor | null = null;
  before(() => {
    env = createTestEnv();
  });
  after(async () => {
    await processor?.close();
    await env.cleanup();
  });

  it('is healthy only while this host has a worker connected for the queue', async () => {
    assert.equal(healthcheck(env, 'processor').status, 1, 'no worker yet');
    processor = await startProcessor(env.config, createLogger('test', 'silent'));
    const up = healthcheck(env, 'processor');
    assert.equal(up.status, 0, up.stderr);
    assert.match(up.stdout, /ok: processor worker/);
    assert.equal(healthcheck(env, 'detector').status, 1, 'another queue has no worker here');
    await processor.close();
    processor = null;
    assert.equal(healthcheck(env, 'processor').status, 1, 'worker gone');
    assert.equal(healthcheck(env, 'nonsense').status, 2);
  });
});
