"""Engine benchmark: ``import excore`` time, and load + validate + build of generated configs.

    .venv/bin/python benchmarks/bench_engine.py [--sizes 1000 3000] [--runs 3] [--no-upstream]

1. ``import excore`` in a fresh interpreter (best of several runs), and which heavy modules that
   import pulled in (torch, rich, typer, tomlkit must not be among them). Target: <= 60 ms.
2. A generated config of N modules: one shared ``"@backbone"`` and N heads with 5 scalar
   parameters each (``"!heads" = ["Head0", ...]`` with one ``[HeadK]`` section per head). Each
   measurement is one fresh process: registries are filled first (not timed), then the CPU time
   of load + validate + build is taken (the engine's modules are imported before, as upstream's
   ``import excore`` imports all of its own). Growth must be linear (N=3000 <= 3.2x N=1000).
3. The same configs built by upstream ``excore==0.1.1b0`` (installed on first use into a venv
   under ``~/.cache/excore-bench``, its loguru sinks removed so logging costs nothing), side by
   side, with the speed-up ratio. Target: >= 2x at N=1000.

4. The second shape, ``distinct``: N *distinct* classes (each its own constructor with 5
   parameters) as the N primary modules of one field, ``[Model.C0]`` ... ``[Model.C{N-1}]``, loaded
   + checked + built **repeatedly in one process** (as a sweep planner and the language server
   do): the figure is the mean of repetitions 2..R (the first one, which fills the caches of
   both engines, is printed apart). Targets: >= 2x upstream at N=1000, N=3000 <= 3.2x N=1000.

Each measurement is the best of ``--runs`` fresh processes (default 7), taken in rounds: each
round runs every (flavour, N) once, so a slower spell of the machine hits all of them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from _bytecode import compile_project

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "excore-bench"
UPSTREAM = "excore==0.1.1b0"
UPSTREAM_VENV = CACHE / "upstream-0.1.1b0"
PARTS: dict[tuple[str, int], dict[str, float]] = {}
HEAVY = ("torch", "rich", "typer", "tomlkit", "jsonschema", "docstring_parser", "pygls")

IMPORT_PROBE = """
import sys, time
t0 = time.perf_counter()
import excore
elapsed = time.perf_counter() - t0
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print(elapsed, ",".join(heavy))
"""

MODULE_TEMPLATE = '''
"""Generated benchmark registries ({n} heads)."""
from excore import Registry

MODEL = Registry("BModel")
HEAD = Registry("BHead")
BACKBONE = Registry("BBackbone")


@BACKBONE.register()
class Trunk:
    def __init__(self, depth: int = 18, width: float = 1.0) -> None:
        self.depth = depth
        self.width = width


class HeadBase:
    def __init__(
        self,
        in_channels: int = 8,
        num_classes: int = 2,
        dropout: float = 0.0,
        mode: str = "a",
        use_bias: bool = True,
    ) -> None:
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.dropout = dropout
        self.mode = mode
        self.use_bias = use_bias


@MODEL.register()
class Net:
    def __init__(self, backbone: object, heads: list) -> None:
        self.backbone = backbone
        self.heads = heads

'''

# Runs inside a fresh process (ours or upstream's venv); prints one JSON line.
RUNNER = """
import gc, json, sys, time
sys.path.insert(0, {folder!r})
flavour = {flavour!r}
if flavour == "upstream":
    import excore
    from loguru import logger
    logger.remove()  # after importing excore, which adds its sinks: logging costs nothing
    from excore.config.parse import set_primary_fields
    set_primary_fields({{"primary_fields": ["Model"], "primary_to_registry": {{"Model": "BModel"}}}})
    import {module}
    def run():
        cfg = excore.config.load({config!r})
        return excore.config.build_all(cfg)
else:
    from excore import config
    # import the engine's modules first, as upstream's `import excore` does for its own
    import excore.config.build, excore.config.check, excore.config.lazy, excore.describe
    import excore.engine.hook, excore.workspace
    config.set_primary_fields({{"Model": "BModel"}})
    import {module}
    def run():
        cfg = config.load({config!r})
        return config.build_all(cfg)
parts = {{}}
if flavour == "ours-parts":
    from excore.config.build import Builder
    from excore.config.check import check_model
    from excore.config.lazy import MemoSource
    from excore.config.loader import load_config_files
    from excore.config.model import build_model
    clock = time.process_time
    t0 = clock()
    loaded = load_config_files({config!r}); t1 = clock()
    source = MemoSource(config.live_source(None))
    model = build_model(loaded, source); t2 = clock()
    problems = check_model(model, source); t3 = clock()
    modules = Builder(model, source).build_primary(); t4 = clock()
    parts = {{"load": t1 - t0, "model": t2 - t1, "check": t3 - t2, "build": t4 - t3}}
    elapsed = t4 - t0
else:
    t0 = time.process_time()
    modules, info = run()
    elapsed = time.process_time() - t0
net = modules["Model"]
heads = net.heads
assert len(heads) == {n}, len(heads)
assert all(h is not None for h in heads)
backbone = net.backbone
print(json.dumps({{"seconds": elapsed, "parts": parts, "heads": len(heads)}}))
"""


DISTINCT_RUNNER = """
import gc, json, sys, time
sys.path.insert(0, {folder!r})
flavour = {flavour!r}
if flavour == "upstream":
    import excore
    from loguru import logger
    logger.remove()
    from excore.config.parse import set_primary_fields
    set_primary_fields({{"primary_fields": ["Model"], "primary_to_registry": {{"Model": "DModel"}}}})
    import {module}
    def run():
        cfg = excore.config.load({config!r})
        return excore.config.build_all(cfg)
else:
    from excore import config
    import excore.config.build, excore.config.check, excore.config.lazy, excore.describe
    import excore.engine.hook, excore.workspace
    config.set_primary_fields({{"Model": "DModel"}})
    import {module}
    def run():
        cfg = config.load({config!r})
        return config.build_all(cfg)
times = []
for _ in range({repeat}):
    t0 = time.process_time()
    modules, info = run()
    times.append(time.process_time() - t0)
    built = modules["Model"]
    assert len(built) == {n}, len(built)
steady = times[1:] or times
print(json.dumps({{"seconds": sum(steady) / len(steady), "parts": {{"first": times[0]}}}}))
"""


def generate_distinct(folder: Path, n: int) -> tuple[str, Path]:
    """N distinct classes (own constructors, 5 parameters each) and the config naming each as a
    primary module of the field Model."""
    module = f"bench_distinct_{n}"
    lines = [
        '"""Generated benchmark registries (distinct classes)."""\n',
        "from excore import Registry\n",
    ]
    lines.append('DMODEL = Registry("DModel")\n\n')
    for i in range(n):
        lines.append(
            f"@DMODEL.register()\nclass C{i}:\n"
            f"    def __init__(self, width{i}: int = 1, rate: float = 0.5, label: str = 'c',"
            f" flag: bool = False, size: int = {i}) -> None:\n"
            f"        self.width{i} = width{i}\n        self.rate = rate\n        self.label = label\n"
            f"        self.flag = flag\n        self.size = size\n\n"
        )
    (folder / f"{module}.py").write_text("".join(lines))
    config: list[str] = []
    for i in range(n):
        config += [
            f"[Model.C{i}]",
            f"width{i} = {i % 7}",
            f"rate = 0.{i % 10}",
            f'label = "c{i}"',
            f"flag = {'true' if i % 2 else 'false'}",
            f"size = {i}",
            "",
        ]
    path = folder / f"bench_distinct_{n}.toml"
    path.write_text("\n".join(config))
    return module, path


def generate(folder: Path, n: int) -> tuple[str, Path]:
    """Write the registries module and the config of ``n`` heads; return (module, config)."""
    module = f"bench_heads_{n}"
    lines = [MODULE_TEMPLATE.format(n=n)]
    for i in range(n):
        lines.append(f"@HEAD.register()\nclass Head{i}(HeadBase):\n    pass\n\n")
    (folder / f"{module}.py").write_text("".join(lines))
    config = [
        "[Model.Net]",
        '"@backbone" = "Trunk"',
        '"!heads" = [' + ", ".join(f'"Head{i}"' for i in range(n)) + "]",
        "",
        "[Trunk]",
        "depth = 50",
        "width = 1.5",
        "",
    ]
    for i in range(n):
        config += [
            f"[Head{i}]",
            f"in_channels = {8 + i % 4}",
            f"num_classes = {2 + i % 3}",
            f"dropout = 0.{i % 10}",
            f'mode = "{"ab"[i % 2]}"',
            f"use_bias = {'true' if i % 2 else 'false'}",
            "",
        ]
    path = folder / f"bench_{n}.toml"
    path.write_text("\n".join(config))
    return module, path


def ensure_upstream() -> Path | None:
    """The python of a venv with upstream excore installed (created once, then cached)."""
    python = UPSTREAM_VENV / "bin" / "python"
    if python.exists():
        probe = subprocess.run(
            [str(python), "-c", "import excore, loguru"], capture_output=True, text=True
        )
        if probe.returncode == 0:
            return python
    print(f"installing {UPSTREAM} into {UPSTREAM_VENV} ...", file=sys.stderr)
    CACHE.mkdir(parents=True, exist_ok=True)
    steps = [
        [sys.executable, "-m", "venv", str(UPSTREAM_VENV)],
        [str(python), "-m", "pip", "install", "-q", UPSTREAM],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True)
        if result.returncode != 0:
            print(f"could not set up upstream: {result.stderr.strip()[-500:]}", file=sys.stderr)
            return None
    return python


def measure_import(runs: int) -> tuple[float, list[str]]:
    best = float("inf")
    heavy: list[str] = []
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_PROBE.format(heavy=HEAVY)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout.split()
        best = min(best, float(out[0]))
        heavy = out[1].split(",") if len(out) > 1 and out[1] else []
    return best, heavy


@dataclass
class Measurement:
    """One (flavour, size): its fresh-process command and the best time seen so far."""

    python: str
    flavour: str
    n: int
    code: str
    env: dict[str, str]
    best: float = float("inf")
    parts: dict[str, float] = field(default_factory=dict)

    def run_once(self, folder: Path) -> None:
        result = subprocess.run(
            [self.python, "-c", self.code], capture_output=True, text=True, env=self.env, cwd=folder
        )
        if result.returncode != 0:
            raise RuntimeError(f"{self.flavour} run failed:\n{result.stderr.strip()[-2000:]}")
        record = json.loads(result.stdout.strip().splitlines()[-1])
        self.best = min(self.best, record["seconds"])
        for part, seconds in record["parts"].items():
            self.parts[part] = min(self.parts.get(part, seconds), seconds)


def measurement(
    python: str,
    flavour: str,
    folder: Path,
    module: str,
    config: Path,
    n: int,
    repeat: int = 0,
) -> Measurement:
    if repeat:
        code = textwrap.dedent(
            DISTINCT_RUNNER.format(
                folder=str(folder),
                flavour=flavour,
                module=module,
                config=str(config),
                n=n,
                repeat=repeat,
            )
        )
    else:
        code = textwrap.dedent(
            RUNNER.format(
                folder=str(folder), flavour=flavour, module=module, config=str(config), n=n
            )
        )
    env = dict(os.environ)
    env.pop("EXCORE_WORKSPACE", None)
    if flavour.startswith("ours"):
        env["PYTHONPATH"] = str(REPO)
    else:
        env.pop("PYTHONPATH", None)
    return Measurement(python, flavour, n, code, env)


def measure_all(measurements: list[Measurement], folder: Path, runs: int) -> None:
    """``runs`` rounds, each running every measurement once: a slower spell of the machine
    hits all of them alike instead of one size or one flavour."""
    for _ in range(runs):
        for item in measurements:
            item.run_once(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per measurement")
    parser.add_argument("--no-upstream", action="store_true", help="skip the upstream comparison")
    parser.add_argument(
        "--shape",
        choices=("heads", "distinct", "both"),
        default="both",
        help="heads: one shared backbone and N heads; distinct: N distinct primary classes "
        "built repeatedly in one process",
    )
    parser.add_argument(
        "--repeat", type=int, default=8, help="load + check + build repetitions (distinct shape)"
    )
    args = parser.parse_args(argv)
    compile_project()

    seconds, heavy = measure_import(max(args.runs, 5))
    ok = seconds <= 0.060 and not any(m in heavy for m in ("torch", "rich", "typer", "tomlkit"))
    print(
        f"import excore: {seconds * 1000:.1f} ms (target <= 60 ms)   heavy modules imported: "
        f"{', '.join(heavy) or 'none'}   {'OK' if ok else 'FAIL'}"
    )

    upstream = None if args.no_upstream else ensure_upstream()
    failures = [] if ok else ["import time"]
    if args.shape in ("heads", "both"):
        failures += heads_shape(args, upstream)
    if args.shape in ("distinct", "both"):
        failures += distinct_shape(args, upstream)
    if failures:
        print(f"failed: {', '.join(failures)}")
    return 1 if failures else 0


def distinct_shape(args: argparse.Namespace, upstream: Path | None) -> list[str]:
    results: dict[int, tuple[Measurement, Measurement | None]] = {}
    with tempfile.TemporaryDirectory(prefix="excore-bench-") as tmp:
        folder = Path(tmp)
        for n in args.sizes:
            module, config = generate_distinct(folder, n)
            ours = measurement(sys.executable, "ours", folder, module, config, n, args.repeat)
            theirs = None
            if upstream is not None:
                theirs = measurement(
                    str(upstream), "upstream", folder, module, config, n, args.repeat
                )
            results[n] = (ours, theirs)
        measure_all(
            [m for pair in results.values() for m in pair if m is not None], folder, args.runs
        )
    print()
    print(f"distinct shape: N distinct primary classes, {args.repeat} loads in one process")
    print(f"{'N':>6}  {'excore (this)':>14}  {'upstream 0.1.1b0':>17}  {'speed-up':>8}  first load")
    for n, (ours, theirs) in results.items():
        shown = f"{theirs.best * 1000:14.1f} ms" if theirs is not None else f"{'-':>17}"
        ratio = f"{theirs.best / ours.best:7.2f}x" if theirs is not None else f"{'-':>8}"
        first = f"{ours.parts['first'] * 1000:.1f} ms"
        if theirs is not None:
            first += f" vs {theirs.parts['first'] * 1000:.1f} ms"
        print(f"{n:>6}  {ours.best * 1000:11.1f} ms  {shown}  {ratio}  {first}")
    print(
        "(CPU time of one load + check + build, mean of repetitions 2.."
        f"{args.repeat} in one process, best of {args.runs} processes)"
    )
    failures: list[str] = []
    sizes = sorted(results)
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        growth = results[large][0].best / results[small][0].best
        allowed = 3.2 * (large / small) / 3
        verdict = "OK" if growth <= allowed else "FAIL"
        print(f"growth N={large} / N={small}: {growth:.2f}x (target <= {allowed:.1f}x) {verdict}")
        if verdict != "OK":
            failures.append("distinct: linear growth")
        theirs_small, theirs_large = results[small][1], results[large][1]
        if theirs_small is not None and theirs_large is not None:
            print(f"  (upstream's own growth: {theirs_large.best / theirs_small.best:.2f}x)")
    ours_first, theirs_first = results[sizes[0]]
    if theirs_first is not None:
        ratio = theirs_first.best / ours_first.best
        verdict = "OK" if ratio >= 2 else "FAIL"
        print(f"speed-up over upstream at N={sizes[0]}: {ratio:.2f}x (target >= 2x) {verdict}")
        if verdict != "OK":
            failures.append("distinct: speed-up")
    return failures


def heads_shape(args: argparse.Namespace, upstream: Path | None) -> list[str]:
    results: dict[int, tuple[float, float | None]] = {}
    with tempfile.TemporaryDirectory(prefix="excore-bench-") as tmp:
        folder = Path(tmp)
        plan: list[tuple[int, Measurement, Measurement, Measurement | None]] = []
        for n in args.sizes:
            module, config = generate(folder, n)
            ours = measurement(sys.executable, "ours", folder, module, config, n)
            parts = measurement(sys.executable, "ours-parts", folder, module, config, n)
            theirs = None
            if upstream is not None:
                theirs = measurement(str(upstream), "upstream", folder, module, config, n)
            plan.append((n, ours, parts, theirs))
        measure_all([m for _, *group in plan for m in group if m is not None], folder, args.runs)
        for n, ours, parts, theirs in plan:
            PARTS[("ours-parts", n)] = parts.parts
            results[n] = (ours.best, theirs.best if theirs is not None else None)

    print()
    print(f"{'N':>6}  {'excore (this)':>14}  {'upstream 0.1.1b0':>17}  {'speed-up':>8}")
    for n, (ours, theirs) in results.items():
        shown = f"{theirs * 1000:14.1f} ms" if theirs is not None else f"{'-':>17}"
        ratio = f"{theirs / ours:7.2f}x" if theirs is not None else f"{'-':>8}"
        print(f"{n:>6}  {ours * 1000:11.1f} ms  {shown}  {ratio}")
    print(
        "(CPU time of load + validate + build in a fresh process, best of "
        f"{args.runs}; upstream has no validation step)"
    )
    for n in results:
        parts = PARTS.get(("ours-parts", n), {})
        shown = "  ".join(f"{k} {v * 1000:.1f} ms" for k, v in parts.items())
        print(f"  this, N={n}: {shown}")

    failures: list[str] = []
    sizes = sorted(results)
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        growth = results[large][0] / results[small][0]
        allowed = 3.2 * (large / small) / 3
        verdict = "OK" if growth <= allowed else "FAIL"
        print(
            f"growth N={large} / N={small}: {growth:.2f}x (linear target <= {allowed:.1f}x) "
            f"{verdict}"
        )
        if verdict != "OK":
            failures.append("linear growth")
        if results[small][1] and results[large][1]:
            upstream_growth = results[large][1] / results[small][1]
            print(f"  (upstream's own growth: {upstream_growth:.2f}x)")
    first = results[sizes[0]]
    if first[1] is not None:
        ratio = first[1] / first[0]
        verdict = "OK" if ratio >= 2 else "FAIL"
        print(f"speed-up over upstream at N={sizes[0]}: {ratio:.2f}x (target >= 2x) {verdict}")
        if verdict != "OK":
            failures.append("speed-up")
    return failures


if __name__ == "__main__":
    sys.exit(main())
