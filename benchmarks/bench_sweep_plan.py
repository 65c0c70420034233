"""Benchmark of ``excore sweep plan`` (a script, not a test).

A 10 × 10 × 10 grid (1,000 trials) over the example workspace's ``fcn_resnet.toml``: three axes
on module parameters and a top-level variable. Every trial's resolved config is built and checked
by the one checker. Measured in a fresh process each round (best of N):

- ``plan + check``: ``load_plan`` (read, resolve, expand, check all 1,000 trials), once the
  workspace's registries are known — the figure the target is about (< 1 s);
- ``command``: the wall time of the whole ``excore sweep plan`` command (Python start, workspace,
  printing the table).

The example workspace is copied to a temporary folder and indexed there (``excore schema dump``),
as a user's workspace would be; nothing is written into the repository.

Run: ``.venv/bin/python benchmarks/bench_sweep_plan.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _bytecode import compile_project

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 1.0
SWEEP = """__base__ = ["fcn_resnet.toml"]

[__sweep__]
name = "bench"
sampler = "grid"
objective = "val_loss"
[__sweep__.axes]
"Optimizer.SGD.lr" = [{lrs}]
"Optimizer.SGD.momentum" = [{momenta}]
"TrainData.SyntheticSegmentation.num_samples" = {{int = [8, 80], step = 8}}
"""
INNER = (
    "import sys, time, json\n"
    "from excore.config import live_source, resolve_workspace\n"
    "from excore.sweep.plan import load_plan\n"
    "path = sys.argv[1]\n"
    "source = live_source(resolve_workspace(path, None))\n"
    "t0 = time.perf_counter(); plan = load_plan(path, source)\n"
    "t1 = time.perf_counter()\n"
    "assert plan.ok and len(plan.trials) == 1000, (plan.problems, len(plan.trials))\n"
    "print(json.dumps(t1 - t0))\n"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    compile_project()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "examples"
        shutil.copytree(REPO / "examples", ws, ignore=shutil.ignore_patterns(".excore", "runs"))
        subprocess.run(
            [sys.executable, "-m", "excore.cli.main", "schema", "dump", "--workspace", str(ws)],
            check=True,
            env=env,
            capture_output=True,
        )
        sweep = ws / "configs" / "bench_sweep.toml"
        lrs = ", ".join(str(round(0.01 * (i + 1), 3)) for i in range(10))
        momenta = ", ".join(str(round(0.5 + 0.05 * i, 3)) for i in range(10))
        sweep.write_text(SWEEP.format(lrs=lrs, momenta=momenta), encoding="utf-8")
        inner, command = [], []
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, "-c", INNER, str(sweep)],
                check=False,
                env=env,
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                return 1
            inner.append(json.loads(out.stdout))
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "excore.cli.main", "sweep", "plan", str(sweep)],
                check=True,
                env=env,
                capture_output=True,
            )
            command.append(time.perf_counter() - t0)
    best = min(inner)
    print("1,000 grid trials (10 x 10 x 10) over examples/configs/fcn_resnet.toml")
    print(
        f"  plan + check every trial: {best * 1000:.0f} ms (best of {args.runs}; "
        f"all: {', '.join(f'{t * 1000:.0f}' for t in inner)} ms)"
    )
    print(f"  whole `excore sweep plan` command: {min(command) * 1000:.0f} ms (best, wall time)")
    ok = best < TARGET_S
    print(f"target: plan + check < {TARGET_S:.0f} s: {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
