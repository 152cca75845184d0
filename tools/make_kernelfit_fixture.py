"""Golden fixture for GhostKit's depthwise kernel fits: numpy.linalg.lstsq on the zero-padded ("same")
patch matrix, with a bias column, for d = 1, 3, 5, 7, jointly over three images.

Writes Tests/Fixtures/kernelfit_lstsq.json: the source and target maps and, per d, the kernel
(row-major dy, dx; cross-correlation as torch.nn.functional.conv2d), the bias and the MSE.
The target is a noisy blend of shifted copies of the source, so every d gives a different answer.
Run with Debian's python3 (numpy): /usr/bin/python3 tools/make_kernelfit_fixture.py
"""
import json
import os

import numpy as np

rng = np.random.default_rng(2020)
N, H, W = 3, 9, 11
src = rng.normal(size=(N, H, W))
tgt = 0.7 * np.roll(src, 1, axis=2) - 0.3 * np.roll(src, -2, axis=1) + 0.2 + 0.1 * rng.normal(size=(N, H, W))


def patches(x, d):
    r = d // 2
    padded = np.pad(x, ((0, 0), (r, r), (r, r)))
    cols = [padded[:, dy:dy + H, dx:dx + W].reshape(-1) for dy in range(d) for dx in range(d)]
    return np.stack(cols + [np.ones(N * H * W)], axis=1)


fits = []
for d in (1, 3, 5, 7):
    A = patches(src, d)
    w, *_ = np.linalg.lstsq(A, tgt.reshape(-1), rcond=None)
    mse = float(np.mean((A @ w - tgt.reshape(-1)) ** 2))
    fits.append({"d": d, "kernel": w[:-1].tolist(), "bias": float(w[-1]), "mse": mse})

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "kernelfit_lstsq.json")
with open(out, "w") as f:
    json.dump({"images": N, "height": H, "width": W, "source": src.reshape(-1).tolist(),
               "target": tgt.reshape(-1).tolist(), "fits": fits}, f)
print("wrote", out, [(x["d"], round(x["mse"], 6)) for x in fits])
