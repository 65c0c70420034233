"""``excore sweep plan|run|show``: sweeps checked before launch, run on Optuna, shown as tables.

- ``plan SWEEP.toml``: expand the grid (or show the sampler's space) and check every trial's
  resolved config with the one checker; exit 1 naming the trial and the axis value at fault.
- ``run SWEEP.toml [--jobs N] [--gpus-per-trial K] [--storage URL] -- CMD ...``: run the trials
  through an Optuna study (see :mod:`excore.sweep.run`).
- ``show NAME [--format text|csv|json] [--plot FILE.html]``: the results, best first.

Optuna and submitit are imported by ``run`` and ``show`` only (``pip install excore[sweep]``).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from excore.cli._common import add_workspace_option, require_config_file

if TYPE_CHECKING:
    from excore.sweep.plan import Plan


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "sweep", help="plan, run and show sweeps (a config with a [__sweep__] table)"
    )
    sub = parser.add_subparsers(dest="sweep_command", metavar="SUBCOMMAND", required=True)

    plan = sub.add_parser("plan", help="expand the trials and check each one's config")
    plan.add_argument("sweep", metavar="SWEEP.toml")
    plan.add_argument(
        "--limit", type=int, default=None, metavar="N", help="show at most N rows of the table"
    )
    add_workspace_option(plan)

    run = sub.add_parser(
        "run",
        help="run the trials through an Optuna study: excore sweep run SWEEP.toml -- CMD ...",
        description="Run every trial of a sweep: CMD gets {config} and {run_dir} substituted "
        "and EXCORE_CONFIG, EXCORE_RUN_DIR (and CUDA_VISIBLE_DEVICES with --gpus-per-trial) set.",
    )
    run.add_argument("sweep", metavar="SWEEP.toml")
    run.set_defaults(cmd=[])
    run.add_argument("--jobs", type=int, default=1, metavar="N", help="trials run at once")
    run.add_argument(
        "--gpus-per-trial",
        type=int,
        default=0,
        metavar="K",
        help="give each trial K of the idle GPUs (CUDA_VISIBLE_DEVICES); default 0: leave it",
    )
    run.add_argument(
        "--storage",
        default=None,
        metavar="URL",
        help="Optuna storage (default sqlite:///runs/<name>/study.db); any RDB URL shared by "
        "several machines runs one study",
    )
    run.add_argument("--runs-dir", default="runs", metavar="DIR", help="default: runs")
    run.add_argument(
        "--launcher",
        choices=("local", "slurm"),
        default="local",
        help="local processes (default) or Slurm jobs through submitit",
    )
    run.add_argument(
        "--submitit-cluster",
        choices=("slurm", "local"),
        default="slurm",
        help="with --launcher slurm: submitit's executor (local runs the same path on this "
        "machine, for trying it out)",
    )
    run.add_argument(
        "--slurm",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a submitit parameter, e.g. --slurm slurm_partition=gpu --slurm timeout_min=120",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar or per-trial lines")
    add_workspace_option(run)

    show = sub.add_parser("show", help="the results of a sweep, best first")
    show.add_argument("name", metavar="NAME", help="the sweep's name (or its SWEEP.toml)")
    show.add_argument("--format", choices=("text", "csv", "json"), default="text")
    show.add_argument("--storage", default=None, metavar="URL")
    show.add_argument("--runs-dir", default="runs", metavar="DIR")
    show.add_argument(
        "--plot",
        default=None,
        metavar="FILE.html",
        help="write Optuna's plots (history, parallel coordinates, importances) to FILE.html",
    )


def run(args: argparse.Namespace) -> int:
    if args.sweep_command == "plan":
        return run_plan(args)
    if args.sweep_command == "run":
        from excore.sweep.run import run_command

        return run_command(args)
    from excore.sweep.results import show_command

    return show_command(args)


def prepare(path: str, workspace: str | None, expand: bool) -> Plan:
    """Load, check and (``expand``) expand the sweep at ``path`` against the live registries."""
    from excore.config import live_source, resolve_workspace
    from excore.errors import CoreConfigSupportError
    from excore.sweep.plan import load_plan

    file = require_config_file(path)
    ws = resolve_workspace(file, workspace)
    plan = load_plan(file, live_source(ws), expand=expand)
    if plan.spec is None:
        raise CoreConfigSupportError(
            "this config has no [__sweep__] table (see `excore sweep --help`)", file=path
        )
    return plan


def report_problems(plan: Plan) -> bool:
    """Print the sweep file's problems and each failed trial's; True when there were errors."""
    from excore.cli.check_cmd import render_text
    from excore.sweep.plan import describe_points

    if plan.problems:
        sys.stderr.write(render_text(plan.problems))
    for trial in plan.failed:
        for line in render_text(trial.problems).splitlines():
            where = describe_points(plan, trial.points, trial.problems)
            print(f"trial {trial.number} ({where}): {line}", file=sys.stderr)
    return bool(plan.errors or plan.failed)


def run_plan(args: argparse.Namespace) -> int:
    from excore.sweep.plan import plan_summary, trials_table

    plan = prepare(args.sweep, args.workspace, expand=True)
    bad = report_problems(plan)
    if plan.errors:
        print(f"{len(plan.errors)} error(s) in the sweep file; no trial checked", file=sys.stderr)
        return 1
    print(plan_summary(plan))
    if plan.trials:
        sys.stdout.write(trials_table(plan, limit=args.limit))
    if plan.spec is not None and plan.spec.sampler == "grid":
        if bad:
            print(
                f"{len(plan.failed)} of {len(plan.trials)} trial(s) have problems", file=sys.stderr
            )
        else:
            print(f"all {len(plan.trials)} trial config(s) checked: no problems")
    return 1 if bad else 0
