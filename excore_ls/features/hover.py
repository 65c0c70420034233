"""Hover: modules, fields, parameters, references, members, hooks, variables, env, base files."""

from __future__ import annotations

import os
from pathlib import Path

from excore.config.loader import Leaf
from excore.syntax.grammar import NO_CALL_KEY
from excore_ls.analysis.config import Param
from excore_ls.analysis.results import HoverResult
from excore_ls.analysis.session import FileAnalysis
from excore_ls.analysis.sweep import Axis, SweepSpec, trials_text
from excore_ls.analysis.target import Target, target_at
from excore_ls.features.describe import member_markdown, module_markdown, param_markdown


def hover(fa: FileAnalysis, offset: int) -> HoverResult | None:
    sweep = _sweep_hover(fa, offset)
    if sweep is not None:
        return sweep
    computed = _expression_hover(fa, offset)
    if computed is not None:
        return computed
    from excore_ls.features.definition import class_value_at

    named = class_value_at(fa, offset)
    if named is not None:
        info, start, end = named
        if info is None:
            return None
        return HoverResult(module_markdown(info), start, end)
    target = target_at(fa, offset)
    if target is None:
        return None
    text = _markdown(fa, target)
    if not text:
        return None
    return HoverResult(text, target.start, target.end)


def _sweep_hover(fa: FileAnalysis, offset: int) -> HoverResult | None:
    """An axis key of ``[__sweep__.axes]`` or the ``[__sweep__]`` header: values and trials."""
    from excore_ls.analysis.sweep import (
        SWEEP_TABLE,
        axis_at,
        sweep_header_markdown,
    )

    header = fa.config.section_at(offset).header_text
    if not header.startswith(SWEEP_TABLE):
        return None
    found = axis_at(fa, offset)
    if found is not None:
        spec, axis = found
        return HoverResult(_axis_markdown(fa, spec, axis), axis.start, axis.end)
    text = sweep_header_markdown(fa, offset)
    if text is None:
        return None
    table = fa.config.section_at(offset).table
    return HoverResult(text, table.start, table.header_end)


def _axis_markdown(fa: FileAnalysis, spec: SweepSpec, axis: Axis) -> str:
    lines = [f"**axis** `{axis.key}`: {axis.describe()}"]
    if axis.points:
        lines[0] += f" ({len(axis.points)} value(s))"
    lines.append(f"sweep `{spec.name}`: {trials_text(spec)}")
    from excore.config.model import resolve_axis

    target, _ = resolve_axis(fa.model, [p.text for p in axis.parts], fa.source)
    if target is not None and target.kind == "param" and target.info is not None:
        param = target.info.param(axis.name)
        if param is not None:
            lines.append(param_markdown(param, target.info))
    elif target is not None and target.kind == "variable":
        lines.append(f"the top-level variable `{target.key}`")
    return "\n\n".join(lines)


def _markdown(fa: FileAnalysis, t: Target) -> str:
    if t.kind in ("header-module", "reference", "hook", "python-module"):
        parts = []
        if t.module is not None:
            parts.append(module_markdown(t.module))
        elif t.kind == "hook":
            parts.append(f"unknown hook `{t.name}`")
        if t.variable is not None and t.kind == "reference":
            parts.append(_variable_text(fa, t.name, t.variable))
        if t.places and t.kind == "reference":
            where = ", ".join(f"`[{path}]` ({Path(place.file).name})" for place, path in t.places)
            parts.append(f"configured in {where}")
        if not parts:
            return f"`{t.name}`: not a registered module" if fa.index is not None else ""
        return "\n\n---\n\n".join(parts)
    if t.kind == "field":
        from excore_ls.analysis.resolve import fields, registry_of

        registry = registry_of(fa.index, t.name)
        primary = t.name in fields(fa.index)
        text = f"**{t.name}**: " + (
            f"primary field, built by `build_all` from registry `{registry}`"
            if primary
            else (f"registry `{registry}`" if registry else "unknown field")
        )
        if t.module is not None:
            text += "\n\n---\n\n" + module_markdown(t.module)
        return text
    if t.kind == "param":
        if t.param_info is not None:
            return param_markdown(t.param_info, t.module)
        if t.module is not None and t.name != NO_CALL_KEY:
            return f"`{t.name}` is not a parameter of `{t.module.name}`"
        if t.name == NO_CALL_KEY:
            return "`__no_call__ = true`: return the unbuilt node instead of calling it"
        return ""
    if t.kind == "member":
        if t.member is not None:
            return member_markdown(t.member, t.module)
        return ""
    if t.kind == "variable":
        if t.variable is None:
            return f"`{t.name}`: undefined variable"
        return _variable_text(fa, t.name, t.variable)
    if t.kind == "env":
        value = os.environ.get(t.name)
        return (
            f"environment variable `{t.name}` = `{value}`"
            if value is not None
            else (f"environment variable `{t.name}` is not set")
        )
    if t.kind == "base":
        if t.path is None:
            return ""
        exists = t.path.is_file()
        return f"`{t.path}`" + ("" if exists else " (not found)")
    return ""


def _variable_text(fa: FileAnalysis, name: str, leaf: Leaf) -> str:
    """A variable's value as written where the engine says the write that counts was made."""
    src = fa.source_file(leaf.file)
    value = leaf.value
    text = src.text[value.start : value.end] if src is not None else ""
    if len(text) > 200:
        text = text[:197] + "..."
    line = src.lines.position(leaf.key.start)[0] + 1 if src is not None else 0
    key = fa.file_key(leaf.file)
    where = "this file" if key == fa.config.key else f"`{Path(key).name}`"
    return f"```toml\n{name} = {text}\n```\n\ndefined in {where}, line {line}"


def _expression_hover(fa: FileAnalysis, offset: int) -> HoverResult | None:
    """Over an ``&`` expression: its computed value, and each operand's value and origin (over
    one operand: that operand only)."""
    if not any(p.variables and any(v.expr is not None for v in p.variables) for p in _params(fa)):
        return None
    from excore_ls.analysis.computed import computed_values, operand_origin, shown

    for result in computed_values(fa).values():
        value = result.leaf.value
        if not (value.start <= offset <= value.end) or result.var.expr is None:
            continue
        for operand in result.operands:
            if operand.name.start <= offset <= operand.name.end:
                where = operand_origin(fa, operand.origin)
                text = f"`{operand.name.text}` = `{shown(operand.value)}`"
                return HoverResult(
                    text + (f" ({where})" if where else ""), operand.name.start, operand.name.end
                )
        if result.ok:
            lines = [f"**= `{shown(result.value)}`** (computed)"]
        elif result.problem is not None:
            lines = [f"cannot be computed: {result.problem.message}"]
        else:
            lines = ["cannot be computed (a value it reads cannot)"]
        seen: set[str] = set()
        for operand in result.operands:
            if operand.name.text in seen:
                continue
            seen.add(operand.name.text)
            where = operand_origin(fa, operand.origin)
            lines.append(
                f"- `{operand.name.text}` = `{shown(operand.value)}`"
                + (f" ({where})" if where else "")
            )
        return HoverResult("\n".join(lines), value.start, value.end)
    return None


def _params(fa: FileAnalysis) -> list[Param]:
    return [p for section in fa.config.sections for p in section.params]
