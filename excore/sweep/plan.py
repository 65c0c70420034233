"""Planning a sweep: its trials' resolved configs, each checked by the one checker.

A trial's config is the sweep file's resolved config (bases merged, ``[__sweep__]`` left out)
with each axis's key set to the trial's value. The value's node is the one written in the sweep
file, so a problem a value causes is reported at that value (``sweep.toml:7:28``).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from excore.config.check import CheckOptions, check_model
from excore.config.loader import LoadedConfig, Section, load_config_files
from excore.config.model import AxisTarget, ConfigModel, ParamDef, build_model, resolve_axis
from excore.problems import Problem, Severity
from excore.signatures import SignatureSource
from excore.sweep.spec import Axis, AxisPoint, SweepSpec, read_sweep
from excore.syntax.expr import Expression, Name
from excore.syntax.grammar import KeyNode, parse_expression, parse_key
from excore.syntax.toml import TreeLeaf, Value, ValueKind


@dataclass(slots=True)
class TrialCheck:
    """The problems of one trial's config."""

    number: int  # position in the grid (0-based)
    points: list[AxisPoint]
    problems: list[Problem]


@dataclass(slots=True)
class Plan:
    """A sweep file read, resolved and (for a grid) expanded and checked trial by trial."""

    path: str
    loaded: LoadedConfig
    model: ConfigModel
    spec: SweepSpec | None
    problems: list[Problem]  # the sweep file's own (``excore check``'s answer)
    targets: list[AxisTarget] = field(default_factory=list)  # one per axis
    param_cache: dict[int, ParamDef] = field(default_factory=dict, repr=False)
    constraints: list[Expression] | None = field(default=None, repr=False)
    trials: list[list[AxisPoint]] = field(default_factory=list)  # grid: every feasible trial
    excluded: list[list[AxisPoint]] = field(default_factory=list)  # ruled out by constraints
    failed: list[TrialCheck] = field(default_factory=list)  # trials with errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def ok(self) -> bool:
        return self.spec is not None and not self.errors and not self.failed

    @property
    def axes(self) -> list[Axis]:
        return self.spec.axes if self.spec is not None else []


def load_plan(
    path: str | os.PathLike[str],
    source: SignatureSource,
    *,
    expand: bool = True,
    env: dict[str, str] | None = None,
) -> Plan:
    """Read a sweep file and check it; with ``expand``, check every grid trial too."""
    from excore.config.lazy import MemoSource

    source = source if isinstance(source, MemoSource) else MemoSource(source)
    loaded = load_config_files(path)
    model = build_model(loaded, source)
    problems = check_model(model, source, CheckOptions(env=env))
    spec = read_sweep(loaded.sweep, loaded.sweep.file) if loaded.sweep is not None else None
    plan = Plan(loaded.path, loaded, model, spec, problems)
    if spec is None or plan.errors:
        return plan
    for axis in spec.axes:
        target, _ = resolve_axis(model, [p.text for p in axis.parts], source)
        assert target is not None  # the checker reported every axis that does not resolve
        plan.targets.append(target)
    if expand and spec.sampler == "grid":
        expand_grid(plan, source, env)
    return plan


def grid_points(spec: SweepSpec) -> Iterator[list[AxisPoint]]:
    for combo in itertools.product(*(axis.points for axis in spec.axes)):
        yield list(combo)


def grid_index(spec: SweepSpec, points: Sequence[AxisPoint]) -> int:
    """The trial's position in the full grid (ruled-out points counted, first axis slowest): a
    stable label that ``sweep plan`` prints and ``sweep run`` stores with each trial (user attr
    ``grid``), since Optuna's trial numbers follow the sampler's (shuffled) order."""
    index = 0
    for axis, point in zip(spec.axes, points):
        labels = [p.label for p in axis.points]
        index = index * len(labels) + labels.index(point.label)
    return index


def expand_grid(plan: Plan, source: SignatureSource, env: dict[str, str] | None = None) -> None:
    assert plan.spec is not None
    options = CheckOptions(env=env)
    for number, points in enumerate(grid_points(plan.spec)):
        root = trial_root(plan, points)
        meets, problems = meets_constraints(plan, points, root, env)
        if not meets and not problems:
            plan.excluded.append(points)
            continue
        plan.trials.append(points)
        problems += check_trial(plan, points, source, options, root)
        if problems:
            plan.failed.append(TrialCheck(number, points, problems))


def feasible(plan: Plan, points: Sequence[AxisPoint], env: dict[str, str] | None = None) -> bool:
    """Whether the trial meets the sweep's constraints (one that cannot be evaluated does not)."""
    meets, problems = meets_constraints(plan, points, trial_root(plan, points), env)
    return meets and not problems


def constraint_expressions(plan: Plan) -> list[Expression]:
    """The constraints, parsed by the one grammar (once per plan)."""
    if plan.constraints is None:
        spec = plan.spec
        values = spec.constraints if spec is not None else []
        plan.constraints = [parse_expression(str(v.data), v.content_start) for v in values]
    return plan.constraints


def axis_names(axes: Sequence[Axis]) -> dict[str, int]:
    """Axes a constraint may name by their last key part (``lr`` for ``Optimizer.SGD.lr``),
    when that name is unique among the axes."""
    counts: dict[str, int] = {}
    for axis in axes:
        counts[axis.name] = counts.get(axis.name, 0) + 1
    return {axis.name: i for i, axis in enumerate(axes) if counts[axis.name] == 1}


def meets_constraints(
    plan: Plan,
    points: Sequence[AxisPoint],
    root: Section,
    env: dict[str, str] | None = None,
) -> tuple[bool, list[Problem]]:
    """Evaluate every constraint over the trial's resolved config with the engine's
    interpreter. A name is a top-level variable, a dotted path of the config, or an axis's last
    key part; a constraint that cannot be evaluated is a problem of the trial."""
    expressions = constraint_expressions(plan)
    if not expressions:
        return True, []
    from excore.config.compute import Computation
    from excore.config.evaluate import EvalError, evaluate, type_name
    from excore.problems import make_problem

    computation = Computation(root, env)
    shorts = axis_names(plan.axes)

    def lookup(name: Name) -> Any:
        first = name.parts[0].text
        if (
            len(name.parts) == 1
            and first in shorts
            and first not in root.items
            and ("&" + first not in root.items)
        ):
            return points[shorts[first]].data
        node = computation._find(name)
        if isinstance(node, TreeLeaf):
            if node.key.prefix == "&":
                return computation.value(node)
            if node.key.prefix:
                raise EvalError(
                    "type-mismatch",
                    f"'{name.text}' is a module reference, not a plain value",
                    name.start,
                    name.end,
                )
            return node.value.to_python()
        if isinstance(node, Section):
            return computation._plain(node)
        return node

    file = plan.spec.file if plan.spec is not None else plan.path
    meets = True
    problems: list[Problem] = []
    for expression in expressions:
        try:
            value = evaluate(expression, lookup, env)
        except EvalError as error:
            problems.append(
                make_problem(
                    error.code,
                    error.message,
                    file,
                    error.start,
                    error.end,
                    "__sweep__.constraints.expr",
                    error.data,
                )
            )
            continue
        if not isinstance(value, bool):
            problems.append(
                make_problem(
                    "type-mismatch",
                    f"a constraint must be true or false, got {type_name(value)} {value!r}",
                    file,
                    expression.start,
                    expression.end,
                    "__sweep__.constraints.expr",
                )
            )
        elif not value:
            meets = False
    return meets, problems


def check_trial(
    plan: Plan,
    points: Sequence[AxisPoint],
    source: SignatureSource,
    options: CheckOptions | None = None,
    root: Section | None = None,
) -> list[Problem]:
    """The errors of one trial's resolved config (the one checker over the trial's tree)."""
    model = trial_model(plan, points, source, root)
    if options is None:
        options = CheckOptions()
    return [p for p in check_model(model, source, options) if p.severity == Severity.ERROR]


def trial_model(
    plan: Plan,
    points: Sequence[AxisPoint],
    source: SignatureSource,
    root: Section | None = None,
) -> ConfigModel:
    loaded = plan.loaded
    root = root if root is not None else trial_root(plan, points)
    trial = LoadedConfig(
        loaded.path, root, loaded.files, [], loaded.bases, loaded.order, loaded.edges
    )
    return build_model(trial, source, plan.param_cache)


def trial_loaded(plan: Plan, points: Sequence[AxisPoint]) -> LoadedConfig:
    loaded = plan.loaded
    return LoadedConfig(
        loaded.path,
        trial_root(plan, points),
        loaded.files,
        [],
        loaded.bases,
        loaded.order,
        loaded.edges,
    )


def _copy_table(table: Section) -> Section:
    return Section(
        table.path,
        dict(table.items),
        table.file,
        table.start,
        table.end,
        table.explicit,
        table.inline,
        table.dotted,
        table.key,
        table.arrays,
    )


def trial_root(plan: Plan, points: Sequence[AxisPoint]) -> Section:
    """The resolved tree with each axis's key set to the trial's value; only the tables on the
    axes' paths are copied, the rest is shared with the sweep file's tree."""
    root = _copy_table(plan.loaded.root)
    copied = {id(root)}
    for axis, target, point in zip(plan.axes, plan.targets, points):
        table = root
        for part in target.table:
            child = table.items[part]
            assert isinstance(child, Section)
            if id(child) not in copied:
                child = _copy_table(child)
                table.items[part] = child
                copied.add(id(child))
            table = child
        table.items.pop(target.replaces or "", None)
        table.items[target.key] = axis_leaf(axis, target, point.value)
    return root


def axis_leaf(axis: Axis, target: AxisTarget, value: Value) -> TreeLeaf:
    """The leaf a trial gets for ``axis``: its key at the axis's key, its value as written."""
    part = axis.parts[-1]
    key = parse_key(target.key, part.start + (len(part.text) - len(target.key)))
    node = KeyNode(key.prefix, key.name, key.start, key.end, key.name_start)
    return TreeLeaf(node, value, axis.file, ".".join(target.table))


def point_for(axis: Axis, data: object) -> AxisPoint:
    """The point of a sampled value: a listed value's own node, or a number of a range (located
    at the range's bounds)."""
    for point in axis.points:
        if point.label == data or point.data == data:
            return point
    assert axis.low is not None and axis.high is not None
    kind: ValueKind = "integer" if isinstance(data, int) and not isinstance(data, bool) else "float"
    value = Value(kind, axis.low.start, axis.high.end, data)
    assert isinstance(data, int | float)
    return AxisPoint(value, data, data)


def differing_axes(plan: Plan) -> list[int]:
    """Indexes of the axes with more than one value (what a table of trials shows)."""
    return [i for i, axis in enumerate(plan.axes) if len(axis.points) != 1]


def show_value(data: object) -> str:
    from excore.config.lazy import toml_literal

    literal = toml_literal(data)
    return literal if literal is not None else repr(data)


def describe_points(
    plan: Plan, points: Sequence[AxisPoint], problems: Sequence[Problem] = ()
) -> str:
    """``Optimizer.SGD.lr = "fast"``: the axis values a trial's problems are written in (all of
    the trial's values when no problem is inside one)."""
    at_fault = [
        i
        for i, (axis, point) in enumerate(zip(plan.axes, points))
        if any(
            p.file == axis.file and point.value.start <= p.start < max(point.value.end, p.start + 1)
            for p in problems
        )
    ]
    shown = at_fault or list(range(len(points)))
    return ", ".join(f"{plan.axes[i].key} = {show_value(points[i].data)}" for i in shown)


def plan_summary(plan: Plan) -> str:
    spec = plan.spec
    assert spec is not None
    goal = f"{spec.direction} {spec.objective}" if spec.objective else "no objective"
    if spec.sampler == "grid":
        sizes = " × ".join(str(len(axis.points)) for axis in spec.axes)
        text = f"sweep '{spec.name}': grid of {sizes} = {spec.grid_size()} trial(s), {goal}"
        if plan.excluded:
            text += f"; {len(plan.excluded)} ruled out by constraints, {len(plan.trials)} left"
        return text
    lines = [f"sweep '{spec.name}': {spec.sampler} sampler, {spec.trials} trial(s), {goal}"]
    width = max(len(axis.key) for axis in spec.axes)
    lines += [f"  {axis.key:<{width}}  {axis.describe()}" for axis in spec.axes]
    return "\n".join(lines)


def trials_table(plan: Plan, limit: int | None = None) -> str:
    """One row per trial with the values that differ between trials."""
    columns = differing_axes(plan) or list(range(len(plan.axes)))
    assert plan.spec is not None
    spec = plan.spec
    header = ["grid", *(plan.axes[i].key for i in columns)]
    rows = [
        [str(grid_index(spec, points)), *(show_value(points[i].data) for i in columns)]
        for points in plan.trials[: limit if limit is not None else None]
    ]
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    out = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]
    ]
    if limit is not None and len(plan.trials) > limit:
        out.append(f"... {len(plan.trials) - limit} more")
    if plan.excluded:
        shown = [str(grid_index(spec, points)) for points in plan.excluded[:20]]
        more = f" and {len(plan.excluded) - 20} more" if len(plan.excluded) > 20 else ""
        out.append(f"ruled out by the constraints: grid {', '.join(shown)}{more}")
    return "".join(line + "\n" for line in out)
