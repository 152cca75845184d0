"""Checks that Python users can read GhostKit's outputs with the usual tools (Debian's python3-h5py,
python3-torch, python3-torchvision):

1. `ghostkit dump` writes an HDF5 file; h5py reads its attributes, shapes, dtypes, chunking and compression.
2. The GhostKit checkpoint (safetensors, F16 here) loads into torchvision's ResNet-18 with the CIFAR stem
   (1 input channel, 10 classes) — the state-dict names are torchvision's — and PyTorch's logits and
   layer1.0 output on the dumped inputs equal GhostKit's.

Run from the repository root after `swift build -c release`:
    /usr/bin/python3 tools/check_python_interop.py [checkpoint]
"""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch
import torch.nn as nn
from torchvision.models import resnet18

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_write  # noqa: E402

ckpt = sys.argv[1] if len(sys.argv) > 1 else "checkpoints/resnet18-fmnist.safetensors"
tmp = tempfile.mkdtemp()
h5 = os.path.join(tmp, "dump.h5")
subprocess.run([".build/release/ghostkit", "dump", "--checkpoint", ckpt, "--images", "32", "--layers", "layer1.0,fc",
                "--out", h5], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

f = h5py.File(h5, "r")
print("HDF5 attributes:", {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items() if k != "model"})
for name in ["inputs", "labels", "layers/layer1.0", "layers/fc"]:
    d = f[name]
    print(f"  /{name}: shape {d.shape}, dtype {d.dtype}, chunks {d.chunks}, compression {d.compression}, shuffle {d.shuffle}")

tensors, dtypes, meta = safetensors_write.load(ckpt)
arch = json.loads(meta["ghostkit.arch"])
assert arch["depth"] == 18 and arch["stem"] == "cifar", arch
model = resnet18(num_classes=arch["num_classes"])
model.conv1 = nn.Conv2d(arch["in_channels"], 64, 3, 1, 1, bias=False)
model.maxpool = nn.Identity()
state = {k: v for k, v in tensors.items() if not k.startswith("optim.")}
missing, unexpected = model.load_state_dict(state, strict=True), None
model.eval()
x = torch.from_numpy(f["inputs"][:])
captured = {}
model.layer1[0].register_forward_hook(lambda m, i, o: captured.__setitem__("layer1.0", o))
with torch.no_grad():
    logits = model(x)
ours = torch.from_numpy(f["layers/fc"][:])
block = torch.from_numpy(f["layers/layer1.0"][:])
labels = f["labels"][:]
print(f"checkpoint {ckpt}: dtypes {sorted(set(dtypes.values()))}, {sum(v.numel() for v in state.values() if v.is_floating_point())} floats")
print(f"max |logits PyTorch - GhostKit| = {(logits - ours).abs().max():.2e} (max |logit| {ours.abs().max():.2f})")
print(f"max |layer1.0 PyTorch - GhostKit| = {(captured['layer1.0'] - block).abs().max():.2e}")
agree = (logits.argmax(1) == ours.argmax(1)).float().mean().item()
acc = (logits.argmax(1).numpy() == labels).mean()
print(f"argmax agreement {100 * agree:.1f} %, PyTorch accuracy on these {len(labels)} images {100 * acc:.1f} %")
assert (logits - ours).abs().max() < 1e-3 * max(1.0, ours.abs().max().item())
print("OK")
