import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ModelLoadError } from '../model/model-load-error.js';
import { openOnnxSession } from '../model/onnx-session.js';
import { DetectionEngine } from './detection-engine.js';
import type { FromInferenceThread, InferenceThreadData, TensorRecycle, TensorRequest, ToInferenceThread } from './inference-protocol.js';

/**
 * The inference thread: owns the ONNX Runtime session so that session.run() (native work on the
 * calling thread) never blocks the main event loop, where BullMQ renews its job locks. Tensors
 * arrive from the letterbox thread; objects go to the main thread.
 */
const parent = parentPort;
if (!parent) throw new Error('inference-thread.ts must run as a worker thread');
const send = (message: FromInferenceThread) => parent.postMessage(message);

async function start(data: InferenceThreadData): Promise<DetectionEngine | null> {
  try {
    const engine = new DetectionEngine(await openOnnxSession(data.session));
    await engine.warmUp();
    const { header, ...model } = engine.model;
    send({ type: 'ready', model: { ...model, metadata: header.metadata, producer: header.producer } });
    return engine;
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    send({ type: 'init-error', message: e.message, model: e instanceof ModelLoadError ? { file: e.file, reason: e.reason } : null });
    return null;
  }
}

const engine = await start(workerData as InferenceThreadData);
if (engine) {
  let tensors: MessagePort | null = null;
  const onTensor = async (request: TensorRequest) => {
    const started = performance.now();
    try {
      const objects = await engine.detectTensor(new Float32Array(request.tensor), request.count, request.letterbox, request.post);
      send({ type: 'result', id: request.id, objects, inferMs: performance.now() - started });
    } catch (err) {
      send({ type: 'error', id: request.id, message: err instanceof Error ? err.message : String(err) });
    }
    // The run is over: the buffer goes back to the letterbox thread for a later frame.
    tensors?.postMessage({ type: 'recycle', tensor: request.tensor } satisfies TensorRecycle, [request.tensor]);
  };
  parent.on('message', (message: ToInferenceThread) => {
    if (message.type === 'connect') {
      tensors = message.port;
      tensors.on('message', (request: TensorRequest) => void onTensor(request));
      return;
    }
    // The engine queues runs: this releases the session after the last one.
    void engine.release().then(() => {
      send({ type: 'closed' });
      tensors?.close();
      parent.close();
    });
  });
}
