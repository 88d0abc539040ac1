import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelLoadError, parseClassNames, recogniseModelFormat } from '../../services/detector/src/index.js';

const file = '/models/m.onnx';
const input = (shape: Array<number | string>) => [{ name: 'images', shape }];
const output = (shape: Array<number | string>) => [{ name: 'out', shape }];

describe('recogniseModelFormat', () => {
  it('recognises YOLOX [1, N, 5 + C] and Ultralytics [1, 4 + C, N]', () => {
    const x = recogniseModelFormat(file, input([1, 3, 416, 416]), output([1, 3549, 85]));
    assert.deepEqual(x, { family: 'yolox', inputName: 'images', outputName: 'out', inputSize: 416, numClasses: 80, numAnchors: 3549, fixedBatch: 1 });
    const v8 = recogniseModelFormat(file, input([1, 3, 640, 640]), output([1, 84, 8400]));
    assert.equal(v8.family, 'yolov8');
    assert.equal(v8.numClasses, 80);
    assert.equal(v8.numAnchors, 8400);
    // A custom 3-class YOLO11 at 320.
    assert.equal(recogniseModelFormat(file, input([1, 3, 320, 320]), output([1, 7, 2100])).numClasses, 3);
  });

  it('supports a dynamic batch and dynamic spatial dims when metadata gives imgsz', () => {
    const f = recogniseModelFormat(file, input(['batch', 3, 'height', 'width']), output(['batch', 84, 'anchors']), { imgsz: '[640, 640]' });
    assert.equal(f.fixedBatch, null);
    assert.equal(f.inputSize, 640);
    assert.equal(f.family, 'yolov8');
  });

  it('refuses unknown shapes with a message naming the file and the shape', () => {
    const cases: Array<[Array<number | string>, Array<number | string>, RegExp]> = [
      [[1, 3, 32, 32], [1, 3, 32, 32], /output "out" of shape \[1, 3, 32, 32\]/],
      [[1, 3, 416, 416], [1, 1000], /shape \[1, 1000\]/],
      [[1, 3, 416, 416], [1, 100, 85], /shape \[1, 100, 85\]/],
      [[1, 1, 416, 416], [1, 3549, 85], /input "images" of shape \[1, 1, 416, 416\]/],
      [[1, 3, 416, 'w'], [1, 3549, 85], /square side/],
    ];
    for (const [i, o, message] of cases) {
      assert.throws(
        () => recogniseModelFormat(file, input(i), output(o)),
        (err: unknown) => err instanceof ModelLoadError && err.message.startsWith(`cannot use model ${file}:`) && message.test(err.message),
      );
    }
  });
});

describe('parseClassNames', () => {
  it("reads Ultralytics' Python dict literal, quotes and escapes included", () => {
    assert.deepEqual(parseClassNames("{0: 'person', 1: 'traffic light', 2: \"it's\", 3: 'a\\'b'}"), ['person', 'traffic light', "it's", "a'b"]);
  });

  it('reads JSON lists and objects', () => {
    assert.deepEqual(parseClassNames('["a", "b"]'), ['a', 'b']);
    assert.deepEqual(parseClassNames('{"1": "b", "0": "a"}'), ['a', 'b']);
  });

  it('returns null for missing, gapped or malformed names', () => {
    assert.equal(parseClassNames(undefined), null);
    assert.equal(parseClassNames("{0: 'a', 2: 'c'}"), null);
    assert.equal(parseClassNames('person, car'), null);
    assert.equal(parseClassNames('{}'), null);
  });
});
