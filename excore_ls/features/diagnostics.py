"""Diagnostics: the engine's problems for this file, plus the index staleness warning.

The problems come from ``excore.config.family.check_in_context`` — the one checker under the
engine's rule of roots and fragments (only this file's problems are kept), fed with the index and the open buffers — so the server and
``excore check`` report the same codes at the same places. Syntax problems of the tolerant parser
are always reported (first). Without an index only the problems that do not need the registries
are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from excore.problems import Problem, make_problem

if TYPE_CHECKING:
    # Only types: the diagnostics of a config with an index need none of the server's own
    # analysis, so opening the first file does not wait for it to load.
    from excore.config.family import ConfigFamily
    from excore_ls.analysis.config import ConfigFile
    from excore_ls.analysis.index_state import LoadedIndex
    from excore_ls.analysis.session import FileAnalysis

INDEX_FREE_CODES = {
    "toml-syntax",
    "unquoted-prefix",
    "base-not-found",
    "base-cycle",
    "base-outside",
    "base-depth",
    "base-repeat",
    "undefined-variable",
    "undefined-env",
}
SYNTAX_CODES = {"toml-syntax", "unquoted-prefix"}


def syntax_problems(cfg: ConfigFile) -> list[Problem]:
    _, tree_problems = cfg.doc.to_tree()
    return [*cfg.doc.problems, *tree_problems]


def workspace_file_problems(key: str, text: str) -> list[Problem]:
    """``excore.toml`` / ``pyproject.toml`` are not configs: only their TOML syntax is checked."""
    from excore.syntax.toml import parse_toml

    doc = parse_toml(text, key)
    _, tree_problems = doc.to_tree()
    return [p for p in (*doc.problems, *tree_problems) if p.code == "toml-syntax"]


def diagnostics(
    fa: FileAnalysis,
    read_text: Callable[[str], str | None],
    family: ConfigFamily | None,
) -> list[Problem]:
    """The problems of an analysed config (see :func:`problems_of`)."""
    return problems_of(fa.key, fa.doc.text, fa.loaded, read_text, family, lambda: fa)


def problems_of(
    key: str,
    text: str,
    loaded: LoadedIndex | None,
    read_text: Callable[[str], str | None],
    family: ConfigFamily | None,
    analysis: Callable[[], FileAnalysis | None],
) -> list[Problem]:
    """Syntax problems, then the engine's problems of this file under its fragment rule.

    The server's own analysis (``analysis()``) is only needed without an index (to guess the
    registries from the headers) and for unsaved buffers without a path.
    """
    problems: list[Problem] = []
    if "://" in key:  # an untitled buffer: the engine cannot load it, syntax only
        fa = analysis()
        return syntax_problems(fa.config) if fa is not None else []
    index = loaded.index if loaded is not None else None
    if index is not None:
        source: Any = index
    else:
        fa = analysis()
        if fa is None:
            return []
        source = fa.source
    seen: set[tuple[str, int, int]] = set()
    for p in _run_checker(key, source, read_text, family, text):
        if p.file != key:  # a base's own problem: shown in the base
            continue
        if index is None and p.code not in INDEX_FREE_CODES:
            continue
        if (p.code, p.start, p.end) in seen:
            continue
        seen.add((p.code, p.start, p.end))
        problems.append(p)
    problems.extend(p for p in encoding_problems(key, text) if (p.code, p.start, p.end) not in seen)
    problems.extend(stale_problems(key, text, loaded))
    problems.sort(key=lambda p: (p.code not in SYNTAX_CODES, p.start, p.end))
    return problems


def encoding_problems(key: str, text: str) -> list[Problem]:
    """The file on disk is not valid UTF-8 and the buffer is that file as the editor decoded it
    (the bad bytes replaced by U+FFFD): the problem ``excore check`` reports for it, from the
    engine's own reader (``excore.fileio.read_config_text``) at the same place."""
    if "\ufffd" not in text:
        return []
    from excore.fileio import UnreadableFile, read_config_text

    try:
        read = read_config_text(key)
    except UnreadableFile:
        return []
    if read.bad_offset is None or read.text != text:
        return []  # valid on disk, or the buffer was edited since: the buffer is the truth
    return [
        make_problem(
            "toml-syntax", read.encoding_message(), key, read.bad_offset, read.bad_offset + 1
        )
    ]


def _run_checker(
    key: str,
    source: Any,
    read_text: Callable[[str], str | None],
    family: ConfigFamily | None,
    text: str,
) -> list[Problem]:
    from excore.config.family import check_in_context

    try:
        return check_in_context(key, source, family=family, read_text=read_text)
    except RecursionError:
        return [make_problem("base-cycle", "__base__ chain too deep", key, 0, 0)]
    except Exception:  # the checker must never take the server down
        logging.getLogger("excore_ls").exception("the checker failed on %s", key)
        from excore.syntax.toml import parse_toml

        return list(parse_toml(text, key).problems)


def stale_problems(key: str, text: str, loaded: LoadedIndex | None) -> list[Problem]:
    """One ``stale-index`` warning per file, on the first header naming a changed module."""
    if loaded is None or loaded.index is None:
        return []
    stale = loaded.stale_modules()
    if not stale:
        return []
    from excore.syntax.grammar import parse_module_name
    from excore.syntax.toml import parse_toml

    for table in parse_toml(text, key).tables:
        if table.header is None or not table.header.parts:
            continue
        part = table.header.parts[-1]
        name = parse_module_name(part.text).name.rsplit(".", 1)[-1]
        if name in stale:
            start = part.start + (1 if part.quoted else 0) + part.text.rfind(name)
            return [
                make_problem(
                    "stale-index",
                    f"the index is older than {stale[name]} (where {name} is "
                    "defined): run `excore schema dump` to refresh it",
                    key,
                    start,
                    start + len(name),
                    data={"command": "excore.dumpIndex"},
                )
            ]
    return []
