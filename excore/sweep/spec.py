"""The ``[__sweep__]`` table of a config: what is searched, how, and towards what.

```toml
[__sweep__]
name = "lr_bs"            # default: the file's stem
objective = "val_loss"    # the metric the trial reports
direction = "minimize"    # or "maximize"
sampler = "grid"          # grid (default when every axis is a list) | random | tpe
trials = 20               # required for random and tpe
seed = 0                  # optional: the sampler's seed
[__sweep__.axes]
"Optimizer.SGD.lr" = [0.1, 0.03]                        # a list of values
"TrainData.SyntheticSegmentation.num_samples" = {int = [8, 64], step = 8}
"Optimizer.SGD.weight_decay" = {float = [1e-5, 1e-2], log = true}
"&batch_size" = [8, 16]                                 # a top-level variable
[__sweep__.constraints]
expr = "batch_size * 2 <= num_samples"
```

Reading the table is pure data over the syntax tree (nothing imported, nothing built); every
mistake is a ``bad-sweep`` or ``bad-axis`` problem at the exact key or value. Where an axis points
in the resolved config is worked out by the checker (:mod:`excore.config.check`), which owns every
check of a config.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Literal

from excore.problems import Problem, make_problem
from excore.syntax.grammar import parse_key
from excore.syntax.toml import TreeLeaf, TreeTable, Value, ValueKind

AxisKind = Literal["list", "int", "float"]
SAMPLERS = ("grid", "random", "tpe")
DIRECTIONS = ("minimize", "maximize")
SWEEP_KEYS = ("name", "objective", "direction", "sampler", "trials", "seed", "axes", "constraints")
Label = str | int | float | bool


@dataclass(slots=True)
class KeyPathPart:
    """One dotted part of an axis key, at offsets in the sweep file."""

    text: str
    start: int
    end: int


@dataclass(slots=True)
class AxisPoint:
    """One value of an axis: its node in the sweep file and its Optuna label."""

    value: Value
    data: object
    label: Label


@dataclass(slots=True)
class Axis:
    """One searched key of the resolved config."""

    key: str  # the key path as written ("Optimizer.SGD.lr", "&batch_size", "Model.FCN.!head")
    parts: list[KeyPathPart]
    file: str
    start: int  # the key's offsets
    end: int
    value_start: int  # where its values are written
    value_end: int
    kind: AxisKind
    points: list[AxisPoint] = field(default_factory=list)  # lists, and ranges a grid enumerates
    low: Value | None = None  # ranges: the bound nodes
    high: Value | None = None
    step: float | int | None = None
    log: bool = False

    @property
    def name(self) -> str:
        """The last part without a prefix (``lr``, ``batch_size``): how constraints name it."""
        return parse_key(self.parts[-1].text).name if self.parts else ""

    @property
    def enumerable(self) -> bool:
        return bool(self.points)

    def describe(self) -> str:
        """The axis's values in a few words (for ``sweep plan`` with a sampler)."""
        if self.kind == "list":
            return ", ".join(_show(p.data) for p in self.points)
        assert self.low is not None and self.high is not None
        text = f"{self.kind} in [{_show(self.low.data)}, {_show(self.high.data)}]"
        if self.step is not None:
            text += f" step {_show(self.step)}"
        if self.log:
            text += " (log)"
        return text


@dataclass(slots=True)
class SweepSpec:
    """A sweep as written, with the problems found while reading it."""

    file: str
    name: str
    table: TreeTable
    objective: str | None = None
    direction: str = "minimize"
    sampler: str = "grid"
    trials: int | None = None
    seed: int | None = None
    axes: list[Axis] = field(default_factory=list)
    constraints: list[Value] = field(default_factory=list)  # expression strings
    problems: list[Problem] = field(default_factory=list)

    def grid_size(self) -> int:
        return math.prod(len(axis.points) for axis in self.axes) if self.axes else 0

    def planned_trials(self) -> int:
        """How many trials a run asks for (before constraints)."""
        if self.sampler == "grid":
            return self.grid_size()
        return self.trials or 0

    def axis(self, key: str) -> Axis | None:
        return next((a for a in self.axes if a.key == key), None)


def _show(value: object) -> str:
    from excore.config.lazy import toml_literal

    literal = toml_literal(value)
    return literal if literal is not None else repr(value)


class _Reader:
    def __init__(self, table: TreeTable, file: str) -> None:
        stem = os.path.splitext(os.path.basename(file))[0]
        self.spec = SweepSpec(file, stem, table)
        self.file = file

    def problem(
        self, code: str, message: str, start: int, end: int, key: str = "", **data: object
    ) -> None:
        self.spec.problems.append(make_problem(code, message, self.file, start, end, key, data))

    def read(self) -> SweepSpec:
        spec, table = self.spec, self.spec.table
        import difflib

        for key, node in table.items.items():
            if key not in SWEEP_KEYS:
                start, end = _key_span(node)
                close = difflib.get_close_matches(key, SWEEP_KEYS, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.problem(
                    "bad-sweep",
                    f"[__sweep__] has no key '{key}'{hint}; known: {', '.join(SWEEP_KEYS)}",
                    start,
                    end,
                    node.path,
                    name=key,
                    suggestions=close,
                )
        name = self.string("name")
        if name is not None:
            if not name or any(c in name for c in "/\\") or name in (".", ".."):
                self.bad_value("name", "a name usable as a folder name")
            else:
                spec.name = name
        spec.objective = self.string("objective")
        direction = self.string("direction")
        if direction is not None:
            if direction in DIRECTIONS:
                spec.direction = direction
            else:
                self.bad_value("direction", "'minimize' or 'maximize'")
        spec.trials = self.positive_int("trials")
        seed = table.items.get("seed")
        if isinstance(seed, TreeLeaf):
            if seed.value.kind == "integer" and isinstance(seed.value.data, int):
                spec.seed = seed.value.data
            else:
                self.bad_value("seed", "an integer")
        self.read_axes()
        self.read_constraints()
        sampler = self.string("sampler")
        every_list = all(a.kind == "list" for a in spec.axes)
        if sampler is None:
            spec.sampler = "grid" if every_list else "tpe"
        elif sampler in SAMPLERS:
            spec.sampler = sampler
        else:
            self.bad_value("sampler", "one of 'grid', 'random', 'tpe'")
        if spec.sampler == "grid":
            for axis in spec.axes:
                if not axis.points and axis.kind == "float":
                    self.problem(
                        "bad-axis",
                        f"a grid cannot enumerate the float range of '{axis.key}': give a step, "
                        'a list of values, or sampler = "random" / "tpe"',
                        axis.value_start,
                        axis.value_end,
                        axis.key,
                    )
        elif spec.trials is None and "trials" not in table.items:
            self.problem(
                "bad-sweep",
                f"sampler '{spec.sampler}' needs trials = N (how many trials to run)",
                *_key_span(table.items["sampler"])
                if "sampler" in table.items
                else _table_span(table),
                "__sweep__",
            )
        if not spec.axes and not any(p.code == "bad-axis" for p in spec.problems):
            self.problem(
                "bad-sweep",
                "the sweep has no axes: add [__sweep__.axes] with 'Key.path' = [values]",
                *_table_span(table),
                "__sweep__",
            )
        return spec

    # -- scalar keys ---------------------------------------------------------------------------

    def bad_value(self, key: str, expected: str) -> None:
        node = self.spec.table.items[key]
        start, end = (
            (node.value.start, node.value.end) if isinstance(node, TreeLeaf) else _key_span(node)
        )
        self.problem("bad-sweep", f"__sweep__.{key} must be {expected}", start, end, node.path)

    def string(self, key: str) -> str | None:
        node = self.spec.table.items.get(key)
        if node is None:
            return None
        if isinstance(node, TreeLeaf) and node.value.kind == "string":
            return str(node.value.data)
        self.bad_value(key, "a string")
        return None

    def positive_int(self, key: str) -> int | None:
        node = self.spec.table.items.get(key)
        if node is None:
            return None
        if (
            isinstance(node, TreeLeaf)
            and node.value.kind == "integer"
            and isinstance(node.value.data, int)
            and node.value.data > 0
        ):
            return node.value.data
        self.bad_value(key, "a positive integer")
        return None

    # -- axes ----------------------------------------------------------------------------------

    def read_axes(self) -> None:
        node = self.spec.table.items.get("axes")
        if node is None:
            return
        if not isinstance(node, TreeTable):
            self.problem(
                "bad-sweep",
                "__sweep__.axes must be a table: [__sweep__.axes]",
                node.value.start,
                node.value.end,
                node.path,
            )
            return
        self.read_axis_table(node, [])

    def read_axis_table(self, table: TreeTable, prefix: list[KeyPathPart]) -> None:
        for key, node in table.items.items():
            if isinstance(node, TreeLeaf):
                parts = [*prefix, *_split_key(key, node.key.start)]
                self.read_list_axis(node, parts)
            elif "int" in node.items or "float" in node.items:
                parts = [*prefix, *_split_key(key, _part_start(node))]
                self.read_range_axis(node, parts)
            else:  # `Optimizer.SGD.lr = [...]` written as a bare dotted key: nested tables
                self.read_axis_table(node, [*prefix, *_split_key(key, _part_start(node))])

    def new_axis(self, parts: list[KeyPathPart], kind: AxisKind, start: int, end: int) -> Axis:
        key = ".".join(p.text for p in parts)
        return Axis(key, parts, self.file, parts[0].start, parts[-1].end, start, end, kind)

    def read_list_axis(self, leaf: TreeLeaf, parts: list[KeyPathPart]) -> None:
        value = leaf.value
        key = ".".join(p.text for p in parts)
        if value.kind != "array":
            self.problem(
                "bad-axis",
                f"axis '{key}' takes a list of values, {{int = [low, high]}} or "
                "{float = [low, high]}",
                value.start,
                value.end,
                key,
            )
            return
        if not value.items:
            self.problem("bad-axis", f"axis '{key}' has no values", value.start, value.end, key)
            return
        axis = self.new_axis(parts, "list", value.start, value.end)
        datas = [item.to_python() for item in value.items]
        scalar = all(isinstance(d, str | int | float) for d in datas)
        distinct = len({(type(d), d) for d in datas}) == len(datas) if scalar else False
        for item, data in zip(value.items, datas):
            label: Label = data if scalar and distinct else _show(data)  # type: ignore[assignment]
            axis.points.append(AxisPoint(item, data, label))
        if len({p.label for p in axis.points}) != len(axis.points):
            seen: set[object] = set()
            for point in axis.points:
                if point.label in seen:
                    self.problem(
                        "bad-axis",
                        f"axis '{key}' lists {_show(point.data)} twice",
                        point.value.start,
                        point.value.end,
                        key,
                    )
                seen.add(point.label)
            return
        self.spec.axes.append(axis)

    def read_range_axis(self, table: TreeTable, parts: list[KeyPathPart]) -> None:
        key = ".".join(p.text for p in parts)
        kind: AxisKind = "int" if "int" in table.items else "float"
        start, end = _table_value_span(table)
        axis = self.new_axis(parts, kind, start, end)
        ok = True
        for name, node in table.items.items():
            if name not in ("int", "float", "step", "log") or (
                name in ("int", "float") and name != kind
            ):
                s, e = _key_span(node)
                self.problem(
                    "bad-axis",
                    f"a range axis takes {kind} = [low, high], step and log; not '{name}'",
                    s,
                    e,
                    key,
                )
                ok = False
        bounds = table.items[kind]
        numeric = ("integer",) if kind == "int" else ("integer", "float")
        if (
            not isinstance(bounds, TreeLeaf)
            or bounds.value.kind != "array"
            or len(bounds.value.items) != 2
            or any(item.kind not in numeric for item in bounds.value.items)
        ):
            s, e = (
                (bounds.value.start, bounds.value.end)
                if isinstance(bounds, TreeLeaf)
                else _key_span(bounds)
            )
            what = "integers" if kind == "int" else "numbers"
            self.problem("bad-axis", f"{kind} = [low, high] takes two {what}", s, e, key)
            return
        low, high = bounds.value.items
        axis.low, axis.high = low, high
        lo, hi = low.data, high.data
        assert isinstance(lo, int | float) and isinstance(hi, int | float)
        if lo > hi:
            self.problem(
                "bad-axis",
                f"the low bound {lo} is above the high bound {hi}",
                low.start,
                high.end,
                key,
            )
            ok = False
        step_node = table.items.get("step")
        if isinstance(step_node, TreeLeaf):
            step = step_node.value.data
            good = step_node.value.kind in numeric and isinstance(step, int | float) and step > 0
            if not good:
                what = "a positive integer" if kind == "int" else "a positive number"
                self.problem(
                    "bad-axis",
                    f"step must be {what}",
                    step_node.value.start,
                    step_node.value.end,
                    key,
                )
                ok = False
            else:
                axis.step = step  # type: ignore[assignment]
        log_node = table.items.get("log")
        if isinstance(log_node, TreeLeaf):
            if log_node.value.kind != "boolean":
                self.problem(
                    "bad-axis",
                    "log must be true or false",
                    log_node.value.start,
                    log_node.value.end,
                    key,
                )
                ok = False
            else:
                axis.log = log_node.value.data is True
        if axis.log and axis.step is not None and (kind == "float" or axis.step != 1):
            self.problem(
                "bad-axis",
                "a log range takes no step",
                log_node.value.start if isinstance(log_node, TreeLeaf) else start,
                log_node.value.end if isinstance(log_node, TreeLeaf) else end,
                key,
            )
            ok = False
        if axis.log and lo <= 0:
            self.problem(
                "bad-axis", "a log range needs a low bound above 0", low.start, low.end, key
            )
            ok = False
        if not ok:
            return
        if kind == "int":
            step_i = int(axis.step or 1)
            axis.points = [
                AxisPoint(_synthetic(v, low, high), v, v)
                for v in range(int(lo), int(hi) + 1, step_i)
            ]
        elif axis.step is not None:
            count = math.floor((hi - lo) / axis.step + 1e-9) + 1
            values = [round(lo + i * axis.step, 12) for i in range(count)]
            axis.points = [AxisPoint(_synthetic(v, low, high), v, v) for v in values]
        self.spec.axes.append(axis)

    # -- constraints ---------------------------------------------------------------------------

    def read_constraints(self) -> None:
        node = self.spec.table.items.get("constraints")
        if node is None:
            return
        if not isinstance(node, TreeTable):
            self.problem(
                "bad-sweep",
                '__sweep__.constraints must be a table with expr = "..."',
                node.value.start,
                node.value.end,
                node.path,
            )
            return
        for key, child in node.items.items():
            if key != "expr":
                s, e = _key_span(child)
                self.problem(
                    "bad-sweep",
                    f"[__sweep__.constraints] takes expr, not '{key}'",
                    s,
                    e,
                    child.path,
                )
        expr = node.items.get("expr")
        if expr is None:
            return
        items: list[Value] = []
        if isinstance(expr, TreeLeaf):
            items = list(expr.value.items) if expr.value.kind == "array" else [expr.value]
        for item in items:
            if item.kind == "string":
                self.spec.constraints.append(item)
            else:
                self.problem(
                    "bad-sweep",
                    'a constraint is an expression string, e.g. "batch_size <= samples"',
                    item.start,
                    item.end,
                    "__sweep__.constraints.expr",
                )
        if not isinstance(expr, TreeLeaf):
            s, e = _key_span(expr)
            self.problem("bad-sweep", "expr must be a string or a list of strings", s, e, expr.path)


def _synthetic(data: int | float, low: Value, high: Value) -> Value:
    """A value of an enumerated range, located at the range's bounds."""
    kind: ValueKind = "integer" if isinstance(data, int) else "float"
    return Value(kind, low.start, high.end, data)


def _split_key(text: str, start: int) -> list[KeyPathPart]:
    parts: list[KeyPathPart] = []
    offset = start
    for piece in text.split("."):
        parts.append(KeyPathPart(piece, offset, offset + len(piece)))
        offset += len(piece) + 1
    return parts


def _part_start(table: TreeTable) -> int:
    if table.key is not None:
        return table.key.start + (1 if table.key.quoted else 0)
    return table.start


def _key_span(node: TreeLeaf | TreeTable) -> tuple[int, int]:
    if isinstance(node, TreeLeaf):
        return node.key.start, node.key.end
    if node.key is not None:
        quoted = 1 if node.key.quoted else 0
        return node.key.start + quoted, node.key.end - quoted
    return node.start, node.end


def _table_span(table: TreeTable) -> tuple[int, int]:
    return table.start, table.end


def _table_value_span(table: TreeTable) -> tuple[int, int]:
    leaves = [n for n in table.items.values() if isinstance(n, TreeLeaf)]
    if not leaves:
        return _key_span(table)
    return min(n.key.start for n in leaves), max(n.value.end for n in leaves)


def read_sweep(table: TreeTable, file: str) -> SweepSpec:
    """Read a ``[__sweep__]`` table; its problems are in ``spec.problems``."""
    return _Reader(table, file).read()
