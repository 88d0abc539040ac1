import { parentPort, workerData } from 'node:worker_threads';
import { letterboxToTensor } from '../preprocess/letterbox-tensor.js';
import type { FromLetterboxThread, LetterboxThreadData, TensorRequest, ToLetterboxThread } from './inference-protocol.js';

/**
 * The letterbox thread: turns decoded frames into the model's input tensor while the inference
 * thread runs the previous one (session.run() blocks its thread, so doing both there would add the
 * letterbox time to every frame).
 */
const parent = parentPort;
if (!parent) throw new Error('letterbox-thread.ts must run as a worker thread');
const { inputSize, divisor, fixedBatch, port } = workerData as LetterboxThreadData;
const size = inputSize * inputSize * 3;

parent.on('message', (message: ToLetterboxThread) => {
  if (message.type === 'close') {
    port.close();
    parent.close();
    return;
  }
  try {
    const count = message.frames.length;
    if (fixedBatch !== null && count > fixedBatch) throw new Error(`${count} frames for a model whose batch is fixed at ${fixedBatch}`);
    const data = new Float32Array((fixedBatch ?? count) * size);
    message.frames.forEach((frame, i) => letterboxToTensor(new Uint8Array(frame), message.letterbox, divisor, data, i * size));
    const request: TensorRequest = { type: 'tensor', id: message.id, tensor: data.buffer, count, letterbox: message.letterbox, post: message.post };
    port.postMessage(request, [data.buffer]);
  } catch (err) {
    parent.postMessage({ type: 'error', id: message.id, message: err instanceof Error ? err.message : String(err) } satisfies FromLetterboxThread);
  }
});
