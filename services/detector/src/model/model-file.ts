import { readFile } from 'node:fs/promises';
import { ModelLoadError } from './model-load-error.js';
import { onnxProto } from './onnx-proto.js';

/** What the ONNX container says about itself, before ONNX Runtime looks at the graph. */
export interface OnnxModelHeader {
  irVersion: number;
  producer: string;
  opsets: Array<{ domain: string; version: number }>;
  /** ModelProto.metadata_props (Ultralytics exports keep `names`, `imgsz`, `stride` … here). */
  metadata: Record<string, string>;
}

interface HeaderObject {
  ir_version?: number;
  producer_name?: string;
  producer_version?: string;
  graph?: Uint8Array;
  opset_import?: Array<{ domain?: string; version?: number }>;
  metadata_props?: Array<{ key?: string; value?: string }>;
}

/** Parses the ONNX protobuf container; throws ModelLoadError naming `file` when it is not one. */
export function parseOnnxHeader(file: string, bytes: Uint8Array): OnnxModelHeader {
  const type = onnxProto.lookupType('onnx.ModelHeader');
  let header: HeaderObject;
  try {
    const decoded: unknown = type.toObject(type.decode(bytes), { longs: Number, bytes: Uint8Array });
    header = decoded as HeaderObject;
  } catch (err) {
    throw new ModelLoadError(file, `not an ONNX model (protobuf parse failed: ${(err as Error).message})`);
  }
  if (!header.ir_version || !header.graph || header.graph.length === 0) {
    throw new ModelLoadError(file, 'not an ONNX model (no ir_version or no graph in the protobuf)');
  }
  const metadata: Record<string, string> = {};
  for (const { key, value } of header.metadata_props ?? []) if (key) metadata[key] = value ?? '';
  return {
    irVersion: header.ir_version,
    producer: [header.producer_name, header.producer_version].filter(Boolean).join(' '),
    opsets: (header.opset_import ?? []).map((o) => ({ domain: o.domain || 'ai.onnx', version: o.version ?? 0 })),
    metadata,
  };
}

/** Reads the model file, turning the usual file-system failures into messages that name it. */
export async function readModelFile(file: string): Promise<{ bytes: Uint8Array; header: OnnxModelHeader }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'file not found (set MODEL_PATH to an ONNX detection model)'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied reading the file'
          : code === 'EISDIR'
            ? 'it is a directory, not a model file'
            : `cannot read the file (${(err as Error).message})`;
    throw new ModelLoadError(file, reason);
  }
  if (bytes.length === 0) throw new ModelLoadError(file, 'the file is empty');
  return { bytes, header: parseOnnxHeader(file, bytes) };
}

/**
 * Class names from the model's metadata: Ultralytics writes `names` as a Python dict literal
 * (`{0: 'person', 1: 'bicycle'}`); JSON lists or objects are accepted too. null when absent or
 * unreadable (the caller falls back to COCO-80).
 */
export function parseClassNames(raw: string | undefined): string[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  const fromEntries = (entries: Array<[number, string]>): string[] | null => {
    if (entries.length === 0) return null;
    const names: string[] = [];
    for (const [i, name] of entries) names[i] = name;
    // Indices must be 0..n-1 with no gap, or class ids would not line up with the output channels.
    return names.length === entries.length && names.every((n) => typeof n === 'string') ? names : null;
  };
  try {
    const json: unknown = JSON.parse(raw);
    if (Array.isArray(json) && json.every((n) => typeof n === 'string')) return json.length > 0 ? json : null;
    if (json && typeof json === 'object') {
      const entries = Object.entries(json).map(([k, v]) => [Number(k), v] as [number, unknown]);
      if (entries.every(([k, v]) => Number.isInteger(k) && k >= 0 && typeof v === 'string')) return fromEntries(entries as Array<[number, string]>);
    }
    return null;
  } catch {
    // Not JSON: read the Python literal.
  }
  const body = raw.trim();
  if (!body.startsWith('{') || !body.endsWith('}')) return null;
  const entry = /\s*(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*(,|$)/y;
  const inner = body.slice(1, -1);
  const entries: Array<[number, string]> = [];
  entry.lastIndex = 0;
  while (entry.lastIndex < inner.length) {
    const m = entry.exec(inner);
    if (!m) return null;
    const text = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
    entries.push([Number(m[1]), text]);
    if (m[4] === '') break;
  }
  return fromEntries(entries);
}
