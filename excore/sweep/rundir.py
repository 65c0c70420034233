"""Run folders: the resolved config, logs, metrics and the git state of one run or trial.

``runs/<name>/<trial>/`` (or ``runs/<config>/<time>/`` for ``excore run``) holds ``config.toml``,
``stdout.log``, ``stderr.log``, ``metrics.jsonl`` (``excore.report``), ``git.json`` (commit,
branch, dirty) and ``git.diff`` (``git diff HEAD``, when the tree has uncommitted changes).
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from excore.sweep.report import METRICS_FILE, read_metrics

STDOUT = "stdout.log"
STDERR = "stderr.log"
CONFIG = "config.toml"


@dataclass(slots=True)
class GitState:
    commit: str
    branch: str
    dirty: bool
    diff: str


def git_state(folder: str | os.PathLike[str]) -> GitState | None:
    """The commit and uncommitted changes of the git repository holding ``folder`` (None when
    it is not in one, or git is missing)."""

    def git(*argv: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *argv], cwd=folder, capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    branch = (git("rev-parse", "--abbrev-ref", "HEAD") or "").strip()
    diff = git("diff", "HEAD") or ""
    status = git("status", "--porcelain") or ""
    return GitState(commit.strip(), branch, bool(status.strip()), diff)


def prepare_run_dir(
    run_dir: Path, config_text: str, git: GitState | None
) -> tuple[Path, Path, Path]:
    """Create the folder and write its config and git files; returns the config, stdout and
    stderr paths. A folder left by an interrupted attempt is emptied of its logs and metrics."""
    run_dir.mkdir(parents=True, exist_ok=True)
    for stale in (METRICS_FILE, STDOUT, STDERR, "git.diff"):
        (run_dir / stale).unlink(missing_ok=True)
    config = run_dir / CONFIG
    config.write_text(config_text, encoding="utf-8")
    (run_dir / METRICS_FILE).touch()
    if git is not None:
        record = {"commit": git.commit, "branch": git.branch, "dirty": git.dirty}
        (run_dir / "git.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        if git.dirty and git.diff:
            (run_dir / "git.diff").write_text(git.diff, encoding="utf-8")
    return config, run_dir / STDOUT, run_dir / STDERR


def substitute(command: list[str], config: Path, run_dir: Path) -> list[str]:
    """``{config}`` and ``{run_dir}`` in each argument (nothing else is interpreted)."""
    return [
        arg.replace("{config}", str(config)).replace("{run_dir}", str(run_dir)) for arg in command
    ]


def tail(path: Path, lines: int = 20) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16384))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def objective_values(run_dir: Path, objective: str) -> list[float]:
    """Every reported value of ``objective``, in order."""
    values: list[float] = []
    for record in read_metrics(run_dir):
        value = record.get(objective)
        if (isinstance(value, int | float) and not isinstance(value, bool)) or (
            isinstance(value, str) and value in ("nan", "inf", "-inf")
        ):
            values.append(float(value))
    return values


def last_metrics(run_dir: Path) -> dict[str, object]:
    """The last reported value of each metric."""
    merged: dict[str, object] = {}
    for record in read_metrics(run_dir):
        merged.update(record)
    return merged
