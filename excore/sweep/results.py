"""``excore sweep show NAME``: a sweep's trials read back from its Optuna study, best first.

The study is a plain Optuna study, so ``optuna-dashboard sqlite:///runs/NAME/study.db`` opens
it too. ``--plot FILE.html`` writes Optuna's own plots (plotly).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from excore.errors import ExcoreError


def open_study(name_or_file: str, storage: str | None, runs_dir: str) -> tuple[Any, str]:
    from excore.sweep.run import default_storage, import_optuna

    optuna = import_optuna()
    name = name_or_file
    if name_or_file.endswith(".toml") and os.path.isfile(name_or_file):
        from excore.config.loader import load_config_files
        from excore.sweep.spec import read_sweep

        loaded = load_config_files(name_or_file)
        if loaded.sweep is None:
            raise ExcoreError("this config has no [__sweep__] table", file=name_or_file)
        name = read_sweep(loaded.sweep, loaded.sweep.file).name
    if storage is None:
        db = Path(runs_dir) / name / "study.db"
        if not db.is_file():
            raise ExcoreError(
                f"no sweep '{name}' here: {db} does not exist (run `excore sweep run` first, or "
                "give --runs-dir or --storage)"
            )
        storage = default_storage(Path(runs_dir) / name)
    try:
        return optuna.load_study(study_name=name, storage=storage), name
    except KeyError:
        names = [s.study_name for s in optuna.get_all_study_summaries(storage)]
        raise ExcoreError(
            f"the storage {storage} has no study '{name}'"
            + (f"; it has: {', '.join(names)}" if names else "")
        ) from None


def trial_records(study: Any) -> list[dict[str, Any]]:
    """Every trial, best first (then running, pruned and failed ones by number)."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    maximize = study.direction.name.lower() == "maximize"
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
    complete.sort(key=lambda t: (-t.value if maximize else t.value, t.number))
    rest = sorted((t for t in trials if t not in complete), key=lambda t: t.number)
    records = []
    for trial in [*complete, *rest]:
        attrs = trial.user_attrs
        record: dict[str, Any] = {
            "number": trial.number,
            "state": trial.state.name.lower(),
            "value": trial.value,
            "params": dict(trial.params),
            "run_dir": attrs.get("run_dir"),
        }
        if "grid" in attrs:  # the trial's grid index, as `sweep plan` prints it
            record["grid"] = attrs["grid"]
        if "metrics" in attrs:
            record["metrics"] = attrs["metrics"]
        if "failure" in attrs:
            record["failure"] = attrs["failure"]
            record["stderr_tail"] = attrs.get("stderr_tail", "")
        if "excluded" in attrs:
            record["excluded"] = attrs["excluded"]
        records.append(record)
    return records


def differing(records: list[dict[str, Any]]) -> list[str]:
    """Parameter names whose value differs between trials (all of them when none does)."""
    names: list[str] = []
    for record in records:
        for name in record["params"]:
            if name not in names:
                names.append(name)
    varied = [n for n in names if len({repr(r["params"].get(n)) for r in records}) > 1]
    return varied or names


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    return str(value)


def _shown_dir(path: str | None) -> str:
    if not path:
        return ""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def render_text(records: list[dict[str, Any]], objective: str) -> str:
    params = differing(records)
    grid = any("grid" in r for r in records)
    header = ["trial", *(["grid"] if grid else []), "state", objective or "value", *params]
    header.append("run folder")
    rows = [
        [
            str(r["number"]),
            *([_cell(r.get("grid"))] if grid else []),
            r["state"],
            _cell(r["value"]),
            *(_cell(r["params"].get(p)) for p in params),
            _shown_dir(r["run_dir"]),
        ]
        for r in records
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    return "".join(line + "\n" for line in lines)


def render_csv(records: list[dict[str, Any]], objective: str) -> str:
    params = differing(records)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    grid = any("grid" in r for r in records)
    writer.writerow(
        ["number", *(["grid"] if grid else []), "state", objective or "value", *params, "run_dir"]
    )
    for r in records:
        writer.writerow(
            [
                r["number"],
                *([_cell(r.get("grid"))] if grid else []),
                r["state"],
                _cell(r["value"]),
                *(r["params"].get(p, "") for p in params),
                r["run_dir"] or "",
            ]
        )
    return buffer.getvalue()


def write_plots(study: Any, path: str) -> list[str]:
    """Optuna's optimisation history, parallel coordinates and parameter importances, in one
    HTML file (plotly.js embedded once, so it opens offline); returns the plots written."""
    import optuna

    if not optuna.visualization.is_available():
        raise ExcoreError(
            "--plot needs plotly, which is not installed: pip install 'excore[sweep]'"
        )
    from optuna.importance import PedAnovaImportanceEvaluator

    figures: list[tuple[str, Any]] = []
    makers = [
        ("optimization history", lambda: optuna.visualization.plot_optimization_history(study)),
        ("parallel coordinates", lambda: optuna.visualization.plot_parallel_coordinate(study)),
        (
            "parameter importances",
            lambda: optuna.visualization.plot_param_importances(
                study, evaluator=PedAnovaImportanceEvaluator()
            ),
        ),
    ]
    for title, make in makers:
        try:
            figures.append((title, make()))
        except (ValueError, RuntimeError) as exc:  # e.g. too few complete trials
            print(f"--plot: no {title} plot: {exc}", file=sys.stderr)
    parts = [
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>sweep {study.study_name}</title></head><body>\n"
        f"<h1>sweep {study.study_name}</h1>\n"
    ]
    for i, (title, figure) in enumerate(figures):
        parts.append(f"<h2>{title}</h2>\n")
        parts.append(figure.to_html(full_html=False, include_plotlyjs=(i == 0)))
    parts.append("</body></html>\n")
    Path(path).write_text("".join(parts), encoding="utf-8")
    return [title for title, _ in figures]


def show_command(args: argparse.Namespace) -> int:
    study, name = open_study(args.name, args.storage, args.runs_dir)
    records = trial_records(study)
    objective = str(study.user_attrs.get("excore_objective") or "value")
    if args.format == "json":
        sys.stdout.write(json.dumps(records, indent=2) + "\n")
    elif args.format == "csv":
        sys.stdout.write(render_csv(records, objective))
    else:
        direction = study.direction.name.lower()
        print(f"sweep '{name}': {len(records)} trial(s), {direction} {objective}")
        sys.stdout.write(render_text(records, objective))
    if args.plot:
        written = write_plots(study, args.plot)
        print(f"wrote {args.plot}: {', '.join(written) or 'no plot'}", file=sys.stderr)
    return 0
