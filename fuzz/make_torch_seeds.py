#!/usr/bin/python3
"""Seeds for the TorchCheckpoint and Pickle fuzz targets: tiny torch.save files in both formats (Debian's
python3-torch), their data.pkl, and the hostile pickles of Tests/Fixtures/pth/evil that are small."""
import io, os, shutil, zipfile
from collections import OrderedDict
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
def put(target, name, data):
    d = os.path.join(HERE, "corpus", target); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), "wb").write(data)

torch.manual_seed(0)
sd = OrderedDict([("conv.weight", torch.randn(2, 1, 2, 2)), ("bn.running_mean", torch.zeros(2)),
                  ("bn.num_batches_tracked", torch.tensor(3)), ("fc.weight", torch.randn(3, 2).t())])  # non-contiguous view
for name, obj, zip_format in [("zip", sd, True), ("legacy", sd, False),
                              ("wrapped", {"state_dict": OrderedDict(("module." + k, v) for k, v in sd.items()), "epoch": 7, "best_prec1": 91.5}, True),
                              ("f16", OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in sd.items()), True)]:
    buf = io.BytesIO(); torch.save(obj, buf, _use_new_zipfile_serialization=zip_format)
    put("TorchCheckpoint", name + ".pth", buf.getvalue())
    if zip_format:
        z = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
        put("Pickle", name + "-data.pkl", z.read([n for n in z.namelist() if n.endswith("data.pkl")][0]))
evil = os.path.join(HERE, "..", "Tests", "Fixtures", "pth", "evil")
for f in sorted(os.listdir(evil)):
    if os.path.getsize(os.path.join(evil, f)) <= 6000:
        shutil.copy(os.path.join(evil, f), os.path.join(HERE, "corpus", "TorchCheckpoint" if f.endswith(".pth") else "Pickle", f))
