"""Checks `ghostkit export` with real clients: ONNX's checker and ONNX Runtime, against GhostKit's own logits.

For every model: `ghostkit export` writes the .onnx; onnx.checker.check_model(full_check=True) validates it;
`ghostkit dump --layers <logits>` runs GhostKit on Fashion-MNIST test images and stores the normalised inputs and
the logits; ONNX Runtime runs the same inputs at batch 16 and batch 1 (the batch dimension is dynamic) and
max |delta| must be <= 1e-4 * max |logit|. The metadata must carry the normalisation and class names.

Models: the embedded checkpoints (ResNet-50, Ghost-ResNet-18/50 converted with permuted output_index, GhostNet),
a partly converted Ghost-ResNet-18 (s=3, d=5, some blocks) made by `ghostkit convert`, and fresh random-init
models for the other families (CIFAR ResNets option A/B, Ghost-ResNet-20, an ImageNet-stem ResNet, GhostNets with
ECA and every activation), written as checkpoints by `ghostkit export --format pytorch`.

Run: .venv-ci/bin/python tools/check_onnx.py [--ghostkit .build/release/ghostkit] [--quick]
(needs `pip install onnx onnxruntime h5py numpy` in that venv; .ci/run makes it).
"""
import argparse
import json
import os
import sys
import tempfile

import h5py
import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_models import logits_layer, model_list, run  # noqa: E402


def check(name, checkpoint, ghostkit, tmp, images):
    onnx_path = os.path.join(tmp, name + ".onnx")
    run([ghostkit, "export", checkpoint, onnx_path])
    model = onnx.load(onnx_path)
    onnx.checker.check_model(model, full_check=True)
    ops = sorted({n.op_type for n in model.graph.node})
    assert "BatchNormalization" not in ops, name
    props = {p.key: p.value for p in model.metadata_props}
    assert len(json.loads(props["class_names"])) == 10, props
    h5 = os.path.join(tmp, name + ".h5")
    layer = logits_layer(checkpoint)
    run([ghostkit, "dump", "--checkpoint", checkpoint, "--images", str(images), "--layers", layer, "--out", h5,
         "--overwrite"])
    with h5py.File(h5, "r") as f:
        x = f["inputs"][...].astype(np.float32)
        ref = f["layers/" + layer][...].astype(np.float32)
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    got = session.run(["logits"], {"input": x})[0]
    single = np.concatenate([session.run(["logits"], {"input": x[i:i + 1]})[0] for i in range(2)])
    scale = float(np.abs(ref).max())
    delta = float(np.abs(got - ref).max())
    delta1 = float(np.abs(single - ref[:2]).max())
    gathers = sum(n.op_type == "Gather" for n in model.graph.node)
    ok = delta <= 1e-4 * scale and delta1 <= 1e-4 * scale
    print("%-30s %s max|Δ| %.2e (batch 1: %.2e) ≤ 1e-4·%.3g  %4d nodes, %3d Gather, ops %s" % (
        name, "ok  " if ok else "FAIL", delta, delta1, scale, len(model.graph.node), gathers, ",".join(ops)))
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ghostkit", default=".build/release/ghostkit")
    ap.add_argument("--images", type=int, default=16)
    ap.add_argument("--quick", action="store_true", help="embedded checkpoints and three fresh models only")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        models = model_list(args.ghostkit, root, tmp, args.quick)
        for name, path in models:
            if check(name, path, args.ghostkit, tmp, args.images):
                passed += 1
            else:
                failed += 1
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
