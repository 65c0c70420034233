"""Code actions: did-you-mean, add missing parameters, quote prefixed keys, create a section,
refresh the index. Every edit replaces only the bytes it fixes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path

from excore.problems import Problem
from excore.syntax.grammar import PREFIXES
from excore_ls.analysis.config import ConfigFile, Section
from excore_ls.analysis.index_state import DUMP_COMMAND
from excore_ls.analysis.resolve import (
    family_module_names,
    fields,
    hooks,
    merged_params,
    section_module,
    variables,
)
from excore_ls.analysis.results import Action, Edit
from excore_ls.analysis.session import FileAnalysis
from excore_ls.analysis.target import target_at
from excore_ls.features.completion import placeholder

DID_YOU_MEAN_CODES = {
    "unknown-module",
    "unknown-param",
    "unknown-field",
    "unknown-hook",
    "undefined-variable",
    "bad-reference",
}


def code_actions(
    fa: FileAnalysis,
    start: int,
    end: int,
    problems: list[Problem],
    only: Sequence[str] | None = None,
) -> list[Action]:
    """The actions for ``[start, end)``; with ``only`` (code action kinds such as ``quickfix``
    or ``source``), those of these kinds or of their sub-kinds (``source`` covers
    ``source.fixAll``)."""
    actions = _all_actions(fa, start, end, problems)
    if not only:
        return actions
    return [a for a in actions if any(kind_matches(a.kind, k) for k in only)]


def kind_matches(kind: str, wanted: str) -> bool:
    """``kind`` is ``wanted`` or one of its sub-kinds (LSP kinds are dot-separated
    hierarchies; the empty kind covers every kind)."""
    return not wanted or kind == wanted or kind.startswith(wanted + ".")


def _all_actions(fa: FileAnalysis, start: int, end: int, problems: list[Problem]) -> list[Action]:
    out: list[Action] = []
    here = [p for p in problems if p.start <= end and start <= max(p.end, p.start + 1)]
    for p in here:
        if p.data.get("base"):  # reported at a __base__ entry: the fix belongs in the base
            continue
        fix = p.data.get("fix")
        if isinstance(fix, dict):  # the checker's own fix: one replacement in this file
            out.append(
                Action(
                    str(fix["title"]),
                    edits=[
                        Edit(fa.config.key, int(fix["start"]), int(fix["end"]), str(fix["text"]))
                    ],
                    diagnostic_codes=[(p.code, p.start, p.end)],
                    preferred=True,
                )
            )
            continue
        if p.code in DID_YOU_MEAN_CODES:
            out.extend(_did_you_mean(fa, p))
        elif p.code == "missing-param":
            action = _add_missing(fa, p)
            if action is not None:
                out.append(action)
        elif p.code == "unquoted-prefix":
            out.append(_quote_one(fa.config, p))
        elif p.code == "stale-index":
            out.append(_refresh(p, fa.loaded.root if fa.loaded is not None else None))
    unquoted = [p for p in problems if p.code == "unquoted-prefix"]
    if len(unquoted) > 1 and any(p.code == "unquoted-prefix" for p in here):
        out.append(_quote_all(fa.config, unquoted))
    create = _create_section(fa, start)
    if create is not None:
        out.append(create)
    loaded = fa.loaded
    if (
        loaded is not None
        and (loaded.index is None or loaded.stale_modules())
        and not any(a.command == DUMP_COMMAND for a in out)
    ):
        title = "Refresh the excore index (excore schema dump)"
        out.append(Action(title, "source", command=DUMP_COMMAND, arguments=[str(loaded.root)]))
    return out


def _did_you_mean(fa: FileAnalysis, p: Problem) -> list[Action]:
    text = fa.config.text
    raw = text[p.start : p.end]
    name = str(p.data.get("name") or "") or _name_in(raw)
    if not name:
        return []
    offset = raw.find(name)
    if offset < 0:
        return []
    start = p.start + offset
    end = start + len(name)
    raw_suggestions = p.data.get("suggestions")
    suggestions = [str(s) for s in raw_suggestions] if isinstance(raw_suggestions, list) else []
    if not suggestions:
        suggestions = difflib.get_close_matches(
            name, list(_candidates(fa, p, start)), n=3, cutoff=0.6
        )
    out = []
    for i, suggestion in enumerate(suggestions[:3]):
        if suggestion == name:
            continue
        out.append(
            Action(
                f"Did you mean '{suggestion}'?",
                edits=[Edit(fa.config.key, start, end, suggestion)],
                diagnostic_codes=[(p.code, p.start, p.end)],
                preferred=i == 0,
            )
        )
    return out


def _name_in(raw: str) -> str:
    text = raw.strip().strip("\"'")
    return text.lstrip(PREFIXES).split("::")[-1].split(".")[0].split("@")[0]


def _candidates(fa: FileAnalysis, p: Problem, offset: int) -> Iterable[str]:
    index = fa.index
    if p.code == "unknown-param":
        section = fa.config.section_at(offset)
        info = section_module(index, section)
        return [q.name for q in info.params] if info is not None else []
    if p.code == "unknown-field":
        names = set(fields(index))
        if index is not None:
            names |= set(index.registry_names())
        return names
    if p.code == "unknown-hook":
        return [h.name for h in hooks(index)]
    if p.code == "undefined-variable":
        return list(variables(fa))
    names = set(index.names()) if index is not None else set()
    return names | family_module_names(fa)


def _add_missing(fa: FileAnalysis, p: Problem) -> Action | None:
    cfg = fa.config
    section = cfg.section_at(p.start)
    info = section_module(fa.index, section)
    if info is None or section.module is None:
        return None
    field_name = section.field.text if section.field else ""
    present = merged_params(fa, field_name, section.module.name)
    missing = [
        q
        for q in info.params
        if q.required and q.name not in present and q.kind not in ("var_positional", "var_keyword")
    ]
    if not missing:
        return None
    lines = "".join(f"{q.name} = {placeholder(q)}\n" for q in missing)
    offset, prefix = _end_of_section(cfg, section)
    return Action(
        "Add missing required parameters: " + ", ".join(q.name for q in missing),
        edits=[Edit(cfg.key, offset, offset, prefix + lines)],
        diagnostic_codes=[(p.code, p.start, p.end)],
        preferred=True,
    )


def _end_of_section(cfg: ConfigFile, section: Section) -> tuple[int, str]:
    """Where to insert new lines at the end of a section, and the newline to put first if any."""
    table = section.table
    last = table.entries[-1].end if table.entries else table.header_end
    text = cfg.text
    nl = text.find("\n", last)
    if nl == -1:
        return len(text), "\n"
    return nl + 1, ""


def _quote_one(cfg: ConfigFile, p: Problem) -> Action:
    raw = cfg.text[p.start : p.end]
    return Action(
        f"Quote prefixed key {raw}",
        edits=[Edit(cfg.key, p.start, p.end, f'"{raw}"')],
        diagnostic_codes=[(p.code, p.start, p.end)],
        preferred=True,
    )


def _quote_all(cfg: ConfigFile, problems: list[Problem]) -> Action:
    return Action(
        f"Quote all {len(problems)} prefixed keys",
        edits=[Edit(cfg.key, p.start, p.end, f'"{cfg.text[p.start : p.end]}"') for p in problems],
        diagnostic_codes=[(p.code, p.start, p.end) for p in problems],
    )


def _refresh(p: Problem, root: Path | None) -> Action:
    """Dump the index of the file's workspace (the one the server located for it)."""
    return Action(
        "Refresh the excore index (excore schema dump)",
        command=DUMP_COMMAND,
        arguments=[str(root)] if root is not None else [],
        diagnostic_codes=[(p.code, p.start, p.end)],
        preferred=True,
    )


def _create_section(fa: FileAnalysis, offset: int) -> Action | None:
    t = target_at(fa, offset)
    if t is None or t.kind != "reference" or t.module is None or t.places or t.variable:
        return None
    if t.module.kind not in ("class", "function") or (t.ref is not None and t.ref.dollar):
        return None
    cfg = fa.config
    text = cfg.text
    lead = "" if text.endswith("\n\n") or not text else ("\n" if text.endswith("\n") else "\n\n")
    required = [
        q for q in t.module.params if q.required and q.kind not in ("var_positional", "var_keyword")
    ]
    body = "".join(f"{q.name} = {placeholder(q)}\n" for q in required)
    return Action(
        f"Create a [{t.module.name}] section for this module",
        "refactor",
        edits=[Edit(cfg.key, len(text), len(text), f"{lead}[{t.module.name}]\n{body}")],
    )
