"""The models tools/check_onnx.py and tools/check_pytorch_export.py export and check, and their helpers."""
import json
import os
import subprocess
import sys

EMBEDDED = ["resnet50-fmnist", "ghost-resnet18-fmnist", "ghost-resnet50-fmnist", "ghostnet-fmnist"]
FRESH = {  # name: ghostkit architecture flags (1 input channel, 10 classes, as Fashion-MNIST)
    "resnet20-A": ["--arch", "resnet20", "--shortcut", "A"],
    "resnet20-B": ["--arch", "resnet20", "--shortcut", "B"],
    "ghost-resnet20-A-s3d5": ["--arch", "ghost-resnet20", "--shortcut", "A", "--s", "3", "--d", "5"],
    "ghost-resnet20-B": ["--arch", "ghost-resnet20", "--shortcut", "B"],
    "resnet18-imagenet-w025": ["--arch", "resnet18", "--stem", "imagenet", "--width", "0.25"],
    "ghost-resnet34-imagenet-w025": ["--arch", "ghost-resnet34", "--stem", "imagenet", "--width", "0.25"],
    "ghostnet-eca-hswish": ["--arch", "ghostnet", "--stem", "cifar", "--width", "0.5", "--attention", "eca",
                            "--activation", "h-swish"],
    "ghostnet-gelu-sigmoid-se": ["--arch", "ghostnet", "--stem", "cifar", "--width", "0.5", "--activation", "gelu",
                                 "--se-gate", "sigmoid", "--se-ratio", "0.5"],
    "ghostnet-leaky-imagenet": ["--arch", "ghostnet", "--width", "0.3", "--activation", "leaky-relu"],
    "ghostnet-sigmoid-hardsigmoid": ["--arch", "ghostnet", "--stem", "cifar", "--width", "0.5",
                                     "--activation", "sigmoid"],
    "ghostnet-hardsigmoid": ["--arch", "ghostnet", "--stem", "cifar", "--width", "0.5",
                             "--activation", "hard-sigmoid"],
}


def run(cmd):
    """Runs a command; exits with its output when it fails."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("FAILED: %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    return r.stdout


def logits_layer(checkpoint):
    """The name of the logits layer of `ghostkit dump` for this checkpoint."""
    arch = json.loads(json.loads(header_metadata(checkpoint))["ghostkit.arch"])
    return "classifier" if arch["family"] == "ghostnet" else "fc"


def header_metadata(path):
    """The __metadata__ of a safetensors file, as JSON text."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        return json.dumps(json.loads(f.read(n)).get("__metadata__", {}))


def model_list(ghostkit, root, tmp, quick):
    """(name, checkpoint) pairs: the embedded checkpoints, a partly converted Ghost-ResNet-18 (s=3, d=5) and a
    guided one (`guided_model`) made by `ghostkit convert`, and fresh models written as checkpoints by
    `ghostkit export --arch … OUT.py` (three with `quick`)."""
    models = [(c, os.path.join(root, "checkpoints", c + ".safetensors")) for c in EMBEDDED]
    partial = os.path.join(tmp, "ghost-resnet18-partial.safetensors")
    run([ghostkit, "convert", os.path.join(root, "checkpoints", "resnet18-fmnist.safetensors"), "--s", "3",
         "--d", "5", "--blocks", "layer3,layer4.1", "--calibration-images", "64", "--eval-images", "0",
         "--out", partial])
    models.append(("ghost-resnet18-partial-s3d5", partial))
    models.append(("ghost-resnet18-guided", guided_model(ghostkit, root, tmp)))
    fresh = list(FRESH.items())[:3] if quick else FRESH.items()
    for name, flags in fresh:
        py = os.path.join(tmp, "fresh-" + name + ".py")  # writes fresh-<name>.safetensors beside it
        run([ghostkit, "export", py] + flags + ["--in-channels", "1", "--num-classes", "10"])
        models.append((name, os.path.join(tmp, "fresh-" + name + ".safetensors")))
    return models


def guided_model(ghostkit, root, tmp):
    """A redundancy-guided Ghost-ResNet-18 (`convert --macs-budget 0.6`, the cheap noise damage model): convs left
    plain (s = 1) beside convs at several ratios s > 1; exits unless its plan really mixes them."""
    out = os.path.join(tmp, "ghost-resnet18-guided.safetensors")
    run([ghostkit, "convert", os.path.join(root, "checkpoints", "resnet18-fmnist.safetensors"), "--macs-budget",
         "0.6", "--guided-damage", "noise", "--calibration-images", "64", "--eval-images", "0", "--out", out])
    arch = json.loads(json.loads(header_metadata(out))["ghostkit.arch"])
    ratios = sorted({c["s"] for c in arch["ghost"]["convs"].values()})
    if ratios[0] != 1 or len(ratios) < 3:
        sys.exit("the guided model does not mix plain convs and several ratios: s %s" % ratios)
    return out
