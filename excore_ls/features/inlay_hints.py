"""Inlay hints: the resolved value of ``&var`` (the write that counts in the engine's merged
config), of ``${ENV}`` and of an ``&`` expression (the value the engine computes) after the
string."""

from __future__ import annotations

import os

from excore.config.loader import Leaf
from excore.syntax.grammar import VariableValue
from excore_ls.analysis.computed import computed_values, shown
from excore_ls.analysis.resolve import variables as merged_variables
from excore_ls.analysis.results import Hint
from excore_ls.analysis.session import FileAnalysis

MAX_LABEL = 40


def inlay_hints(fa: FileAnalysis, start: int, end: int) -> list[Hint]:
    cfg = fa.config
    variables = None
    out: list[Hint] = []
    for section in cfg.sections:
        if section.table.start > end:
            break
        for p in section.params:
            if p.entry.end < start or p.entry.start > end or not p.variables:
                continue
            if variables is None:
                variables = merged_variables(fa)
            for value, v in zip(p.strings, p.variables):
                if v.expr is not None:  # an expression: the value the engine computes
                    result = computed_values(fa).get(value.start)
                    if result is not None and result.ok:
                        text = shown(result.value)
                        out.append(Hint(value.end, f"= {_clip(text)}", text))
                    continue
                label = _resolved(fa, v, variables)
                if label is not None:
                    out.append(Hint(value.end, f"= {_clip(label)}", label))
    return out


def _resolved(fa: FileAnalysis, v: VariableValue, variables: dict[str, Leaf]) -> str | None:
    if v.name is not None:
        found = variables.get(v.name.text)
        src = fa.source_file(found.file) if found is not None else None
        if found is None or src is None:
            return None
        return src.text[found.value.start : found.value.end]
    if v.env:
        text = v.text
        for env in reversed(v.env):
            resolved = os.environ.get(env.name)
            if resolved is None:
                return None
            s, e = env.start - v.start, env.end - v.start
            text = text[:s] + resolved + text[e:]
        return text
    return None


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"
