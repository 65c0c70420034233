"""Go to definition and declaration."""

from __future__ import annotations

from excore.signatures import ModuleInfo
from excore_ls.analysis.resolve import leaf_place
from excore_ls.analysis.results import Place
from excore_ls.analysis.session import FileAnalysis
from excore_ls.analysis.target import target_at


def module_place(fa: FileAnalysis, info: ModuleInfo | None) -> Place | None:
    if info is None or fa.loaded is None:
        return None
    path = fa.loaded.source_path(info)
    if path is None:
        return None
    return Place(str(path), line=max(info.line, 1))


def expression_definition(fa: FileAnalysis, offset: int) -> list[Place] | None:
    """On a name or dotted path inside an ``&`` expression: where its value was written (the
    key of a top-level variable, of a computed value, or of a parameter of the resolved config).
    None when the offset is not on an operand of an expression."""
    from excore.config.loader import Leaf
    from excore_ls.analysis.computed import computed_values

    if not any(
        v.expr is not None
        for section in fa.config.sections
        for p in section.params
        for v in p.variables
    ):
        return None
    for result in computed_values(fa).values():
        value = result.leaf.value
        if not (value.start <= offset <= value.end) or result.var.expr is None:
            continue
        for operand in result.operands:
            if operand.name.start <= offset <= operand.name.end:
                node = operand.origin
                if isinstance(node, Leaf):
                    return [leaf_place(fa, node)]
                if node is not None:
                    return [Place(fa.file_key(node.file), node.start, node.end)]
                return []
    return None


def class_value_at(fa: FileAnalysis, offset: int) -> tuple[ModuleInfo | None, int, int] | None:
    """On the value of ``__class__ = "Name"``: the class it names and the value's range."""
    from excore.syntax.grammar import CLASS_KEY
    from excore_ls.analysis.resolve import section_module

    for section in fa.config.sections:
        p = section.param(CLASS_KEY)
        value = p.value if p is not None else None
        if value is not None and value.start <= offset <= value.end and p is not None:
            if p.key.prefix:
                return None
            return section_module(fa.index, section), value.start, value.end
    return None


def definition(fa: FileAnalysis, offset: int) -> list[Place]:
    in_expression = expression_definition(fa, offset)
    if in_expression is not None:
        return in_expression
    named = class_value_at(fa, offset)
    if named is not None:
        place = module_place(fa, named[0])
        return [place] if place else []
    t = target_at(fa, offset)
    if t is None:
        return []
    if t.kind == "header-module" or t.kind in ("hook", "python-module"):
        place = module_place(fa, t.module)
        return [place] if place else []
    if t.kind == "reference":
        if t.variable is not None:
            return [leaf_place(fa, t.variable)]
        place = module_place(fa, t.module)
        if place is not None and (t.ref is None or t.ref.member is None):
            return [place]
        if t.places:
            return [place for place, _ in t.places]
        return [place] if place else []
    if t.kind == "field":
        if t.places:
            return [place for place, _ in t.places]
        return []
    if t.kind == "variable":
        from excore.config.origins import variable_definitions

        return [leaf_place(fa, leaf) for leaf in variable_definitions(fa.merged, t.name)]
    if t.kind == "member":
        place = module_place(fa, t.module)
        return [place] if place else []
    if t.kind == "param":
        place = module_place(fa, t.module)
        return [place] if place else []
    if t.kind == "base" and t.path is not None and t.path.is_file():
        return [Place(str(t.path), 0, 0)]
    return []


def declaration(fa: FileAnalysis, offset: int) -> list[Place]:
    """The ``[Section]`` configuring the module under the cursor (in this file or a base)."""
    t = target_at(fa, offset)
    if t is None:
        return []
    if t.places:
        return [place for place, _ in t.places]
    return definition(fa, offset)
