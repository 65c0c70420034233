"""Sweep files in the editor: the key paths an axis may name, and what an axis or the
``[__sweep__]`` table amounts to (values, number of trials).

Diagnostics need nothing here: the one checker checks the ``[__sweep__]`` table of any config
(``bad-sweep``, ``bad-axis``, each axis value against its parameter's annotation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from excore.config.model import ConfigModel
from excore.signatures import ModuleInfo, ParamInfo
from excore.sweep.spec import Axis, SweepSpec, read_sweep
from excore_ls.analysis.session import FileAnalysis

AXES_TABLE = "__sweep__.axes"
SWEEP_TABLE = "__sweep__"
_AXIS_KEY = re.compile(r"[ \t]*([\"']?)([^\"'=\s]*)\Z")
_WORD_RIGHT = re.compile(r"[^\"'=\s]*")


@dataclass(slots=True)
class AxisPath:
    """A key path an axis may name, with what it sets."""

    path: str
    detail: str
    param: ParamInfo | None = None
    owner: ModuleInfo | None = None


@dataclass(slots=True)
class AxisKeyContext:
    start: int  # the range a completion replaces
    end: int
    typed: str
    quote: str  # the quote the key started with ("" when none yet)
    has_value: bool  # "=" already follows the key


def in_axes_table(fa: FileAnalysis, offset: int) -> bool:
    return fa.config.section_at(offset).header_text == AXES_TABLE


def axis_key_context(fa: FileAnalysis, offset: int) -> AxisKeyContext | None:
    """The axis key being typed at ``offset`` (None: the cursor is not on a key of the
    ``[__sweep__.axes]`` table)."""
    if not in_axes_table(fa, offset):
        return None
    text = fa.config.text
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end == -1 else line_end
    m = _AXIS_KEY.match(text[line_start:offset])
    if m is None:
        return None
    quote, typed = m.group(1), m.group(2)
    start = offset - len(typed)
    right = _WORD_RIGHT.match(text, offset, line_end)
    end = right.end() if right else offset
    if quote and end < line_end and text[end] == quote:
        end += 1  # the closing quote is replaced too
    return AxisKeyContext(start - len(quote), end, typed, quote, "=" in text[end:line_end])


def axis_paths(model: ConfigModel, fa: FileAnalysis) -> list[AxisPath]:
    """Every key path of the resolved config an axis may name: top-level variables
    (``&name``), the parameters of each module section (set or from the signature) and the
    values of plain tables."""
    from excore.config.loader import Leaf, Section

    index = fa.index
    out: list[AxisPath] = []
    root = model.loaded.root
    for key, node in sorted(root.items.items()):
        if isinstance(node, Leaf) and not node.key.prefix:
            out.append(AxisPath(f"&{key}", f"variable = {_short(node.value.to_python())}"))
    modules = {id(m.section): m for m in model.modules}

    def walk(section: Section, prefix: str) -> None:
        module = modules.get(id(section))
        info = None
        if module is not None and index is not None:
            info = index.lookup(module.lookup_name, module.registry) or index.lookup(
                module.lookup_name
            )
        seen: set[str] = set()
        for key, node in sorted(section.items.items()):
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(node, Section):
                if not node.inline:
                    walk(node, path)
                continue
            name = node.key.name
            seen.add(name)
            param = info.param(name) if info is not None else None
            detail = f"= {_short(node.value.to_python())}"
            if param is not None and param.annotation:
                detail = f"{param.annotation} {detail}"
            out.append(AxisPath(path, detail, param, info))
        if info is not None and prefix:
            for param in info.params:
                if param.kind in ("positional", "keyword") and param.name not in seen:
                    detail = param.annotation or ""
                    if not param.required:
                        detail = f"{detail} (default {param.default})".strip()
                    out.append(AxisPath(f"{prefix}.{param.name}", detail, param, info))

    for key, node in sorted(root.items.items()):
        if isinstance(node, Section) and not node.inline:
            walk(node, key)
    return out


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def sweep_spec(fa: FileAnalysis) -> SweepSpec | None:
    table = fa.model.loaded.sweep
    if table is None:
        return None
    return read_sweep(table, table.file)


def axis_at(fa: FileAnalysis, offset: int) -> tuple[SweepSpec, Axis] | None:
    """The axis whose key is at ``offset``."""
    spec = sweep_spec(fa)
    if spec is None:
        return None
    for axis in spec.axes:
        if axis.file == fa.key and axis.start <= offset <= axis.end:
            return spec, axis
    return None


def trials_text(spec: SweepSpec) -> str:
    if spec.sampler == "grid":
        sizes = " × ".join(str(len(a.points)) for a in spec.axes)
        return f"grid of {sizes} = **{spec.grid_size()} trial(s)**"
    return f"{spec.sampler} sampler, **{spec.trials or '?'} trial(s)**"


def sweep_header_markdown(fa: FileAnalysis, offset: int) -> str | None:
    """Hover on the ``[__sweep__]`` (or ``[__sweep__.axes]``) header: the trials it makes."""
    section = fa.config.section_at(offset)
    table = section.table
    if table.header is None or not table.start <= offset <= table.header_end:
        return None
    if section.header_text not in (SWEEP_TABLE, AXES_TABLE):
        return None
    spec = sweep_spec(fa)
    if spec is None:
        return None
    goal = f"{spec.direction} `{spec.objective}`" if spec.objective else "no objective yet"
    axes = "\n".join(f"- `{a.key}`: {a.describe()}" for a in spec.axes)
    return f"**sweep** `{spec.name}`: {trials_text(spec)}, {goal}\n\n{axes}"
