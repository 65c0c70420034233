"""``excore run CONFIG -- CMD ...``: one run of a command in a run folder.

The config is checked first (exit 1 on errors, nothing run). ``runs/<config stem>/<time>/`` gets
the resolved ``config.toml``, ``stdout.log`` and ``stderr.log`` (the output is also shown),
``metrics.jsonl`` (``excore.report``) and the git state; ``CMD`` gets ``{config}`` and
``{run_dir}`` substituted and ``EXCORE_CONFIG``/``EXCORE_RUN_DIR`` set. The exit code is the
command's.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import IO

from excore.cli._common import add_workspace_option, require_config_file
from excore.errors import ExcoreError


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "run",
        help="run a command with a checked config in a run folder: excore run CONFIG -- CMD ...",
    )
    parser.add_argument("config", metavar="CONFIG")
    parser.set_defaults(cmd=[])
    parser.add_argument("--runs-dir", default="runs", metavar="DIR", help="default: runs")
    parser.add_argument(
        "--run-dir", default=None, metavar="DIR", help="this folder instead of runs/<stem>/<time>"
    )
    add_workspace_option(parser)


def _copy(source: IO[bytes], *sinks: IO[bytes]) -> None:
    for chunk in iter(lambda: source.read1(65536), b""):  # type: ignore[attr-defined]
        for sink in sinks:
            sink.write(chunk)
            sink.flush()


def new_run_dir(runs_dir: str, stem: str) -> Path:
    base = Path(runs_dir) / stem / time.strftime("%Y%m%d-%H%M%S")
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def run(args: argparse.Namespace) -> int:
    import subprocess

    from excore.cli.check_cmd import render_text
    from excore.config import live_source, resolve_workspace
    from excore.config.check import check_model
    from excore.config.lazy import LazyConfig
    from excore.config.loader import load_config_files
    from excore.config.model import build_model
    from excore.problems import Severity
    from excore.sweep.rundir import git_state, prepare_run_dir, substitute

    command = list(args.cmd)
    if not command:
        raise ExcoreError("give the command to run after --: excore run CONFIG -- CMD ...")
    file = require_config_file(args.config)
    workspace = resolve_workspace(file, args.workspace)
    source = live_source(workspace)
    loaded = load_config_files(file)
    loaded.sweep = None  # a sweep file runs as its base config
    loaded.problems = [p for p in loaded.problems if p.code != "bad-sweep"]
    problems = check_model(build_model(loaded, source), source)
    errors = [p for p in problems if p.severity == Severity.ERROR]
    if errors:
        sys.stderr.write(render_text(errors))
        print("the config has errors: nothing was run", file=sys.stderr)
        return 1
    run_dir = Path(args.run_dir) if args.run_dir else new_run_dir(args.runs_dir, file.stem)
    text = LazyConfig(loaded, source, workspace).dumps()
    config, stdout, stderr = prepare_run_dir(run_dir, text, git_state(file.parent))
    env = dict(os.environ)
    env["EXCORE_RUN_DIR"] = str(run_dir.resolve())
    env["EXCORE_CONFIG"] = str(config.resolve())
    if workspace is not None:
        env["EXCORE_WORKSPACE"] = str(workspace.root)
    argv = substitute(command, config.resolve(), run_dir.resolve())
    print(f"run folder: {run_dir}", file=sys.stderr, flush=True)
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        try:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        except OSError as exc:
            message = f"cannot start {argv[0]!r}: {exc}"
            err.write(f"excore: {message}\n".encode())
            raise ExcoreError(message) from None
        assert proc.stdout is not None and proc.stderr is not None
        copiers = [
            threading.Thread(target=_copy, args=(proc.stdout, out, sys.stdout.buffer)),
            threading.Thread(target=_copy, args=(proc.stderr, err, sys.stderr.buffer)),
        ]
        for thread in copiers:
            thread.start()
        try:
            code = proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            code = proc.wait()
        for thread in copiers:
            thread.join()
    print(f"exit code {code}; run folder: {run_dir}", file=sys.stderr)
    return code
