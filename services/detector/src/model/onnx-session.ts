import ort from 'onnxruntime-node';
import { COCO_LABELS } from '@video-detect/shared';
import { readModelFile, parseClassNames, type OnnxModelHeader } from './model-file.js';
import { recogniseModelFormat, type ModelFormat, type TensorInfo } from './model-format.js';
import { ModelLoadError } from './model-load-error.js';

export type ExecutionProvider = 'cpu' | 'cuda';

/** How to create the session; mirrors `config.detector`. */
export interface OnnxSessionOptions {
  modelPath: string;
  /** @defaultValue 'cpu' */
  executionProvider: ExecutionProvider;
  /** CUDA device index (ignored on CPU). */
  deviceId: number;
  /** ONNX Runtime intra-op threads; 0 = its default (one per physical core). */
  intraOpThreads: number;
  /** Frames per run wanted; capped to the graph's batch dim when that is fixed. */
  batchSize: number;
}

/** Everything the rest of the detector needs to know about the loaded model. */
export interface LoadedModel {
  file: string;
  format: ModelFormat;
  /** Class names, index = class id: from the model's metadata, else COCO-80. */
  labels: string[];
  labelsFrom: 'metadata' | 'coco80' | 'generated';
  /** Frames per session.run(). */
  batchSize: number;
  /** The provider actually in use (after any fallback). */
  executionProvider: ExecutionProvider;
  header: OnnxModelHeader;
  /** Things worth a log line (fallbacks, caps). */
  notes: string[];
}

export interface OnnxSession {
  session: ort.InferenceSession;
  model: LoadedModel;
}

function tensorInfos(list: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return list.map((m) => ({ name: m.name, shape: m.isTensor ? m.shape : [] }));
}

function labelsFor(file: string, header: OnnxModelHeader, numClasses: number, notes: string[]): Pick<LoadedModel, 'labels' | 'labelsFrom'> {
  const names = parseClassNames(header.metadata.names);
  if (names && names.length === numClasses) return { labels: names, labelsFrom: 'metadata' };
  if (names) throw new ModelLoadError(file, `metadata "names" lists ${names.length} classes but the output has ${numClasses}`);
  if (header.metadata.names !== undefined) notes.push('metadata "names" could not be read; using COCO-80 class names');
  if (numClasses === COCO_LABELS.length) return { labels: [...COCO_LABELS], labelsFrom: 'coco80' };
  notes.push(`the model has ${numClasses} classes and no "names" metadata: labels are class_0 … class_${numClasses - 1}`);
  return { labels: Array.from({ length: numClasses }, (_, i) => `class_${i}`), labelsFrom: 'generated' };
}

async function createSession(file: string, bytes: Uint8Array, options: OnnxSessionOptions, notes: string[]) {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(options.intraOpThreads > 0 ? { intraOpNumThreads: options.intraOpThreads } : {}),
    // One graph at a time per process: inter-op parallelism only adds threads that spin.
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
  const open = async (ep: ort.InferenceSession.ExecutionProviderConfig) => {
    try {
      return await ort.InferenceSession.create(bytes, { ...base, executionProviders: [ep] });
    } catch (err) {
      throw new ModelLoadError(file, `ONNX Runtime could not load it: ${(err as Error).message.split('\n')[0]}`);
    }
  };
  if (options.executionProvider === 'cuda') {
    try {
      const session = await ort.InferenceSession.create(bytes, { ...base, executionProviders: [{ name: 'cuda', deviceId: options.deviceId }] });
      return { session, executionProvider: 'cuda' as const };
    } catch (err) {
      notes.push(
        `CUDA execution provider unavailable on device ${options.deviceId} (${(err as Error).message.split('\n')[0]}); falling back to CPU`,
      );
    }
  }
  return { session: await open('cpu'), executionProvider: 'cpu' as const };
}

/** Reads, checks and opens the model: one session per process. Throws ModelLoadError naming the file. */
export async function openOnnxSession(options: OnnxSessionOptions): Promise<OnnxSession> {
  const file = options.modelPath;
  const { bytes, header } = await readModelFile(file);
  const notes: string[] = [];
  const { session, executionProvider } = await createSession(file, bytes, options, notes);
  try {
    const format = recogniseModelFormat(file, tensorInfos(session.inputMetadata), tensorInfos(session.outputMetadata), header.metadata);
    const { labels, labelsFrom } = labelsFor(file, header, format.numClasses, notes);
    let batchSize = Math.max(1, options.batchSize);
    if (format.fixedBatch !== null && batchSize !== format.fixedBatch) {
      notes.push(`the model's batch dimension is fixed at ${format.fixedBatch}: batch size ${batchSize} capped to ${format.fixedBatch}`);
      batchSize = format.fixedBatch;
    }
    return { session, model: { file, format, labels, labelsFrom, batchSize, executionProvider, header, notes } };
  } catch (err) {
    await session.release();
    throw err;
  }
}
