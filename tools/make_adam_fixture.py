"""Golden fixture for GhostKit's Adam and AdamW: three steps of torch.optim.Adam / AdamW on a tiny model.

Model (nn.Sequential, names as GhostKit's Sequential): 0 conv 1->4 3x3 pad 1 (bias), 1 ReLU, 2 global average pool +
flatten, 3 linear 4->3. Cross-entropy on fixed batches. Adam: lr 0.01, betas (0.9, 0.99), eps 1e-6, weight decay 0.01
(L2, added to the gradient); AdamW: same with weight decay 0.05 (decoupled).

Writes Tests/Fixtures/adam_steps.safetensors: init.<param>, x<k>, y<k> (k = 1..3), and for opt in adam, adamw:
<opt>.after<k>.<param> (weights after step k) and <opt>.exp_avg_sq.<param> (after step 3).
Run: /usr/bin/python3 tools/make_adam_fixture.py
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

import make_fixtures as mf


class Pool(nn.Module):
    def forward(self, x):
        return x.mean((2, 3))


def main():
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(3)
    torch.manual_seed(3)
    base = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), Pool(), nn.Linear(4, 3))
    init = {k: v.clone() for k, v in base.state_dict().items()}
    batches = [(torch.randn(5, 1, 6, 6, generator=gen), torch.randint(0, 3, (5,), generator=gen)) for _ in range(3)]
    out = {f"init.{k}": v for k, v in init.items()}
    for k, (x, y) in enumerate(batches, 1):
        out[f"x{k}"], out[f"y{k}"] = x, y.float()
    for name, cls, wd in [("adam", torch.optim.Adam, 0.01), ("adamw", torch.optim.AdamW, 0.05)]:
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), Pool(), nn.Linear(4, 3))
        model.load_state_dict(init)
        opt = cls(model.parameters(), lr=0.01, betas=(0.9, 0.99), eps=1e-6, weight_decay=wd)
        for k, (x, y) in enumerate(batches, 1):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
            for pn, p in model.named_parameters():
                out[f"{name}.after{k}.{pn}"] = p.detach().clone()
        for pn, p in model.named_parameters():
            out[f"{name}.exp_avg_sq.{pn}"] = opt.state[p]["exp_avg_sq"].clone()
    mf.write("adam_steps.safetensors", out, None, {"ghostkit.source": "tools/make_adam_fixture.py"})
    print("adam_steps.safetensors", len(out), "tensors")


if __name__ == "__main__":
    main()
