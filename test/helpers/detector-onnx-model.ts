import { OnnxDataType, onnxProto } from '../../services/detector/src/index.js';

/*
 * Tiny valid ONNX models built in the tests (no binary fixtures in the repository).
 */

/** A dimension: a size, or a name for a dynamic one. */
type Dim = number | string;

const valueInfo = (name: string, shape: Dim[]) => ({
  name,
  type: {
    tensor_type: { elem_type: OnnxDataType.FLOAT, shape: { dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } },
  },
});
const int64s = (name: string, values: number[]) => ({ name, data_type: OnnxDataType.INT64, dims: [values.length], int64_data: values });

interface GraphSpec {
  inputShape: Dim[];
  outputShape: Dim[];
  nodes: Array<{ input: string[]; output: string[]; op_type: string }>;
  /** Reshape's 0 keeps the input's dimension: the batch passes through. */
  initializer?: Array<ReturnType<typeof int64s>>;
  metadata?: Record<string, string>;
}

function encodeModel(spec: GraphSpec): Uint8Array {
  const ModelProto = onnxProto.lookupType('onnx.ModelProto');
  const model = ModelProto.fromObject({
    ir_version: 8,
    opset_import: [{ domain: '', version: 13 }],
    producer_name: 'video-detect tests',
    graph: {
      name: 'test',
      node: spec.nodes,
      initializer: spec.initializer ?? [],
      input: [valueInfo('x', spec.inputShape)],
      output: [valueInfo('y', spec.outputShape)],
    },
    metadata_props: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return ModelProto.encode(model).finish();
}

/** Input x -> Identity (or `opType`) -> y, both of `shape`. */
export function identityModel(shape: number[], metadata: Record<string, string> = {}, opType = 'Identity'): Uint8Array {
  return encodeModel({ inputShape: shape, outputShape: shape, nodes: [{ input: ['x'], output: ['y'], op_type: opType }], metadata });
}

/**
 * Input [B, 3, S, S] -> Reshape + Slice -> [B, 4 + C, N]: shaped like an Ultralytics head (its
 * values are just the input's pixels, which is enough to check plumbing). B may be dynamic.
 */
export function yolov8ShapedModel(side: number, classes: number, metadata: Record<string, string> = {}, batch: Dim = 1): Uint8Array {
  const anchors = (side / 8) ** 2 + (side / 16) ** 2 + (side / 32) ** 2;
  const rows = 4 + classes;
  if ((3 * side * side) % rows !== 0) throw new Error(`3*${side}*${side} values do not reshape into ${rows} rows`);
  const columns = (3 * side * side) / rows;
  return encodeModel({
    inputShape: [batch, 3, side, side],
    outputShape: [batch, rows, anchors],
    nodes: [
      { input: ['x', 'flat_shape'], output: ['flat'], op_type: 'Reshape' },
      { input: ['flat', 'starts', 'ends', 'axes'], output: ['y'], op_type: 'Slice' },
    ],
    initializer: [int64s('flat_shape', [0, rows, columns]), int64s('starts', [0]), int64s('ends', [anchors]), int64s('axes', [2])],
    metadata,
  });
}
