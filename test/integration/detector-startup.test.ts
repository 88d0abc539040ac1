import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openOnnxSession, parseOnnxHeader } from '../../services/detector/src/index.js';
import { identityModel, yolov8ShapedModel } from '../helpers/detector-onnx-model.js';
import { createTestEnv, modelPath, repoRoot, type TestEnv } from '../helpers/test-env.js';

const mainTs = path.join(repoRoot, 'services/detector/src/main.ts');

interface Exit {
  code: number | null;
  output: string;
}

/** The detector image's HEALTHCHECK command, run as Docker runs it. */
function healthcheck(env: TestEnv) {
  return spawnSync(process.execPath, [path.join(repoRoot, 'shared/dist/worker-healthcheck.js'), 'detector'], { env: { ...process.env, ...env.vars }, encoding: 'utf8' });
}

/**
 * Runs the detector's entry point as operators do (its own process), until it exits or `until`
 * matches its output (then `whileUp` runs, and the detector gets SIGTERM).
 */
function runDetector(vars: Record<string, string>, until?: RegExp, whileUp?: () => void): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', mainTs], { cwd: repoRoot, env: { ...process.env, ...vars }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let signalled = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!signalled && until?.test(output)) {
        signalled = true;
        whileUp?.();
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('detector start-up refuses a model it cannot use', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vd-detector-startup-'));
  const env = createTestEnv();
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await env.cleanup();
  });

  const expectRefusal = async (model: string, reason: RegExp) => {
    const { code, output } = await runDetector({ ...env.vars, MODEL_PATH: model, LOG_LEVEL: 'info' });
    assert.equal(code, 1, output);
    const line = output.split('\n').find((l) => l.startsWith('detector: cannot use model'));
    assert.ok(line, `no plain error line in:\n${output}`);
    assert.ok(line.includes(model), `the message names the file: ${line}`);
    assert.match(line, reason);
    assert.doesNotMatch(output, /taking jobs/);
  };

  it('a missing model path', async () => {
    await expectRefusal(path.join(dir, 'missing.onnx'), /file not found \(set MODEL_PATH/);
  });

  it('a directory', async () => {
    await expectRefusal(dir, /is a directory/);
  });

  it('a file that is not ONNX', async () => {
    const file = path.join(dir, 'notes.onnx');
    writeFileSync(file, 'this is a text file, not a model\n'.repeat(20));
    await expectRefusal(file, /not an ONNX model/);
  });

  it('an ONNX model of an unknown output shape', async () => {
    const file = path.join(dir, 'identity.onnx');
    writeFileSync(file, identityModel([1, 3, 32, 32]));
    // The generated file is a real model: ONNX Runtime loads it; only its shape is wrong for us.
    const header = parseOnnxHeader(file, identityModel([1, 3, 32, 32], { names: "{0: 'a'}" }));
    assert.equal(header.metadata.names, "{0: 'a'}");
    await expectRefusal(file, /unsupported output "y" of shape \[1, 3, 32, 32\]: expected \[1, N, 5\+C\] \(YOLOX\) or \[1, 4\+C, N\]/);
  });

  it('an ONNX model ONNX Runtime cannot load', async () => {
    const file = path.join(dir, 'bad-op.onnx');
    writeFileSync(file, identityModel([1, 3, 32, 32], {}, 'NoSuchOperator'));
    await expectRefusal(file, /ONNX Runtime could not load it/);
  });

  it('metadata class names that do not fit the output', async () => {
    // [1, 3, 64, 64] -> [1, 6, 84]: an Ultralytics-shaped head with 2 classes at input side 64.
    const file = path.join(dir, 'three-names.onnx');
    writeFileSync(file, yolov8ShapedModel(64, 2, { names: "{0: 'cat', 1: 'dog', 2: 'bird'}" }));
    await expectRefusal(file, /metadata "names" lists 3 classes but the output has 2/);
  });

  it('a custom model: family from the shape, class names from its metadata', async () => {
    const file = path.join(dir, 'two-classes.onnx');
    writeFileSync(file, yolov8ShapedModel(64, 2, { names: "{0: 'cat', 1: 'dog'}" }));
    const { session, model } = await openOnnxSession({ modelPath: file, executionProvider: 'cpu', deviceId: 0, intraOpThreads: 1, batchSize: 1 });
    await session.release();
    assert.deepEqual([model.format.family, model.format.inputSize, model.format.numClasses, model.labelsFrom, model.labels], ['yolov8', 64, 2, 'metadata', ['cat', 'dog']]);
  });

  it('a good model starts on the CPU, the health check names what it runs on, and it stops cleanly on SIGTERM', async () => {
    let health: ReturnType<typeof healthcheck> | null = null;
    const { code, output } = await runDetector(
      { ...env.vars, MODEL_PATH: modelPath('yolox_nano.onnx'), DETECTOR_BATCH_SIZE: '4', DETECTOR_INFERENCE_THREADS: '2', LOG_LEVEL: 'info' },
      /detector taking jobs/,
      () => {
        health = healthcheck(env);
      },
    );
    assert.equal(code, 0, output);
    assert.match(output, /batch dimension is fixed at 1: batch size 4 capped to 1/);
    assert.match(output, /"executionProvider":"cpu"/);
    assert.match(output, /"inferenceThreads":2/);
    assert.match(output, /model loaded and warmed/);
    assert.match(output, /"msg":"stopped"/);
    assert.ok(health, 'the health check ran while the detector was up');
    const { status, stdout, stderr } = health as ReturnType<typeof healthcheck>;
    assert.equal(status, 0, stderr);
    assert.match(stdout, /^ok: detector worker of .* connected to Redis; yolox_nano\.onnx on cpu, batch 1, 2 inference thread\(s\)/);
  });

  // No Vulkan driver (VK_ICD_FILENAMES names none) and no CUDA libraries in the npm package: both
  // GPU providers must refuse to start, saying why, instead of running on the CPU.
  for (const [provider, reason] of [
    ['webgpu', /execution provider "webgpu" cannot start: ONNX Runtime could not open the model on webgpu \(it opens on cpu\): .*adapter/i],
    ['cuda', /execution provider "cuda" cannot start: ONNX Runtime could not open the model on cuda:0 \(it opens on cpu\): .*(libonnxruntime_providers_cuda|CUDA)/],
  ] as const) {
    it(`a ${provider} provider that cannot start stops the detector with the reason, and the health check reports it`, async () => {
      const { code, output } = await runDetector({ ...env.vars, MODEL_PATH: modelPath('yolox_nano.onnx'), DETECTOR_EXECUTION_PROVIDER: provider, VK_ICD_FILENAMES: '/nonexistent/icd.json', LOG_LEVEL: 'info' });
      assert.equal(code, 1, output);
      const line = output.split('\n').find((l) => l.startsWith('detector: execution provider'));
      assert.ok(line, `no plain error line in:\n${output}`);
      assert.match(line, reason);
      assert.doesNotMatch(output, /taking jobs|"executionProvider":"cpu"/);
      const health = healthcheck(env);
      assert.equal(health.status, 1);
      assert.match(health.stderr, new RegExp(`^unhealthy: detector failed to start: execution provider "${provider}" cannot start`));
    });
  }

  it('webgpu with a device id other than 0 is refused: WebGPU takes the GPU its container sees', async () => {
    const { code, output } = await runDetector({ ...env.vars, DETECTOR_EXECUTION_PROVIDER: 'webgpu', DETECTOR_DEVICE_ID: '1' });
    assert.equal(code, 1, output);
    assert.match(output, /detector: execution provider "webgpu" cannot start: DETECTOR_DEVICE_ID=1: WebGPU takes the GPU its process sees/);
  });
});
