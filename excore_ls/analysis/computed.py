"""Computed ``&`` values of the open config, from the engine's computation (plain data).

The server shows what the engine computes: the model of the open document (its bases
included) and :func:`excore.config.compute.computation_of` over it, the same code the checker
and the builder run. Nothing here evaluates anything itself.
"""

from __future__ import annotations

from typing import Any

from excore.config.compute import Computed, computation_of
from excore.config.loader import Leaf, Section
from excore_ls.analysis.session import FileAnalysis


def computed_values(fa: FileAnalysis) -> dict[int, Computed]:
    """The outcome of every ``&`` value written in the open file, by its value's start offset."""
    memo = fa.memo.get("computed")
    if isinstance(memo, dict):
        return memo
    model = fa.model
    computation = computation_of(model)
    out: dict[int, Computed] = {}
    stack: list[Section] = [model.loaded.root]
    while stack:
        section = stack.pop()
        for node in section.items.values():
            if isinstance(node, Section):
                stack.append(node)
            elif node.key.prefix == "&" and node.file == fa.key and node.value.kind == "string":
                out[node.value.start] = computation.computed(node)
    fa.memo["computed"] = out
    return out


def shown(value: Any) -> str:
    """A computed value as TOML text."""
    from excore.config.lazy import toml_literal

    text = toml_literal(value)
    return text if text is not None else repr(value)


def operand_origin(fa: FileAnalysis, node: Leaf | Section | None) -> str:
    """``file:line`` of where an operand's value was written."""
    if node is None:
        return ""
    source = fa.model.loaded.files.get(node.file)
    start = node.value.start if isinstance(node, Leaf) else node.start
    line = source.lines.position(start)[0] + 1 if source is not None else 0
    import os

    return f"{os.path.basename(node.file)}:{line}"
