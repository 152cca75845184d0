#!/usr/bin/python3
"""Golden fixture for GhostKit's training engine: two SGD steps of a small ResNet in PyTorch.

Run by hand:   /usr/bin/python3 tools/make_train_fixture.py
Writes Tests/Fixtures/train_step.safetensors with
  init.<key>   the state dict before training (BN running stats included)
  x1, y1, x2, y2  two batches (y as I64)
  loss1, loss2    the training-mode losses
  grad1.<key>     gradients of the first step (trainable parameters)
  after2.<key>    the state dict after two SGD steps (momentum 0.9, Nesterov, weight decay 5e-4, lr 0.05)
Model: torchvision ResNet-18 blocks, CIFAR stem (3x3/1, no max-pool), width 8/8/16/32/64, 1 input channel, 10 classes.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F
from torchvision.models import resnet as tvr

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_write  # noqa: E402
from make_fixtures import OUT, narrow_resnet  # noqa: E402


def main():
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(1)
    model = narrow_resnet(tvr.BasicBlock, [2, 2, 2, 2], 8, [8, 16, 32, 64], 1, 10, True)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)
    out = {f"init.{k}": v.clone() for k, v in model.state_dict().items()}
    for step in (1, 2):
        x = torch.randn(8, 1, 16, 16, generator=gen)
        y = torch.randint(0, 10, (8,), generator=gen)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        out[f"x{step}"], out[f"y{step}"], out[f"loss{step}"] = x, y, loss.detach().reshape(1)
        if step == 1:
            out.update({f"grad1.{k}": p.grad.clone() for k, p in model.named_parameters()})
        opt.step()
    out.update({f"after2.{k}": v.clone() for k, v in model.state_dict().items()})
    arch = {"family": "resnet", "depth": 18, "stem": "cifar", "width": 0.125, "in_channels": 1, "num_classes": 10}
    meta = {"ghostkit.arch": json.dumps(arch, sort_keys=True), "optimizer": json.dumps(
        {"lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4, "nesterov": True}), "ghostkit.source": "tools/make_train_fixture.py"}
    path = os.path.join(OUT, "train_step.safetensors")
    safetensors_write.save(path, out, None, meta)
    print(f"loss1 {out['loss1'].item():.5f} loss2 {out['loss2'].item():.5f}; {os.path.getsize(path) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
