import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from '../helpers/test-env.js';

/** `which` for the test's tool folder (the system's ffmpeg, ffprobe and redis-server stand in for the static builds). */
function onPath(tool: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
  assert.ok(found, `${tool} must be installed for this test`);
  return found;
}

/**
 * The GPU check's packing and its CPU path, as on the GPU machine: scripts/gpu/pack.sh makes the
 * bundle (light compression, no loader packages), scripts/gpu/check.sh unpacks it elsewhere and
 * runs the services and the check from it alone, with the bundle's node and ONNX Runtime.
 */
describe('GPU check bundle (scripts/gpu/pack.sh, check.sh) on the CPU', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vd-gpu-pack-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('packs, unpacks elsewhere and runs env, throughput and the whole pipeline from the bundle', { timeout: 600_000 }, () => {
    const tools = path.join(dir, 'tools');
    mkdirSync(tools);
    for (const tool of ['ffmpeg', 'ffprobe', 'redis-server']) symlinkSync(onPath(tool), path.join(tools, tool));
    const bundle = path.join(dir, 'bundle');
    const pack = spawnSync('bash', ['scripts/gpu/pack.sh', '--base'], {
      cwd: repoRoot,
      // Light compression for speed: the 64 MiB device budget is checked on real packs (xz -9), not here.
      env: { ...process.env, GPU_BUNDLE_DIR: bundle, GPU_TOOLS_DIR: tools, GPU_PACK_XZ: '-0', GPU_PACK_DEBS: '0', GPU_BUNDLE_LIMIT_MIB: '1000' },
      encoding: 'utf8',
    });
    assert.equal(pack.status, 0, pack.stderr + pack.stdout);
    assert.match(pack.stdout, /pack: .*: base \d+ MiB, app \d+ MiB/);

    const out = path.join(dir, 'out');
    const check = spawnSync('bash', ['scripts/gpu/check.sh', 'env', 'throughput', 'pipeline'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        OUT: out,
        GPU_BUNDLE: bundle,
        GPU_CHECK_DIR: path.join(dir, 'work'),
        GPU_CHECK_PROVIDERS: '',
        GPU_CHECK_ARGS: '--cpu-processes 1 --seconds 1 --pipeline-repeat 1 --pipeline-video friday.mp4 --warmup-video iphone_rotated.mov --pipeline-timeout 120',
      },
      encoding: 'utf8',
    });
    assert.equal(check.status, 0, check.stderr + check.stdout);
    const results = readFileSync(path.join(out, 'results.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const of = (name: string) => results.filter((r) => r.check === name);

    const [env] = of('env');
    assert.equal(env?.node, process.version, 'the bundle runs this machine\'s node');
    assert.match(String(env?.ffmpeg), /^ffmpeg version/);
    const [cpu] = of('throughput');
    assert.equal(cpu?.provider, 'cpu');
    assert.ok(Number(cpu?.fps) > 1, `CPU inference-only ran: ${JSON.stringify(cpu)}`);
    const [pipeline] = of('pipeline');
    assert.equal(pipeline?.error, undefined, JSON.stringify(pipeline));
    assert.equal(pipeline?.frames, 185, 'friday.mp4 went through the API, processor and detectors whole');
    assert.equal(pipeline?.recorded_provider, 'cpu');
    assert.ok(Number(pipeline?.fps) > 1);
  });
});
