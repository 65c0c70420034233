"""Find references and rename: top-level variables and module names defined in sections, across
the file, its ``__base__`` family (the files the engine loads, in merge order) and the configs
that include it. Occurrences are read from each file's own syntax."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from excore.syntax.grammar import is_name
from excore_ls.analysis.config import ConfigFile
from excore_ls.analysis.results import Edit, Place
from excore_ls.analysis.session import FileAnalysis
from excore_ls.analysis.target import Target, target_at

Related = Callable[[FileAnalysis], Iterable[ConfigFile]]


class RenameRefused(Exception):
    """The rename cannot be done; the message says why."""


def _symbol(fa: FileAnalysis, offset: int) -> tuple[str, str, Target] | None:
    """("variable" | "module", name, target) under the cursor."""
    t = target_at(fa, offset)
    if t is None:
        return None
    if t.kind == "variable":
        return "variable", t.name, t
    if t.kind == "reference" and t.variable is not None:
        return "variable", t.name, t
    if t.kind == "header-module" or (t.kind == "reference" and "." not in t.name):
        return "module", t.name, t
    return None


def occurrences(cfg: ConfigFile, kind: str, name: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_declaration) of every occurrence of a variable or module name."""
    out: list[tuple[int, int, bool]] = []
    if kind == "variable":
        for p in cfg.root.params:
            if not p.key.prefix and p.key.name == name:
                out.append((p.key.name_start, p.key.end, True))
        for section in cfg.sections:
            for p in section.params:
                for v in p.variables:
                    if v.name is not None and v.name.text == name:
                        out.append((v.name.start, v.name.end, False))
                for ref in p.refs:
                    if ref.head is not None and not ref.dollar and ref.head.text == name:
                        out.append((ref.head.start, ref.head.end, False))
        return out
    for section in cfg.sections:
        module = section.module
        if module is not None and module.name == name:
            out.append((module.start, module.start + len(name), True))
        for p in section.params:
            for ref in p.refs:
                if ref.head is not None and not ref.dollar and ref.head.text == name:
                    out.append((ref.head.start, ref.head.end, False))
                if ref.member is not None and ref.member.text == name:
                    out.append((ref.member.start, ref.member.end, False))
    return out


def references(
    fa: FileAnalysis, offset: int, include_declaration: bool = True, related: Related | None = None
) -> list[Place]:
    found = _symbol(fa, offset)
    if found is None:
        return []
    kind, name, _ = found
    out = []
    for cfg in _files(fa, related):
        for start, end, decl in occurrences(cfg, kind, name):
            if decl and not include_declaration:
                continue
            out.append(Place(cfg.key, start, end))
    return out


def _files(fa: FileAnalysis, related: Related | None) -> list[ConfigFile]:
    files: dict[str, ConfigFile] = {cfg.key: cfg for cfg in fa.family_files()}
    if related is not None:
        for cfg in related(fa):
            files.setdefault(cfg.key, cfg)
    return list(files.values())


def prepare_rename(fa: FileAnalysis, offset: int) -> tuple[int, int, str] | str | None:
    found = _symbol(fa, offset)
    if found is None:
        return None
    kind, name, target = found
    refused = _refusal(fa, kind, name)
    if refused:
        return refused
    return target.start, target.start + len(name), name


def _refusal(fa: FileAnalysis, kind: str, name: str) -> str:
    if kind == "module" and fa.index is not None and fa.index.lookup(name) is not None:
        return (
            f"'{name}' is a registered Python class or function: rename it in its Python source "
            "(then run `excore schema dump`), not in the config"
        )
    return ""


def rename(
    fa: FileAnalysis, offset: int, new_name: str, related: Related | None = None
) -> list[Edit] | str:
    found = _symbol(fa, offset)
    if found is None:
        return "nothing to rename here (rename works on variables and module sections)"
    kind, name, _ = found
    refused = _refusal(fa, kind, name)
    if refused:
        return refused
    if not is_name(new_name):
        return f"'{new_name}' is not a valid name"
    edits = []
    for cfg in _files(fa, related):
        for start, end, _decl in occurrences(cfg, kind, name):
            edits.append(Edit(cfg.key, start, end, new_name))
    return edits
