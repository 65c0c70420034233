"""Diagnostics: the engine's problems for this file, plus the index staleness warning.

The problems come from ``excore.config.family.check_in_context`` — the one checker under the
engine's fragment rule, fed with the index and the open buffers — so the server and
``excore check`` report the same codes at the same places. Syntax problems of the tolerant parser
are always reported (first). Without an index only the problems that do not need the registries
are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from excore.problems import Problem, make_problem
from excore_ls.analysis.config import ConfigFile
from excore_ls.analysis.session import FileAnalysis

if TYPE_CHECKING:
    from excore.config.family import ConfigFamily

INDEX_FREE_CODES = {
    "toml-syntax",
    "unquoted-prefix",
    "base-not-found",
    "base-cycle",
    "undefined-variable",
    "undefined-env",
}
SYNTAX_CODES = {"toml-syntax", "unquoted-prefix"}


def syntax_problems(cfg: ConfigFile) -> list[Problem]:
    _, tree_problems = cfg.doc.to_tree()
    return [*cfg.doc.problems, *tree_problems]


def diagnostics(
    fa: FileAnalysis,
    read_text: Callable[[str], str | None],
    family: ConfigFamily | None,
) -> list[Problem]:
    cfg = fa.config
    problems = syntax_problems(cfg) if cfg.path is None else []
    seen = {(p.code, p.start, p.end) for p in problems}
    if cfg.path is not None:
        for p in _run_checker(fa, read_text, family):
            if fa.index is None and p.code not in INDEX_FREE_CODES:
                continue
            if (p.code, p.start, p.end) in seen:
                continue
            seen.add((p.code, p.start, p.end))
            problems.append(p)
    problems.extend(stale_problems(fa))
    problems.sort(key=lambda p: (p.code not in SYNTAX_CODES, p.start, p.end))
    return problems


def _run_checker(
    fa: FileAnalysis, read_text: Callable[[str], str | None], family: ConfigFamily | None
) -> list[Problem]:
    from excore.config.family import check_in_context

    try:
        return check_in_context(fa.key, fa.source, family=family, read_text=read_text)
    except RecursionError:
        return [make_problem("base-cycle", "__base__ chain too deep", fa.key, 0, 0)]
    except Exception:  # the checker must never take the server down
        logging.getLogger("excore_ls").exception("the checker failed on %s", fa.key)
        return syntax_problems(fa.config)


def stale_problems(fa: FileAnalysis) -> list[Problem]:
    """One ``stale-index`` warning per file, on the first section naming a changed module."""
    loaded = fa.loaded
    if loaded is None or loaded.index is None:
        return []
    stale = loaded.stale_modules()
    if not stale:
        return []
    for section in fa.config.sections:
        module = section.module
        if module is not None and module.name in stale:
            return [
                make_problem(
                    "stale-index",
                    f"the index is older than {stale[module.name]} (where {module.name} is "
                    "defined): run `excore schema dump` to refresh it",
                    fa.config.key,
                    module.start,
                    module.start + len(module.name),
                    data={"command": "excore.dumpIndex"},
                )
            ]
    return []
