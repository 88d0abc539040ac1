import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { classColor } from '../../viewer/src/overlay/colors.js';
import { frameAt } from '../../viewer/src/overlay/frame-lookup.js';
import { repoRoot } from '../helpers/test-env.js';

describe('viewer: which analysed frame the overlay draws', () => {
  // 30 fps, every frame analysed; timestamps as ffprobe reports them (rounded).
  const every = Array.from({ length: 10 }, (_, index) => ({ index, timestamp: Number((index / 30).toFixed(6)) }));
  const half = 1 / 60;

  it('the frame shown at its own presentation time, and a hair before it (rounding)', () => {
    assert.equal(frameAt(every, 4 / 30, half, 1 / 30)?.index, 4);
    assert.equal(frameAt(every, 4 / 30 - 1e-6, half, 1 / 30)?.index, 4);
    assert.equal(frameAt(every, 4 / 30 + 0.25 / 30, half, 1 / 30)?.index, 4);
  });

  it('nothing before the first analysed frame, nor long after the last', () => {
    assert.equal(frameAt(every.slice(2), 0, half, 1 / 30), null);
    assert.equal(frameAt(every, 2, half, 1 / 30), null);
  });

  it('with sampling, a frame stays on screen until the next sample, not longer', () => {
    const sampled = every.filter((f) => f.index % 5 === 0); // 6 fps of 30
    assert.equal(frameAt(sampled, 3 / 30, half, 1 / 6)?.index, 0);
    assert.equal(frameAt(sampled, 6 / 30, half, 1 / 6)?.index, 5);
    assert.equal(frameAt(sampled.slice(0, 1), 10 / 30, half, 1 / 6), null);
  });

  it('one colour per class: stable, distinct for the common classes', () => {
    assert.deepEqual(classColor('person'), classColor('person'));
    const common = ['person', 'car', 'bicycle', 'dog', 'cat', 'bottle', 'chair', 'clock', 'truck', 'bus'];
    const colours = new Set(common.map((l) => classColor(l).join(',')));
    assert.equal(colours.size, common.length);
    for (const c of common.map(classColor)) assert.ok(Math.max(...c) - Math.min(...c) > 100, `saturated enough to show on grey footage: ${c.join(',')}`);
  });
});

describe("viewer's typed API client", () => {
  it('is generated from the committed openapi.json (run `npm run openapi` when it differs)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vd-client-'));
    try {
      const out = path.join(dir, 'schema.d.ts');
      const cli = path.join(repoRoot, 'node_modules/openapi-typescript/bin/cli.js');
      const run = spawnSync(process.execPath, [cli, path.join(repoRoot, 'services/api/openapi.json'), '-o', out], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(readFileSync(out, 'utf8'), readFileSync(path.join(repoRoot, 'viewer/src/api/schema.d.ts'), 'utf8'), 'viewer/src/api/schema.d.ts is stale: run `npm run openapi`');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
