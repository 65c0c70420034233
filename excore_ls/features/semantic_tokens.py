"""Semantic tokens: fields, module names, prefixes, variables, chains, hooks."""

from __future__ import annotations

from excore_ls.analysis.resolve import fields, section_module
from excore_ls.analysis.results import Token
from excore_ls.analysis.session import FileAnalysis


def tokens(fa: FileAnalysis) -> list[Token]:
    cfg = fa.config
    index = fa.index
    known_fields = fields(index)
    out: list[Token] = []
    for section in cfg.sections:
        if section.field is not None:
            f = section.field
            start = f.start + 1 if f.quoted else f.start
            out.append(Token(start, start + len(f.text), "namespace"))
        if section.module is not None:
            m = section.module
            info = section_module(index, section)
            kind = "function" if info is not None and info.kind == "function" else "class"
            out.append(Token(m.start, m.start + len(m.name), kind, ("declaration",)))
        for p in section.params:
            key = p.key
            if key.prefix:
                out.append(Token(key.start, key.start + 1, "operator"))
            if section.is_root and not key.prefix:
                out.append(Token(key.name_start, key.end, "variable", ("declaration",)))
            else:
                out.append(
                    Token(key.name_start, key.end, "parameter" if not section.is_root else "macro")
                )
            for ref in p.refs:
                if ref.head is not None:
                    if ref.dollar:
                        out.append(Token(ref.head.start - 1, ref.head.start, "operator"))
                    is_field = ref.dollar and ref.head.text in known_fields
                    out.append(
                        Token(ref.head.start, ref.head.end, "namespace" if is_field else "class")
                    )
                if ref.member is not None:
                    out.append(Token(ref.member.start, ref.member.end, "class"))
                for link in ref.chain:
                    if link.attr is not None:
                        out.append(Token(link.attr.start, link.attr.end, "method"))
                for hook in ref.hooks:
                    out.append(Token(hook.start - 1, hook.end, "decorator"))
            for v in p.variables:
                if v.name is not None:
                    out.append(Token(v.name.start, v.name.end, "variable", ("readonly",)))
                for env in v.env:
                    out.append(Token(env.start, env.end, "macro"))
    return out
