"""``excore print`` / ``excore build`` of huge configs: plain output past a size.

    .venv/bin/python benchmarks/bench_print.py [--keys 200000] [--runs 3]

A generated config of ``--keys`` plain values (half top-level keys, half parameters in sections
of 100) is printed and built by ``excore`` in a fresh process, output to a pipe. Past
``PLAIN_OUTPUT_VALUES`` values both print one plain line per value; the anchor is the rich table
they printed before, measured on a slice of the same config (``--table-keys``, default 5,000)
and scaled to the full size (its cost grows linearly, ~0.5 ms a row). Target: the full config
printed in under 10 s, and at least 10x faster than the table.

``print --toml`` (what ``LazyConfig.dump`` writes) is compared with tomlkit, which wrote it
before, on the same slice: tomlkit's cost grows faster than linearly (29 s for 20,000 values),
so its figure is not scaled; the full config goes through ``print --toml`` alone.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _bytecode import compile_project

REPO = Path(__file__).resolve().parents[1]

TABLE_PROBE = """
import sys, time
from io import StringIO
from rich.console import Console
from excore import config
cfg = config.load(sys.argv[1])
t0 = time.perf_counter()
Console(file=StringIO(), width=160, soft_wrap=False).print(cfg.table())
print(time.perf_counter() - t0)
"""


TOMLKIT_PROBE = """
import sys, time
import tomlkit
from excore import config
from excore.config.build import section_to_python
from excore.config.loader import Leaf
cfg = config.load(sys.argv[1])
t0 = time.perf_counter()
def fill(container, section):
    for key, node in section.items.items():
        if isinstance(node, Leaf):
            container.add(key, node.value.to_python())
    for key, node in section.items.items():
        if not isinstance(node, Leaf):
            table = tomlkit.table()
            fill(table, node)
            container.add(key, table)
doc = tomlkit.document()
fill(doc, cfg._loaded.root)
tomlkit.dumps(doc)
print(time.perf_counter() - t0)
"""


def write_config(folder: Path, keys: int) -> Path:
    (folder / "excore.toml").write_text('name = "bench"\n', encoding="utf-8")
    top = keys // 2
    lines = [f"key_{i} = {i}" for i in range(top)]
    left = keys - top
    section = 0
    while left > 0:
        lines.append(f"[group_{section}]")
        lines.extend(f"p_{j} = {j}.5" for j in range(min(100, left)))
        left -= 100
        section += 1
    path = folder / f"huge_{keys}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def timed(argv: list[str], cwd: Path) -> tuple[float, int]:
    """Wall time of a fresh ``excore`` process and how many lines it printed."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("EXCORE_WORKSPACE", None)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stderr}")
    return elapsed, done.stdout.count("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=200_000)
    parser.add_argument("--table-keys", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    compile_project()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        huge = write_config(folder, args.keys)
        small = write_config(folder, args.table_keys)
        excore = [sys.executable, "-m", "excore.cli.main"]
        results = {}
        for name, argv in (
            ("print", [*excore, "print", str(huge)]),
            ("build", [*excore, "build", str(huge)]),
            ("toml", [*excore, "print", "--toml", str(huge)]),
            ("toml-slice", [*excore, "print", "--toml", str(small)]),
        ):
            runs = [timed(argv, folder) for _ in range(args.runs)]
            results[name] = (min(r[0] for r in runs), runs[0][1])
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        table_times = []
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, "-c", TABLE_PROBE, str(small)],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            table_times.append(float(out.stdout.strip()))
        tomlkit_times = []
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, "-c", TOMLKIT_PROBE, str(small)],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            tomlkit_times.append(float(out.stdout.strip()))
    per_row = min(table_times) / args.table_keys
    table_full = per_row * args.keys
    print(f"config: {args.keys:,} values (best of {args.runs} fresh processes, wall time)")
    toml_seconds, toml_lines = results.pop("toml")
    slice_seconds = results.pop("toml-slice")[0]
    for name, (seconds, lines) in results.items():
        ok = seconds <= 10 and table_full / seconds >= 10
        print(
            f"  excore {name:<5} {seconds:7.2f} s  {lines:>9,} lines   vs table "
            f"~{table_full:6.1f} s ({per_row * 1000:.2f} ms/row on {args.table_keys:,} rows): "
            f"{table_full / seconds:5.1f}x  {'OK' if ok else 'SLOW'}"
        )
    tomlkit_slice = min(tomlkit_times)
    print(
        f"  excore print --toml {toml_seconds:7.2f} s  {toml_lines:>9,} lines   "
        f"{'OK' if toml_seconds <= 10 else 'SLOW'}\n"
        f"  on {args.table_keys:,} values: whole command {slice_seconds:.2f} s, against tomlkit's "
        f"document alone {tomlkit_slice:.2f} s ({tomlkit_slice / slice_seconds:.1f}x)"
    )


if __name__ == "__main__":
    main()
