"""What a position names: a module, a field, a parameter, a variable, a member, a hook, a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from excore.config.loader import Leaf
from excore.signatures import MemberInfo, ModuleInfo, ParamInfo
from excore.syntax.grammar import EnvRef, Ident, Reference
from excore_ls.analysis.config import BASE_KEY, Param, Section, string_at
from excore_ls.analysis.resolve import (
    Resolved,
    fields,
    module_places,
    python_module_prefix,
    registry_of,
    resolve_reference,
    section_module,
    variables,
)
from excore_ls.analysis.results import Place
from excore_ls.analysis.session import FileAnalysis

TargetKind = Literal[
    "header-module",
    "field",
    "param",
    "variable",
    "reference",
    "python-module",
    "member",
    "hook",
    "env",
    "base",
]


@dataclass(slots=True)
class Target:
    kind: TargetKind
    name: str
    start: int
    end: int
    module: ModuleInfo | None = None
    param_info: ParamInfo | None = None
    member: MemberInfo | None = None
    places: list[tuple[Place, str]] = field(default_factory=list)  # sections: (place, path)
    variable: Leaf | None = None  # the engine's leaf of the write that counts
    path: Path | None = None
    section: Section | None = None
    param: Param | None = None
    ref: Reference | None = None
    resolved: Resolved | None = None
    env: EnvRef | None = None


def _inside(ident: Ident | None, offset: int) -> bool:
    return ident is not None and ident.start <= offset <= ident.end


def target_at(fa: FileAnalysis, offset: int) -> Target | None:
    cfg = fa.config
    section = cfg.section_at(offset)
    header = section.table.header
    if header is not None and header.start <= offset <= header.end:
        return _header_target(fa, section, offset)
    for param in section.params:
        entry = param.entry
        if entry.key.start <= offset <= entry.key.end:
            return _key_target(fa, section, param)
        if entry.value is not None and entry.value.start <= offset <= entry.value.end:
            return _value_target(fa, section, param, offset)
    return None


def _header_target(fa: FileAnalysis, section: Section, offset: int) -> Target | None:
    index = fa.index
    if section.field is not None and section.field.start <= offset <= section.field.end:
        name = section.field.text
        return Target("field", name, section.field.start, section.field.end, section=section)
    if section.name is not None and section.module is not None:
        name = section.module.name
        start = section.module.start
        return Target(
            "header-module",
            name,
            start,
            start + len(name),
            module=section_module(index, section),
            places=module_places(fa, name),
            section=section,
        )
    return None


def _key_target(fa: FileAnalysis, section: Section, param: Param) -> Target | None:
    key = param.key
    if section.is_root:
        if key.prefix or key.name.startswith("__"):
            return None
        return Target(
            "variable",
            key.name,
            key.name_start,
            key.end,
            variable=variables(fa).get(key.name),
            section=section,
            param=param,
        )
    info = section_module(fa.index, section)
    return Target(
        "param",
        key.name,
        key.start,
        key.end,
        module=info,
        param_info=info.param(key.name) if info is not None else None,
        section=section,
        param=param,
    )


def _value_target(fa: FileAnalysis, section: Section, param: Param, offset: int) -> Target | None:
    i = string_at(param, offset)
    if i < 0:
        return None
    value = param.strings[i]
    if section.is_root and param.key.name == BASE_KEY and not param.key.prefix:
        path = fa.base_file(str(value.data))
        return Target(
            "base", str(value.data), value.content_start, value.content_end, path=path, param=param
        )
    if param.key.prefix == "&" and i < len(param.variables):
        variable = param.variables[i]
        if variable.name is not None and _inside(variable.name, offset):
            found = variables(fa).get(variable.name.text)
            return Target(
                "variable",
                variable.name.text,
                variable.name.start,
                variable.name.end,
                variable=found,
                section=section,
                param=param,
            )
        for env in variable.env:
            if env.start <= offset <= env.end:
                return Target("env", env.name, env.start, env.end, env=env, param=param)
        return None
    if i >= len(param.refs):
        return None
    return _reference_target(fa, section, param, param.refs[i], offset)


def _reference_target(
    fa: FileAnalysis, section: Section, param: Param, ref: Reference, offset: int
) -> Target | None:
    index = fa.index
    for hook in ref.hooks:
        if _inside(hook, offset):
            info = index.lookup(hook.text) if index is not None else None
            return Target(
                "hook", hook.text, hook.start, hook.end, module=info, ref=ref, param=param
            )
    if ref.member is not None and _inside(ref.member, offset) and ref.head is not None:
        resolved = resolve_reference(fa, ref)
        return Target(
            "reference",
            ref.member.text,
            ref.member.start,
            ref.member.end,
            module=resolved.module if resolved else None,
            places=resolved.places if resolved else [],
            ref=ref,
            resolved=resolved,
            param=param,
        )
    names = ref.dotted_names
    for k, ident in enumerate(names):
        if not _inside(ident, offset):
            continue
        p = python_module_prefix(index, names)
        dotted = ".".join(i.text for i in names[: k + 1])
        if p and k < p:
            info = index.lookup(dotted) if index is not None else None
            return Target("python-module", dotted, ident.start, ident.end, module=info, ref=ref)
        if p and k >= p:
            info = index.lookup(dotted) if index is not None else None
            if info is not None:
                return Target("reference", dotted, ident.start, ident.end, module=info, ref=ref)
            owner = index.lookup(".".join(i.text for i in names[:k])) if index else None
            member = owner.member(ident.text) if owner is not None else None
            return Target(
                "member", ident.text, ident.start, ident.end, module=owner, member=member, ref=ref
            )
        resolved = resolve_reference(fa, ref)
        if k == 0:
            if ref.dollar and resolved is not None and resolved.field is not None:
                return Target(
                    "field",
                    ident.text,
                    ident.start,
                    ident.end,
                    module=resolved.module,
                    places=resolved.places,
                    ref=ref,
                    resolved=resolved,
                )
            return Target(
                "reference",
                ident.text,
                ident.start,
                ident.end,
                module=resolved.module if resolved else None,
                places=resolved.places if resolved else [],
                variable=resolved.variable if resolved else None,
                ref=ref,
                resolved=resolved,
                param=param,
            )
        owner = resolved.module if resolved is not None and k == 1 else None
        member = owner.member(ident.text) if owner is not None else None
        return Target(
            "member", ident.text, ident.start, ident.end, module=owner, member=member, ref=ref
        )
    for link in ref.chain:
        if link.call is not None and link.start <= offset <= link.end:
            return None
    return None


def field_registry(fa: FileAnalysis, name: str) -> str | None:
    return registry_of(fa.index, name)


def is_field(fa: FileAnalysis, name: str) -> bool:
    return name in fields(fa.index)
