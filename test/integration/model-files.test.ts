import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '@video-detect/shared';
import { startInference } from '../../services/detector/src/index.js';
import { downloadModel } from '../../scripts/model/download-model.js';
import { repoRoot } from '../helpers/test-env.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('the default model ships with the repository', () => {
  it('models/yolox_nano.onnx is the YOLOX-Nano release named in models/README.md, with its licence, and the default MODEL_PATH loads it', async () => {
    const file = path.join(repoRoot, loadConfig({}).model.path);
    const digest = sha256(readFileSync(file));
    const readme = readFileSync(path.join(repoRoot, 'models/README.md'), 'utf8');
    assert.ok(readme.includes(digest), `models/README.md names the sha256 ${digest}`);
    assert.equal(digest, 'c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d');
    assert.match(readFileSync(path.join(repoRoot, 'models/LICENSE-yolox_nano.txt'), 'utf8'), /Apache License\s+Version 2\.0/);
    const config = loadConfig({});
    const inference = await startInference({ ...config, model: { path: file } });
    try {
      assert.equal(inference.model.format.family, 'yolox');
      assert.equal(inference.model.labels.length, 80);
    } finally {
      await inference.close();
    }
  });
});

describe('fetching another model by URL with a checksum', () => {
  const body = Buffer.from('not really a model, but bytes with a known digest');
  let server: Server;
  let url = '';
  const dir = mkdtempSync(path.join(tmpdir(), 'vd-model-fetch-'));
  before(async () => {
    server = createServer((_req, res) => res.end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m.onnx`;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the file when the digest matches, and nothing at all when it does not', async () => {
    const good = path.join(dir, 'good.onnx');
    await downloadModel(url, sha256(body), good);
    assert.deepEqual(readFileSync(good), body);
    const bad = path.join(dir, 'bad.onnx');
    await assert.rejects(downloadModel(url, '0'.repeat(64), bad), /refusing the file/);
    assert.equal(existsSync(bad), false);
    assert.deepEqual(readdirSync(dir).sort(), ['good.onnx']);
    await assert.rejects(downloadModel(url, 'abc', bad), /not a sha256/);
  });
});
