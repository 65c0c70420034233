"""What the index says about names written in a config: fields, sections, references."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import TYPE_CHECKING

from excore.config.loader import Leaf
from excore.config.origins import SectionName
from excore.schema.index import WorkspaceIndex
from excore.signatures import MemberInfo, ModuleInfo
from excore.syntax.grammar import CLASS_KEY, Ident, Reference
from excore_ls.analysis.config import Section
from excore_ls.analysis.results import Place

if TYPE_CHECKING:
    from excore_ls.analysis.session import FileAnalysis


def fields(index: WorkspaceIndex | None) -> dict[str, str]:
    """Field -> registry: the primary fields, or every registry when none are declared."""
    if index is None:
        return {}
    primary = index.primary_fields()
    if primary is None:
        return {name: name for name in index.registry_names()}
    return dict(primary)


def registry_of(index: WorkspaceIndex | None, field_name: str) -> str | None:
    if index is None:
        return None
    registry = fields(index).get(field_name)
    if registry is not None:
        return registry
    return field_name if field_name in index.registries else None


def section_module(index: WorkspaceIndex | None, section: Section) -> ModuleInfo | None:
    """The registered module a section configures (its ``__class__`` when it names one)."""
    if index is None or section.module is None:
        return None
    name = section.module.name
    named = section.param(CLASS_KEY)
    if named is not None and named.value is not None and isinstance(named.value.data, str):
        cls = named.value.data
        registry = registry_of(index, section.field.text) if section.field is not None else None
        found = index.lookup(cls, registry) if registry is not None else None
        return found if found is not None else index.lookup(cls)
    if section.field is not None:
        registry = registry_of(index, section.field.text)
        if registry is not None:
            return index.lookup(name, registry)
        return index.lookup(name)
    return index.lookup(name)


def hooks(index: WorkspaceIndex | None) -> list[ModuleInfo]:
    if index is None:
        return []
    return [m for m in index.modules() if m.kind == "hook"]


@dataclass(slots=True)
class Resolved:
    """What a reference's head names, as the engine's model resolves it."""

    name: str
    kind: str = ""  # the engine's target kind: section, implicit, field, field-all, python
    variable: Leaf | None = None  # a top-level variable of that name (the write that counts)
    places: list[tuple[Place, str]] = dc_field(default_factory=list)  # (section, its path)
    module: ModuleInfo | None = None
    field: str | None = None  # "$Field"
    problem: str = ""


def resolve_reference(fa: FileAnalysis, ref: Reference) -> Resolved | None:
    """Resolve a reference's head with the engine (``excore.config.model.resolve``)."""
    from excore.config.model import resolve

    head = ref.head
    if head is None:
        return None
    result = Resolved(head.text)
    if not ref.dollar:
        variable = variables(fa).get(head.text)
        if variable is not None:
            result.variable = variable
    try:
        target, problem = resolve(fa.model, ref, fa.source)
    except Exception:  # navigation must survive any half-typed config
        return result
    if problem is not None:
        result.problem = problem.message
    if target is None:
        return result
    result.kind = target.kind
    result.module = target.info
    if target.kind in ("field", "field-all"):
        result.field = head.text
    if ref.member is not None:
        result.name = ref.member.text
    elif target.kind == "python":
        result.name = target.name
    modules = [target.module] if target.module is not None else list(target.modules)
    for module in modules:
        section = module.section
        result.places.append(
            (Place(fa.file_key(section.file), section.start, section.end), module.path)
        )
    return result


def dotted_module_name(ref: Reference) -> str:
    """``torch.nn.ReLU`` from the head and the attribute links written before any call."""
    return ".".join(i.text for i in ref.dotted_names)


def python_module_prefix(index: WorkspaceIndex | None, names: list[Ident]) -> int:
    """How many leading names form a registered Python module path (``torch.nn`` -> 2)."""
    if index is None or not names:
        return 0
    best = 0
    for count in range(1, len(names) + 1):
        dotted = ".".join(i.text for i in names[:count])
        info = index.lookup(dotted)
        if info is not None and info.kind == "module":
            best = count
    return best


def member_of(info: ModuleInfo | None, name: str) -> MemberInfo | None:
    return info.member(name) if info is not None else None


def param_annotation_targets(
    index: WorkspaceIndex | None, section: Section, key_name: str
) -> list[str]:
    info = section_module(index, section)
    if info is None:
        return []
    param = info.param(key_name)
    return list(param.annotation_targets) if param is not None else []


def matches_annotation(info: ModuleInfo, targets: list[str]) -> bool:
    if not targets:
        return False
    own = {info.target, *info.bases}
    return any(t in own for t in targets)


def variables(fa: FileAnalysis) -> dict[str, Leaf]:
    """The top-level variables of the engine's merged config (the write that counts)."""
    from excore.config.origins import variables as merged_variables

    cached = fa.memo.get("variables")
    if not isinstance(cached, dict):
        cached = fa.memo["variables"] = merged_variables(fa.merged)
    return cached


def module_places(fa: FileAnalysis, name: str) -> list[tuple[Place, str]]:
    """Every ``[..Name]`` header of module ``name`` in the family (the engine's merge order):
    the place of the name in the header, and the header's path."""
    return [
        (Place(fa.file_key(s.file), s.start, s.end), s.header) for s in sections_named(fa, name)
    ]


def leaf_place(fa: FileAnalysis, leaf: Leaf) -> Place:
    """Where the engine says a key was written (its key, in its file)."""
    return Place(fa.file_key(leaf.file), leaf.key.start, leaf.key.end)


def merged_params(fa: FileAnalysis, field_name: str, name: str) -> set[str]:
    """The parameters (names without prefix) the sections of module ``name`` in table
    ``field_name`` ("" for ``[Name]``) get in the engine's merged config."""
    from excore.config.loader import Section as TreeSection
    from excore.config.origins import merged_table
    from excore.syntax.grammar import strip_prefix

    out: set[str] = set()
    keys = {s.key for s in sections_named(fa, name) if s.table == field_name}
    for key in keys:
        table = merged_table(fa.merged, field_name, key)
        if table is None:
            continue
        for item, node in table.items.items():
            if isinstance(node, TreeSection) and not node.inline:
                continue
            out.add(strip_prefix(item))
    return out


def family_module_names(fa: FileAnalysis) -> set[str]:
    """The module names of every ``[Name]`` / ``[Table.Name]`` header of the family."""
    return {s.name for s in section_names(fa)}


def section_names(fa: FileAnalysis) -> list[SectionName]:
    """Every ``[Name]`` / ``[Table.Name]`` header of the family in the engine's merge order
    (read once per version)."""
    cached = fa.memo.get("section_names")
    if not isinstance(cached, list):
        from excore.config.origins import section_names as family_sections

        cached = fa.memo["section_names"] = family_sections(fa.merged)
    return cached


def sections_named(fa: FileAnalysis, name: str) -> list[SectionName]:
    """The headers of module ``name`` in the family, in merge order."""
    cached = fa.memo.get("sections_by_name")
    if isinstance(cached, dict):
        by_name: dict[str, list[SectionName]] = cached
    else:
        by_name = {}
        for section in section_names(fa):
            by_name.setdefault(section.name, []).append(section)
        fa.memo["sections_by_name"] = by_name
    return list(by_name.get(name, ()))
