"""Writes a copy of an ONNX detector whose batch dimension is dynamic.

Exports made for one image at a time (YOLOX's official yolox_nano.onnx is [1, 3, 416, 416]) fix
the batch at 1 twice: in the input/output shapes, and in the shape constants of Reshape nodes
([1, 85, -1]). This names the batch dimension and turns each Reshape's leading 1 into 0 ("copy
that dimension from the input", the ONNX Reshape default), which is what `torch.onnx.export` with
`dynamic_axes={'images': {0: 'batch'}}` would have written. The GPU check uses it to measure
batching; for your own models prefer a dynamic export (docs/detector.md).

    python3 dynamic-batch.py IN.onnx OUT.onnx
"""
import sys

import onnx
from onnx import numpy_helper


def main(src: str, dst: str) -> None:
    model = onnx.load(src)
    graph = model.graph
    for value in list(graph.input) + list(graph.output):
        dims = value.type.tensor_type.shape.dim
        if not dims:
            raise SystemExit(f"{value.name}: no shape")
        dims[0].dim_param = "batch"

    shape_inputs = {node.input[1] for node in graph.node if node.op_type == "Reshape"}
    for node in graph.node:
        if node.op_type == "Reshape" and any(a.name == "allowzero" and a.i == 1 for a in node.attribute):
            raise SystemExit(f"{node.name}: allowzero=1, a leading 0 would not copy the batch")
    changed = 0
    for init in graph.initializer:
        if init.name not in shape_inputs:
            continue
        shape = numpy_helper.to_array(init).copy()
        if shape.ndim == 1 and shape.size > 1 and shape[0] == 1:
            shape[0] = 0
            init.CopyFrom(numpy_helper.from_array(shape, init.name))
            changed += 1
    # Inferred intermediate shapes still say batch 1; ONNX Runtime re-infers them.
    del graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"{dst}: batch dimension dynamic, {changed} Reshape shape(s) rewritten")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
