"""Golden fixture for GhostKit's minibatch linear CKA (Nguyen, Raghu & Kornblith 2021) with the unbiased
HSIC estimator of Song et al. (2012).

The reference does not use the closed form GhostKit implements: each minibatch's HSIC_1 is the U-statistic
itself, the mean over every ordered 4-tuple (i, j, q, r) of distinct examples of
    k_ij l_ij + k_ij l_qr - 2 k_ij l_iq
(Song et al. 2012, Theorem 2), with k, l the linear kernels. The closed form is also evaluated here and must
agree (assert), as a check of the reference. Activations are float32 (as GhostKit's); the arithmetic is float64.

Writes Tests/Fixtures/cka_minibatch.json. Run with Debian's python3 (numpy):
    /usr/bin/python3 tools/make_cka_fixture.py
"""
import itertools
import json
import os

import numpy as np

rng = np.random.default_rng(2021)
BATCH, BATCHES = 7, 3
N = BATCH * BATCHES
SHAPE_X, SHAPE_Y = (3, 2, 4), (5, 3, 1)  # per-example activation shapes ([C, H, W])
px, py = int(np.prod(SHAPE_X)), int(np.prod(SHAPE_Y))
x = rng.normal(size=(N, px)).astype(np.float32)
# Y partly a linear function of X (so CKA is well inside (0, 1)), plus noise and an offset.
mix = rng.normal(size=(px, py))
y = (x.astype(np.float64) @ mix * 0.3 + rng.normal(size=(N, py)) + 0.5).astype(np.float32)


def hsic_u_statistic(k, l):
    n = k.shape[0]
    total, count = 0.0, 0
    for i, j, q, r in itertools.permutations(range(n), 4):
        total += k[i, j] * l[i, j] + k[i, j] * l[q, r] - 2 * k[i, j] * l[i, q]
        count += 1
    return total / count


def hsic_closed_form(k, l):
    n = k.shape[0]
    k, l = k.copy(), l.copy()
    np.fill_diagonal(k, 0)
    np.fill_diagonal(l, 0)
    ones = np.ones(n)
    t = np.trace(k @ l) + (ones @ k @ ones) * (ones @ l @ ones) / ((n - 1) * (n - 2)) - 2 / (n - 2) * (ones @ k @ l @ ones)
    return t / (n * (n - 3))


batches = []
sums = np.zeros(3)
for b in range(BATCHES):
    xb = x[b * BATCH:(b + 1) * BATCH].astype(np.float64)
    yb = y[b * BATCH:(b + 1) * BATCH].astype(np.float64)
    k, l = xb @ xb.T, yb @ yb.T
    h = np.array([hsic_u_statistic(k, l), hsic_u_statistic(k, k), hsic_u_statistic(l, l)])
    c = np.array([hsic_closed_form(k, l), hsic_closed_form(k, k), hsic_closed_form(l, l)])
    assert np.allclose(h, c, rtol=1e-10, atol=0), (h, c)
    batches.append({"hsic_xy": h[0], "hsic_xx": h[1], "hsic_yy": h[2]})
    sums += h
cka = sums[0] / np.sqrt(sums[1] * sums[2])

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "cka_minibatch.json")
with open(out, "w") as f:
    json.dump({"batch": BATCH, "batches": BATCHES, "shape_x": list(SHAPE_X), "shape_y": list(SHAPE_Y),
               "x": [float(v) for v in x.reshape(-1)], "y": [float(v) for v in y.reshape(-1)],
               "per_batch": batches, "cka": float(cka)}, f)
print("wrote", out, "minibatch CKA", cka)
