import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { computeLetterbox, DetectionEngine, openOnnxSession } from '../../services/detector/src/index.js';
import { yolov8ShapedModel } from '../helpers/detector-onnx-model.js';
import { modelPath, repoRoot } from '../helpers/test-env.js';

describe('batching', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vd-detector-batch-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const engineFor = async (file: string, batchSize: number) =>
    new DetectionEngine(await openOnnxSession({ modelPath: file, executionProvider: 'cpu', deviceId: 0, intraOpThreads: 1, batchSize }));

  it('a dynamic batch dim runs the configured batch size, each image decoded from its own slice', async () => {
    const file = path.join(dir, 'dynamic.onnx');
    writeFileSync(file, yolov8ShapedModel(64, 2, { names: "{0: 'a', 1: 'b'}" }, 'batch'));
    const batched = await engineFor(file, 4);
    const single = await engineFor(file, 1);
    try {
      assert.equal(batched.model.format.fixedBatch, null);
      assert.equal(batched.model.batchSize, 4);
      assert.deepEqual(batched.model.notes, []);
      // Six different 48x40 frames: one batch of 4, then one of 2.
      const frames = Array.from({ length: 6 }, () => new Uint8Array(randomBytes(48 * 40 * 3)));
      const letterbox = computeLetterbox('yolov8', 48, 40, 64);
      const post = { scoreThreshold: 0.5, nmsIou: 0.45, maxPerFrame: 20, classIds: null, multiLabel: false };
      const together = await batched.detect(frames, letterbox, post);
      const oneByOne = await Promise.all(frames.map(async (f) => (await single.detect([f], letterbox, post))[0]));
      assert.equal(together.length, 6);
      assert.ok(together.some((objects) => objects.length > 0), 'the pixel-valued "scores" give some boxes');
      assert.deepEqual(together, oneByOne);
    } finally {
      await batched.release();
      await single.release();
    }
  });

  it('scripts/gpu/dynamic-batch.py makes YOLOX-Nano batchable: four frames in one run give exactly four single runs', async () => {
    // Debian's python3-onnx (.ci/run installs it); PYTHON names another interpreter with onnx.
    const python = process.env.PYTHON ?? '/usr/bin/python3';
    const file = path.join(dir, 'yolox_nano_dynamic.onnx');
    const made = spawnSync(python, [path.join(repoRoot, 'scripts/gpu/dynamic-batch.py'), modelPath('yolox_nano.onnx'), file], { encoding: 'utf8' });
    assert.equal(made.status, 0, `${python} with the onnx package (Debian: python3-onnx) is needed: ${made.stderr || made.error?.message}`);
    assert.match(made.stdout, /batch dimension dynamic, 3 Reshape shape\(s\) rewritten/);
    const batched = await engineFor(file, 4);
    const single = await engineFor(modelPath('yolox_nano.onnx'), 1);
    try {
      assert.deepEqual([batched.model.format.fixedBatch, batched.model.batchSize], [null, 4]);
      const frames = Array.from({ length: 4 }, () => new Uint8Array(randomBytes(64 * 48 * 3)));
      const letterbox = computeLetterbox('yolox', 64, 48, 416);
      const output = await batched.run(batched.toTensor(frames, letterbox));
      assert.deepEqual(output.dims, [4, 3549, 85]);
      const perFrame = 3549 * 85;
      for (const [i, frame] of frames.entries()) {
        const alone = (await single.run(single.toTensor([frame], letterbox))).data as Float32Array;
        assert.deepEqual((output.data as Float32Array).subarray(i * perFrame, (i + 1) * perFrame), alone, `frame ${i}`);
      }
    } finally {
      await batched.release();
      await single.release();
    }
  });

  it('a batch dim fixed at 1 caps the configured batch size, with a note saying so', async () => {
    const file = path.join(dir, 'fixed.onnx');
    writeFileSync(file, yolov8ShapedModel(64, 2, {}, 1));
    const engine = await engineFor(file, 8);
    try {
      assert.equal(engine.model.batchSize, 1);
      assert.deepEqual(engine.model.notes.sort(), [
        'the model has 2 classes and no "names" metadata: labels are class_0 … class_1',
        "the model's batch dimension is fixed at 1: batch size 8 capped to 1",
      ]);
      assert.deepEqual(engine.model.labels, ['class_0', 'class_1']);
    } finally {
      await engine.release();
    }
  });
});
