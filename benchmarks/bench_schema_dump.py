"""Benchmark of ``excore schema dump`` (a script, not a test).

1. The example workspace: wall time of ``excore schema dump`` against the time to import its
   registries, each in a fresh process (best of N). Target: dump <= import + 0.5 s.
2. Workspaces registering all of ``torch.nn``, ``torch.optim`` and ``torch.optim.lr_scheduler``:
   (a) every public class and function registered by name (``REG.match``), (b) the three
   registered as Python modules (``REG.register_module``). Index size and dump time.

Run: ``.venv/bin/python benchmarks/bench_schema_dump.py [--runs N]``. Nothing is written into the
repository: the dumps go to a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _bytecode import compile_project

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
CLI = "import sys; from excore.cli.main import main; sys.exit(main())"
PHASES = (
    "import sys, time, json; from excore.workspace import load_workspace\n"
    "from excore.schema.dump import build_index, render\n"
    "w = load_workspace(sys.argv[1]); t0 = time.perf_counter(); w.import_registries()\n"
    "t1 = time.perf_counter(); index = build_index(w); t2 = time.perf_counter()\n"
    "render(index); t3 = time.perf_counter()\n"
    "print(json.dumps([t1 - t0, t2 - t1, t3 - t2]))\n"
)
IMPORT = (
    "import sys; from excore.workspace import load_workspace; "
    "load_workspace(sys.argv[1]).import_registries()"
)

TORCH_MATCH = """
from torch import nn, optim
from torch.optim import lr_scheduler
from excore import Registry

NN = Registry("NN")
OPTIM = Registry("Optim")
SCHED = Registry("Sched")

def public(name, module):
    return not name.startswith("_") and getattr(getattr(module, name), "__module__", "").startswith("torch")

NN.match(nn, public)
OPTIM.match(optim, public)
SCHED.match(lr_scheduler, public)
"""

TORCH_MODULES = """
from torch import nn, optim
from torch.optim import lr_scheduler
from excore import Registry

MODULES = Registry("TorchModules")
MODULES.register_module(nn)
MODULES.register_module(optim)
MODULES.register_module(lr_scheduler)
"""


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+system) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def best(command: list[str], cwd: Path, runs: int) -> tuple[float, float]:
    """(best wall, best CPU) over ``runs`` fresh processes."""
    times = [timed(command, cwd) for _ in range(runs)]
    return min(wall for wall, _ in times), min(cpu for _, cpu in times)


def make_torch_workspace(folder: Path, source: str) -> Path:
    (folder / "src" / "torchws").mkdir(parents=True)
    (folder / "src" / "torchws" / "__init__.py").write_text("")
    (folder / "src" / "torchws" / "registry.py").write_text(source)
    (folder / "excore.toml").write_text(
        'name = "torchws"\nsrc_paths = ["src"]\nimport = ["torchws.registry"]\n'
    )
    return folder


def measure(root: Path, out: Path, runs: int) -> dict[str, float]:
    importing = [sys.executable, "-c", IMPORT, str(root / "excore.toml")]
    dumping = [sys.executable, "-c", CLI, "schema", "dump", "--workspace", str(root)]
    dumping += ["--out", str(out)]
    import_wall, import_cpu = best(importing, root, runs)
    dump_wall, dump_cpu = best(dumping, root, runs)
    phases = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", PHASES, str(root / "excore.toml")],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(runs)
    ]
    data = json.loads((out / "index.json").read_text(encoding="utf-8"))
    return {
        "import": import_wall,
        "dump": dump_wall,
        "import_cpu": import_cpu,
        "dump_cpu": dump_cpu,
        "index_kib": (out / "index.json").stat().st_size / 1024,
        "schema_kib": (out / "config.schema.json").stat().st_size / 1024,
        "phase_import": min(p[0] for p in phases),
        "phase_describe": min(p[1] for p in phases),
        "phase_render": min(p[2] for p in phases),
        "names": sum(len(r["modules"]) for r in data["registries"].values()),
        "below": len(data["python_modules"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per measurement")
    args = parser.parse_args()
    compile_project()
    rows: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        example = base / "examples"
        shutil.copytree(EXAMPLES, example, ignore=shutil.ignore_patterns(".excore", "__pycache__"))
        rows.append(("example workspace", measure(example, base / "out-example", args.runs)))
        for label, source in (
            ("torch.nn+optim+lr_scheduler, match", TORCH_MATCH),
            ("torch.nn+optim+lr_scheduler, modules", TORCH_MODULES),
        ):
            folder = make_torch_workspace(base / label.split(", ")[1], source)
            rows.append((label, measure(folder, base / f"out-{folder.name}", args.runs)))

    header = (
        f"{'workspace':<38} {'import s':>9} {'dump s':>8} {'dump-import':>12} {'ratio':>6} "
        f"{'names':>6} {'below':>6} {'index KiB':>10} {'schema KiB':>11}"
    )
    print(f"excore schema dump: best of {args.runs} fresh processes; wall time, then CPU time")
    print(header)
    print("-" * len(header))
    for label, row in rows:
        sizes = (
            f"{int(row['names']):>6} {int(row['below']):>6} {row['index_kib']:>10.0f} "
            f"{row['schema_kib']:>11.0f}"
        )
        for first, key, tail in ((label, "", sizes), ("  CPU time (user+system)", "_cpu", "")):
            imp, dump = row["import" + key], row["dump" + key]
            print(
                f"{first:<38} {imp:>9.2f} {dump:>8.2f} {dump - imp:>+12.2f} {dump / imp:>6.2f} "
                + tail
            )
    print("\nin one process (best of the same runs): import registries | describe | render")
    for label, row in rows:
        print(
            f"{label:<38} {row['phase_import']:>9.2f} | {row['phase_describe']:>8.2f} | "
            f"{row['phase_render']:>6.2f}"
        )
    print(
        "(the command also skips the interpreter's final garbage collection, which the plain "
        "import pays at exit)\n"
    )
    example = rows[0][1]
    for kind, key in (("wall", ""), ("CPU", "_cpu")):
        difference = example["dump" + key] - example["import" + key]
        verdict = "meets" if difference <= 0.5 else "MISSES"
        print(
            f"example workspace ({kind}): dump - import = {difference:+.2f} s ({verdict} the "
            "target dump <= import + 0.5 s)"
        )


if __name__ == "__main__":
    main()
