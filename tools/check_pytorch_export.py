"""Checks `ghostkit export OUT.py` with PyTorch (Debian's python3-torch): the written module file loads its
safetensors with load_state_dict(strict=True), gives GhostKit's logits on the same Fashion-MNIST inputs
(`ghostkit dump`) within 1e-4 * max |logit|, and trains (one SGD step in train mode changes the loss).

Models: the embedded checkpoints, a partly converted Ghost-ResNet-18 (s=3, d=5) from `ghostkit convert`, and
fresh models of the other families (the list in tools/check_onnx.py).

Run: /usr/bin/python3 tools/check_pytorch_export.py [--ghostkit .build/release/ghostkit] [--quick]
"""
import argparse
import importlib.util
import os
import sys
import tempfile

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_models import logits_layer, model_list, run  # noqa: E402


def load_module(path):
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3].replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(name, checkpoint, ghostkit, tmp, images):
    py = os.path.join(tmp, "export-" + name + ".py")
    run([ghostkit, "export", checkpoint, py])
    m = load_module(py)
    model = m.load_model()  # strict=True inside
    h5 = os.path.join(tmp, name + ".h5")
    layer = logits_layer(checkpoint)
    run([ghostkit, "dump", "--checkpoint", checkpoint, "--images", str(images), "--layers", layer, "--out", h5,
         "--overwrite"])
    with h5py.File(h5, "r") as f:
        x = torch.from_numpy(f["inputs"][...].astype(np.float32))
        ref = f["layers/" + layer][...].astype(np.float32)
    with torch.no_grad():
        got = model(x).numpy()
    scale = float(np.abs(ref).max())
    delta = float(np.abs(got - ref).max())
    # One training step: gradients reach every parameter and the loss moves.
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    labels = torch.arange(x.shape[0]) % 10
    loss0 = torch.nn.functional.cross_entropy(model(x), labels)
    opt.zero_grad()
    loss0.backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None]
    opt.step()
    loss1 = float(torch.nn.functional.cross_entropy(model(x), labels))
    ok = delta <= 1e-4 * scale and not no_grad and loss1 != float(loss0)
    print("%-30s %s max|Δ| %.2e ≤ 1e-4·%.3g, strict load, train step loss %.4f → %.4f%s" % (
        name, "ok  " if ok else "FAIL", delta, scale, float(loss0), loss1,
        (" (no grad: %s)" % no_grad[:3]) if no_grad else ""))
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ghostkit", default=".build/release/ghostkit")
    ap.add_argument("--images", type=int, default=16)
    ap.add_argument("--quick", action="store_true", help="embedded checkpoints and three fresh models only")
    args = ap.parse_args()
    torch.manual_seed(0)
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
