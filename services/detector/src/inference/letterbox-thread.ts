import { parentPort, workerData } from 'node:worker_threads';
import { letterboxToTensor } from '../preprocess/letterbox-tensor.js';
import type { FromLetterboxThread, LetterboxThreadData, TensorRecycle, TensorRequest, ToLetterboxThread } from './inference-protocol.js';

/**
 * The letterbox thread: turns decoded frames into the model's input tensor while the inference
 * thread runs the previous one (session.run() blocks its thread, so doing both there would add the
 * letterbox time to every frame).
 */
const parent = parentPort;
if (!parent) throw new Error('letterbox-thread.ts must run as a worker thread');
const { inputSize, divisor, fixedBatch, port } = workerData as LetterboxThreadData;
const size = inputSize * inputSize * 3;

/** Tensor buffers the inference thread has handed back. The letterbox overwrites every value, so they need no clearing. */
const tensorPool: ArrayBuffer[] = [];
port.on('message', (m: TensorRecycle) => {
  if (tensorPool.length < 4) tensorPool.push(m.tensor);
});
function tensorBuffer(length: number): Float32Array {
  const pooled = tensorPool.pop();
  return pooled && pooled.byteLength === length * 4 ? new Float32Array(pooled) : new Float32Array(length);
}

parent.on('message', (message: ToLetterboxThread) => {
  if (message.type === 'close') {
    port.close();
    parent.close();
    return;
  }
  try {
    const count = message.frames.length;
    if (fixedBatch !== null && count > fixedBatch) throw new Error(`${count} frames for a model whose batch is fixed at ${fixedBatch}`);
    // Images of a fixed batch beyond `count` may hold an earlier frame: their outputs are ignored.
    const data = tensorBuffer((fixedBatch ?? count) * size);
    message.frames.forEach((frame, i) => letterboxToTensor(new Uint8Array(frame), message.letterbox, divisor, data, i * size));
    const tensor = data.buffer as ArrayBuffer;
    const request: TensorRequest = { type: 'tensor', id: message.id, tensor, count, letterbox: message.letterbox, post: message.post };
    port.postMessage(request, [tensor]);
    parent.postMessage({ type: 'recycle', frames: message.frames } satisfies FromLetterboxThread, message.frames);
  } catch (err) {
    parent.postMessage({ type: 'error', id: message.id, message: err instanceof Error ? err.message : String(err) } satisfies FromLetterboxThread);
  }
});
