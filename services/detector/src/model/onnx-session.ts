import ort from 'onnxruntime-node';
import { COCO_LABELS, type ExecutionProviderName, type WebGpuSettings } from '@video-detect/shared';
import { describeProvider, ExecutionProviderError, executionProviderOption } from './execution-provider.js';
import { readModelFile, parseClassNames, type OnnxModelHeader } from './model-file.js';
import { recogniseModelFormat, type ModelFormat, type TensorInfo } from './model-format.js';
import { ModelLoadError } from './model-load-error.js';

/** How to create the session; mirrors `config.detector`. */
export interface OnnxSessionOptions {
  modelPath: string;
  /** @defaultValue 'cpu' */
  executionProvider: ExecutionProviderName;
  /** CUDA device index (0 for the others). */
  deviceId: number;
  /** WebGPU options (ignored by the other providers); ONNX Runtime's defaults where absent. */
  webgpu?: Partial<WebGpuSettings>;
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
  /** The provider the session runs on: always the one asked for (there is no fallback). */
  executionProvider: ExecutionProviderName;
  deviceId: number;
  header: OnnxModelHeader;
  /** Things worth a log line (caps, class names). */
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

/**
 * Opens the session on the provider asked for. When a GPU provider fails, a CPU session of the
 * same bytes tells the two causes apart: the model loads on CPU → the provider is at fault
 * (ExecutionProviderError); it does not → the model is (ModelLoadError).
 */
async function createSession(file: string, bytes: Uint8Array, options: OnnxSessionOptions): Promise<ort.InferenceSession> {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(options.intraOpThreads > 0 ? { intraOpNumThreads: options.intraOpThreads } : {}),
    // One graph at a time per session: inter-op parallelism only adds threads that spin.
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
  const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  const provider = { name: options.executionProvider, deviceId: options.deviceId, webgpu: options.webgpu };
  const executionProviders = [executionProviderOption(provider)];
  try {
    return await ort.InferenceSession.create(bytes, { ...base, executionProviders });
  } catch (err) {
    if (provider.name !== 'cpu') {
      const cpu = await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cpu'] }).catch(() => null);
      if (cpu) {
        await cpu.release();
        throw new ExecutionProviderError(provider.name, `ONNX Runtime could not open the model on ${describeProvider(provider)} (it opens on cpu): ${firstLine(err)}`);
      }
    }
    throw new ModelLoadError(file, `ONNX Runtime could not load it: ${firstLine(err)}`);
  }
}

/**
 * Reads, checks and opens the model on the configured provider. Throws ModelLoadError naming the
 * file, or ExecutionProviderError when the model is fine but the provider cannot run it.
 */
export async function openOnnxSession(options: OnnxSessionOptions): Promise<OnnxSession> {
  const file = options.modelPath;
  const { bytes, header } = await readModelFile(file);
  const notes: string[] = [];
  const session = await createSession(file, bytes, options);
  try {
    const format = recogniseModelFormat(file, tensorInfos(session.inputMetadata), tensorInfos(session.outputMetadata), header.metadata);
    const { labels, labelsFrom } = labelsFor(file, header, format.numClasses, notes);
    let batchSize = Math.max(1, options.batchSize);
    if (format.fixedBatch !== null && batchSize !== format.fixedBatch) {
      notes.push(`the model's batch dimension is fixed at ${format.fixedBatch}: batch size ${batchSize} capped to ${format.fixedBatch}`);
      batchSize = format.fixedBatch;
    }
    const { executionProvider, deviceId } = options;
    return { session, model: { file, format, labels, labelsFrom, batchSize, executionProvider, deviceId, header, notes } };
  } catch (err) {
    await session.release();
    throw err;
  }
}
