"""``excore.report(**metrics)``: append one line of metrics to the run folder's ``metrics.jsonl``.

Cheap (one small append, no import beyond ``json``) and safe anywhere: under ``excore sweep run``
or ``excore run`` it writes ``$EXCORE_RUN_DIR/metrics.jsonl``, which the sweep reads when the
trial ends (the trial's value is the last reported objective); outside a run folder it does
nothing.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

METRICS_FILE = "metrics.jsonl"


def _number(name: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    item = getattr(value, "item", None)  # a 0-d tensor or array, a numpy scalar
    if callable(item):
        return _number(name, item())
    try:
        return _number(name, float(value))
    except (TypeError, ValueError):
        raise TypeError(
            f"excore.report: {name}={value!r} is not a number, string, bool or None"
        ) from None


def report(**metrics: Any) -> dict[str, Any] | None:
    """Record ``metrics`` (numbers, strings, booleans; tensors with one element are read with
    ``.item()``). Returns the record written, or None outside a run folder."""
    record = {name: _number(name, value) for name, value in metrics.items()}
    run_dir = os.environ.get("EXCORE_RUN_DIR")
    if not run_dir:
        return None
    with open(os.path.join(run_dir, METRICS_FILE), "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    return record


def read_metrics(run_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every record of a run folder's ``metrics.jsonl`` (lines that do not parse are skipped:
    a process killed while writing leaves half a line)."""
    path = os.path.join(run_dir, METRICS_FILE)
    records: list[dict[str, Any]] = []
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    records.append(record)
    except OSError:
        pass
    return records
