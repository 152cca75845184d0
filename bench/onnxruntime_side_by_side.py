#!/usr/bin/python3
"""GhostKit beside ONNX Runtime in one run window: ResNet-18/50 and Ghost-ResNet-18/50 forward, 224², batch 8 and 1,
1 and 2 threads.

    /usr/bin/python3 bench/onnxruntime_side_by_side.py --ghostkit .build/release/ghostkit [--iters 5] [--rounds 2]

Run it with Debian's python3 (python3-torch + python3-torchvision): it exports torchvision's resnet18/resnet50
(random weights, eval mode, opset 13) with torch.onnx.export into a temporary directory, and Ghost-ResNet-18/50
(s=2, d=3, the model `ghostkit bench --ghost` times) with `ghostkit export --arch ghost-resnetNN` (opset 17, BN
folded), then times them with ONNX
Runtime (graph optimisations: ORT_ENABLE_ALL; intra-op threads = the row's threads, inter-op 1) from a venv it
creates when missing (`.venv-bench`, `pip install onnxruntime onnx`; git-ignored; override with --venv).
GhostKit runs as `ghostkit bench --json [--ghost] --only [ghost-]resnetNN-forward --batch B --threads 1,2` (--models
picks the rows: resnet18,resnet50,ghost-resnet18,ghost-resnet50 by default). Each (model, batch) is
timed GhostKit then ONNX Runtime, each in its own process (peak RSS from wait4), --rounds times; a side's figure is
its best img/s over all rounds (each round: best of --iters after one warm-up). Prints the machine (CPU model,
AVX-512 or not, OPENBLAS_CORETYPE, the OpenBLAS kernels GhostKit runs) and a Markdown table with the ratio
GhostKit / ONNX Runtime per row.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Runs inside the venv: times one exported model, prints {"threads": img/s, ...} as JSON.
ORT_WORKER = r"""
import json, sys, time
import numpy as np
import onnxruntime as ort
path, batch, iters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
threads = [int(t) for t in sys.argv[4].split(",")]
x = np.random.default_rng(7).standard_normal((batch, 3, 224, 224), dtype=np.float32)
out = {"version": ort.__version__}
for t in threads:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = t
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    s.run(None, {name: x})
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        s.run(None, {name: x})
        times.append(time.perf_counter() - t0)
    out[str(t)] = batch / min(times)
print(json.dumps(out))
"""


def peak_rss_mib(cmd, env=None):
    """Runs `cmd` (stdout captured) and returns (stdout, its own peak RSS in MiB, from wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            sys.exit(f"{cmd[0]}: exit {p.returncode}: {err.read().decode(errors='replace').strip()[-400:]}")
        out.seek(0)
        return out.read().decode(), usage.ru_maxrss / 1024


def ensure_venv(venv):
    py = venv / "bin" / "python"
    if not py.exists():
        print(f"creating {venv} (onnxruntime, onnx)", file=sys.stderr)
        base = os.environ.get("VENV_PYTHON", "python3")
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "onnxruntime", "onnx"], check=True)
    return py


def export_models(depths, directory):
    """Writes resnet18.onnx / resnet50.onnx (torchvision, random weights) into `directory`; returns torch's version."""
    import torch
    from torchvision.models import resnet18, resnet50
    for d in depths:
        model = (resnet18 if d == 18 else resnet50)(weights=None).eval()
        path = Path(directory) / f"resnet{d}.onnx"
        torch.onnx.export(model, torch.randn(1, 3, 224, 224), str(path), opset_version=13,
                          input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    return torch.__version__


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ghostkit", default=str(REPO / ".build/release/ghostkit"), help="path to the ghostkit binary")
    ap.add_argument("--iters", type=int, default=5, help="timed runs per workload and side (best is kept)")
    ap.add_argument("--rounds", type=int, default=1, help="alternations GhostKit, ORT per (model, batch)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batches", default="8,1")
    ap.add_argument("--depths", default="18,50", help=argparse.SUPPRESS)  # internal: torchvision models to export
    ap.add_argument("--models", default="resnet18,resnet50,ghost-resnet18,ghost-resnet50")
    ap.add_argument("--venv", default=str(REPO / ".venv-bench"))
    ap.add_argument("--export-to", help=argparse.SUPPRESS)  # internal: export the models into this directory
    args = ap.parse_args()
    if args.export_to:
        depths = [int(d) for d in args.depths.split(",")]
        print(export_models(depths, args.export_to))
        return
    if not Path(args.ghostkit).exists():
        sys.exit(f"{args.ghostkit}: no such file (swift build -c release first)")
    models = args.models.split(",")
    for m in models:
        if m.removeprefix("ghost-") not in ("resnet18", "resnet50"):
            sys.exit(f"--models: unknown model {m!r} (valid: [ghost-]resnet18, [ghost-]resnet50)")
    depths = sorted({m.removeprefix("ghost-").removeprefix("resnet") for m in models if not m.startswith("ghost-")})
    threads = [int(t) for t in args.threads.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    py = ensure_venv(Path(args.venv))
    flags = Path("/proc/cpuinfo").read_text()
    avx512 = all(f" {f}" in flags for f in ("avx512f", "avx512bw", "avx512dq", "avx512vl"))
    best = {}
    with tempfile.TemporaryDirectory() as tmp:
        # A child process exports, so this one stays small: a child's peak RSS (wait4) starts at its parent's size.
        torch_version = "-"
        if depths:
            torch_version = subprocess.run(
                [sys.executable, __file__, "--export-to", tmp, "--depths", ",".join(depths)],
                check=True, capture_output=True, text=True).stdout.strip()
        paths = {m: Path(tmp) / f"{m}.onnx" for m in models}
        for m in models:
            if m.startswith("ghost-"):
                peak_rss_mib([args.ghostkit, "export", "--arch", m, str(paths[m])])
        core, ort_version = "unknown", "?"
        for m in models:
            for b in batches:
                for _ in range(args.rounds):
                    ghost = ["--ghost"] if m.startswith("ghost-") else []
                    out, gk_rss = peak_rss_mib([args.ghostkit, "bench", "--json", *ghost, "--only", f"{m}-forward",
                                                "--batch", str(b), "--iters", str(args.iters),
                                                "--threads", args.threads])
                    report = json.loads(out)
                    core = report.get("openblas_core", core)
                    gk = {r["threads"]: r["img_per_s"] for r in report["results"] if r["workload"].startswith(m)}
                    out, ort_rss = peak_rss_mib([str(py), "-c", ORT_WORKER, str(paths[m]), str(b), str(args.iters),
                                                 args.threads])
                    theirs = json.loads(out)
                    ort_version = theirs["version"]
                    for t in threads:
                        row = best.setdefault((m, b, t), [0.0, 0.0, 0.0, 0.0])
                        row[0] = max(row[0], gk[t]); row[1] = max(row[1], theirs[str(t)])
                        row[2] = max(row[2], gk_rss); row[3] = max(row[3], ort_rss)
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical CPUs, AVX-512: {'yes' if avx512 else 'no'}")
    print(f"OPENBLAS_CORETYPE: {os.environ.get('OPENBLAS_CORETYPE', '(not set)')}, "
          f"OpenBLAS kernels in use: {core}")
    print(f"ONNX Runtime {ort_version} (ORT_ENABLE_ALL), ResNets exported by PyTorch {torch_version} (opset 13), "
          "Ghost-ResNets by ghostkit export (opset 17); "
          f"best of {args.iters} × {args.rounds} round(s)")
    print("| workload | threads | GhostKit img/s | ONNX Runtime img/s | GhostKit / ORT "
          "| peak RSS GhostKit / ORT (MiB) |")
    print("|---|---|---|---|---|---|")
    for (m, b, t), (mine, theirs, gk_rss, ort_rss) in best.items():
        depth = m.removeprefix("ghost-").removeprefix("resnet")
        label = ("Ghost-" if m.startswith("ghost-") else "") + f"ResNet-{depth}"
        print(f"| {label} forward, 224², batch {b} | {t} | {mine:.2f} | {theirs:.2f} | {mine / theirs:.2f}× "
              f"| {gk_rss:.0f} / {ort_rss:.0f} |")


if __name__ == "__main__":
    main()
