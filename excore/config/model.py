"""The semantic model of a loaded config: module sections, parameters, variables, references.

Pure data over :mod:`excore.config.loader` and a :class:`~excore.signatures.SignatureSource`;
nothing is imported or built here. The builder, the checker and the language server share it.

Top-level tables are read as follows:

- ``[Field.Name]`` where ``Field`` is a primary field: the primary module ``Name`` of ``Field``;
- ``[Registry.Name]`` where ``Registry`` names a registry that is not a primary field: an
  intermediate module, built where it is referenced;
- ``[ConfigHook.Name]``: the parameters of the argument hook ``Name``;
- ``[Name]`` where ``Name`` is registered, or referenced by a ``!``/``@``/``$`` value: an
  intermediate module;
- ``[Group.Name]`` where ``Group`` is none of the above and only holds tables (see
  :func:`classify_group`): a misspelt field or registry (``unknown-field``), a **free group** of
  intermediate modules (``[Scratch.VGG]``, referenced as ``$Scratch``, ``$Scratch::VGG``,
  ``$Scratch::*``), or plain data;
- any other top-level key or table: a plain value (a variable, returned in ``run_info``).

A sub-table of a module whose key has a ``!``/``@``/``$`` prefix (``[Model.Net."$cls"]``) is a
dict of references: each of its keys gives one entry of the parameter's dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from excore.config.loader import Leaf, LoadedConfig, Section
from excore.problems import Problem, make_problem
from excore.safety import underscore_reason, unsafe_name
from excore.signatures import ModuleInfo, SignatureSource
from excore.syntax.grammar import (
    CLASS_KEY,
    MODULE_PREFIXES,
    NO_CALL_KEY,
    Ident,
    KeyNode,
    Reference,
    VariableValue,
    is_name,
    parse_module_name,
    parse_reference,
    parse_variable_value,
)
from excore.syntax.toml import Value, ValueKind

HOOK_TABLE = "ConfigHook"
FINEGRAINED_HOOK = "FinegrainedConfig"  # the hook a "Container*$Group::name" value applies
Role = Literal["primary", "intermediate", "hook"]
TargetKind = Literal["section", "implicit", "field", "field-all", "python"]


@dataclass(slots=True)
class RefUse:
    """One module name inside a ``!``/``@``/``$`` value."""

    ref: Reference  # offsets in ``file``
    value: Value  # the string node it was read from
    file: str


@dataclass(slots=True, init=False)
class ParamDef:
    """One parameter given in a section, with the references its value names."""

    leaf: Leaf
    refs: list[RefUse]  # for ! @ $ keys (a shared empty list otherwise)
    is_list: bool  # the value was a list of names
    variable: VariableValue | None  # for & keys
    # Copied from the leaf, which the checker and the builder then need not visit for a plain
    # parameter (they read these for every parameter of every module).
    name: str  # without the prefix
    prefix: str
    kind: ValueKind
    data: object  # the decoded scalar (None for arrays and tables)
    # '"$class_mapping" = "&class_mapping"': the names are those of a top-level variable
    indirect: Ident | None
    source_value: Value | None  # the variable's value the refs were read from

    def __init__(
        self,
        leaf: Leaf,
        refs: list[RefUse] | None = None,
        is_list: bool = False,
        variable: VariableValue | None = None,
    ) -> None:
        self.leaf = leaf
        self.refs = [] if refs is None else refs
        self.is_list = is_list
        self.variable = variable
        key, value = leaf.key, leaf.value
        self.name = key.name
        self.prefix = key.prefix
        self.kind = value.kind
        self.data = value.data
        self.indirect = None
        self.source_value = None

    @property
    def file(self) -> str:
        return self.leaf.file

    @property
    def path(self) -> str:
        return self.leaf.path


@dataclass(slots=True)
class RefTable:
    """``[Model.Net."$cls"]``: a parameter whose value is a dict of references."""

    name: str  # the parameter, without the prefix
    prefix: str
    section: Section
    entries: dict[str, ParamDef] = field(default_factory=dict)  # by entry key
    nested: list[Section] = field(default_factory=list)  # tables inside it: not references


@dataclass(slots=True)
class ModuleDef:
    """A section that defines (the parameters of) one module."""

    name: str  # as written, e.g. "FCN" or "Sequential*FinegrainedConfig"
    field_name: str | None  # the table it sits in ("Model" for [Model.FCN]); None for [Name]
    registry: str | None  # the registry its name must be found in; None: any
    role: Role
    section: Section
    params: dict[str, ParamDef] = field(default_factory=dict)  # by name without prefix
    conflicts: list[ParamDef] = field(default_factory=list)  # same name, another prefix
    nested: dict[str, Section] = field(default_factory=dict)  # dict-valued parameters
    no_call: bool = False
    class_leaf: Leaf | None = None  # '__class__ = "Compose"': the section names its class
    ref_tables: dict[str, RefTable] = field(default_factory=dict)  # "$cls" sub-tables
    fine: bool = False  # the parameters of a fine-grained value ("Container*$Group::name")

    @property
    def class_name(self) -> str | None:
        """The class a named instance gives with ``__class__`` (None: the section's name)."""
        leaf = self.class_leaf
        if leaf is None or not isinstance(leaf.value.data, str) or not leaf.value.data:
            return None
        return leaf.value.data

    @property
    def path(self) -> str:
        return self.section.path

    @property
    def file(self) -> str:
        return self.section.file

    @property
    def lookup_name(self) -> str:
        """The registered name (without a fine-grained ``*Suffix``); ``__class__`` if given."""
        name = self.name if self.class_leaf is None else (self.class_name or self.name)
        return parse_module_name(name).name if "*" in name else name

    @property
    def name_span(self) -> tuple[int, int]:
        """Offsets of the module name in the header (the last key part)."""
        return self.section.start, self.section.end


@dataclass(slots=True)
class Target:
    """What the head of a reference resolves to."""

    kind: TargetKind
    name: str  # the registered name, field name, or dotted Python path
    module: ModuleDef | None = None  # "section" / "field": the section that defines it
    modules: list[ModuleDef] = field(default_factory=list)  # "field-all"
    info: ModuleInfo | None = None
    consumed: int = 1  # how many dotted names of the reference the head used (python paths)


@dataclass(slots=True)
class ResolveProblem:
    """Why a reference could not be resolved, at offsets within its value."""

    code: str
    message: str
    start: int
    end: int
    data: dict[str, object] = field(default_factory=dict)


Resolved = tuple[Target | None, ResolveProblem | None]


@dataclass(slots=True)
class ConfigModel:
    """The modules, fields and variables of a loaded config, its references resolved."""

    loaded: LoadedConfig
    fields: dict[str, str]  # primary field -> registry
    variables: dict[str, Leaf | Section] = field(default_factory=dict)
    modules: list[ModuleDef] = field(default_factory=list)
    top_level: dict[str, ModuleDef] = field(default_factory=dict)  # [Name] sections
    by_name: dict[str, list[ModuleDef]] = field(default_factory=dict)  # in fields/registries
    hooks: dict[str, ModuleDef] = field(default_factory=dict)  # [ConfigHook.Name]
    # modules of every table that is not a primary field, by its name: registry tables
    # ([Head.FCNHead]), free groups ([Scratch.VGG]) and ConfigHook ($Group, $Group::Name)
    groups: dict[str, list[ModuleDef]] = field(default_factory=dict)
    # tables named by fine-grained values ("Container*$Group::name"), by key path: the
    # parameters of the FinegrainedConfig hook, read as a hook module
    fine: dict[tuple[str, ...], ModuleDef] = field(default_factory=dict)
    # class_only_modules()'s answer and the source it was computed with
    class_only: tuple[object, set[int]] | None = field(default=None, repr=False)
    problems: list[Problem] = field(default_factory=list)
    # resolve()'s answers by reference (the checker and the builder both ask for each one)
    resolved: dict[int, tuple[Reference, object, Resolved]] = field(
        default_factory=dict, repr=False
    )
    # the computed '&' values (excore.config.compute.computation_of), made when first asked for
    computation: Any = field(default=None, repr=False)
    # ParamDefs by leaf, shared by the models of one sweep's trials (their trees share leaves)
    param_cache: dict[int, ParamDef] | None = field(default=None, repr=False)

    def field_modules(self, name: str) -> list[ModuleDef]:
        return [m for m in self.modules if m.field_name == name and m.role == "primary"]

    def primary_modules(self) -> list[ModuleDef]:
        return [m for m in self.modules if m.role == "primary"]


def build_model(
    loaded: LoadedConfig,
    source: SignatureSource,
    param_cache: dict[int, ParamDef] | None = None,
) -> ConfigModel:
    """The model of ``loaded``. ``param_cache`` (a dict kept by the caller) lets the models of
    trees that share leaves (a sweep's trials) share the parameters read from them."""
    fields = source.primary_fields()
    registries = set(source.registry_names())
    if fields is None:
        fields = {name: name for name in sorted(registries)}
    model = ConfigModel(loaded, dict(fields))
    model.param_cache = param_cache
    referenced: set[str] | None = None  # read only when a table is neither registered nor a field
    group_refs: set[str] | None = None  # "$Group" names, read only for a table of tables
    fine_paths: set[tuple[str, ...]] = set()  # "*$Group::name" tables, read when needed
    fine_heads: set[str] | None = None
    for key in sorted(loaded.root.items):
        node = loaded.root.items[key]
        if isinstance(node, Leaf):
            # a computed top-level value ("&total" = "epochs * steps") is the variable "total"
            model.variables[node.key.name if node.key.prefix == "&" else key] = node
        elif key in fields:
            _read_group(model, node, key, fields[key], "primary", source)
        elif key == HOOK_TABLE:
            _read_group(model, node, key, None, "hook", source)
        elif key in registries:
            _read_group(model, node, key, key, "intermediate", source)
        elif key in (
            fine_heads
            if fine_heads is not None
            else (fine_heads := {path[0] for path in _finegrained_paths(loaded.root, fine_paths)})
        ):
            _read_fine_tables(model, node, key, fine_paths)
        elif node.inline:
            model.variables[key] = node
        elif isinstance(class_leaf := node.items.get(CLASS_KEY), Leaf):
            cls_name = class_leaf.value.data if isinstance(class_leaf.value.data, str) else ""
            cls_info = source.lookup(parse_module_name(cls_name).name) if cls_name else None
            kind: Role = (
                "hook" if cls_info is not None and cls_info.kind == "hook" else "intermediate"
            )
            model.top_level[key] = _read_module(model, node, key, None, None, kind)
        elif (info := source.lookup(key)) is not None:
            role: Role = "hook" if info.kind == "hook" else "intermediate"
            model.top_level[key] = _read_module(model, node, key, None, None, role)
        elif _looks_like_field(node):
            if group_refs is None:
                group_refs = _group_references(loaded.root)
            group_kind, misspelt = classify_group(key, node, fields, registries, source, group_refs)
            if group_kind == "free":
                _read_group(model, node, key, None, "intermediate", source, free=True)
            elif group_kind == "misspelt":
                model.problems.append(
                    make_problem(
                        "unknown-field",
                        f"'{key}' is not a primary field or registry (did you mean '{misspelt}'?)",
                        node.file,
                        node.start,
                        node.end,
                        key,
                        {"name": key, "suggestions": [misspelt]},
                    )
                )
            else:
                model.variables[key] = node
        elif key in (
            referenced := referenced if referenced is not None else _referenced_names(loaded.root)
        ) or (_has_prefixed_keys(node)):
            model.top_level[key] = _read_module(model, node, key, None, None, "intermediate")
        else:
            model.variables[key] = node
    return model


def _finegrained_paths(root: Section, paths: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """Add to ``paths`` (and return it) the key paths of the tables that fine-grained values
    name (``"Seq*$ConfigInfo::backbone"`` names ``("ConfigInfo", "backbone")``)."""
    stack = [root]
    while stack:
        section = stack.pop()
        for node in section.items.values():
            if isinstance(node, Section):
                stack.append(node)
                continue
            if node.key.prefix not in MODULE_PREFIXES:
                continue
            values = node.value.items if node.value.kind == "array" else [node.value]
            for value in values:
                if value.kind == "string" and isinstance(value.data, str) and "*" in value.data:
                    fine = parse_reference(value.data.strip()).fine
                    if fine is not None:
                        paths.add(fine.key)
    return paths


def _read_fine_tables(
    model: ConfigModel, node: Section, key: str, paths: set[tuple[str, ...]]
) -> None:
    """The tables below ``node`` that fine-grained values name become hook modules (upstream
    takes them out of the config); what else ``node`` holds stays plain data."""
    from dataclasses import replace

    if (key,) in paths:
        model.fine[(key,)] = _read_fine(model, node)
        return
    taken: set[str] = set()
    for path in sorted(p for p in paths if p[0] == key):
        table: Leaf | Section | None = node
        for part in path[1:]:
            table = table.items.get(part) if isinstance(table, Section) else None
        if isinstance(table, Section):
            model.fine[path] = _read_fine(model, table)
            if len(path) == 2:
                taken.add(path[1])
    rest = {name: child for name, child in node.items.items() if name not in taken}
    if rest:
        model.variables[key] = replace(node, items=rest) if taken else node


def _read_fine(model: ConfigModel, table: Section) -> ModuleDef:
    module = _read_module(model, table, FINEGRAINED_HOOK, None, None, "hook")
    module.fine = True
    return module


GroupKind = Literal["free", "misspelt", "data"]


def classify_group(
    key: str,
    node: Section,
    fields: dict[str, str],
    registries: set[str],
    source: SignatureSource,
    group_refs: set[str],
) -> tuple[GroupKind, str]:
    """What a top-level table of tables that is no field, registry or module is.

    1. ``misspelt``: its name is a misspelling of a field or registry (:func:`misspelling_of`)
       and no ``$Group`` reference names it -- ``unknown-field`` with the did-you-mean;
    2. ``free``: a ``$Group`` reference names it, or a sub-table names a registered module --
       a free group of intermediate modules (upstream's scratchpads);
    3. ``data``: anything else is plain data, returned in ``run_info``.
    Returns the kind and, for ``misspelt``, the field or registry meant.
    """
    referenced = key in group_refs
    if not referenced:
        meant = misspelling_of(key, [*fields, *sorted(registries)])
        if meant is not None:
            return "misspelt", meant
    if referenced:
        return "free", ""
    for name, child in node.items.items():
        if isinstance(child, Section) and isinstance(child.items.get(CLASS_KEY), Leaf):
            return "free", ""  # [Transforms.train] with __class__ = "Compose"
        lookup = parse_module_name(name).name if "*" in name else name
        if source.lookup(lookup) is not None:
            return "free", ""
    return "data", ""


def misspelling_of(name: str, known: list[str]) -> str | None:
    """The known name that ``name`` misspells, or None.

    A misspelling is at most one edit away (a changed, added, dropped or swapped letter; two
    edits for names of six letters or more), ignoring case, and is not the known name with
    letters added or dropped at either end (``Transforms``, ``Scratch1``, ``Head`` for
    ``CHead`` are other names, not typos).
    """
    best: tuple[int, str] | None = None
    low = name.lower()
    for candidate in known:
        if candidate == name:
            return None
        other = candidate.lower()
        if low != other and (low.startswith(other) or other.startswith(low)):
            continue
        if low != other and (low.endswith(other) or other.endswith(low)):
            continue
        limit = 1 if len(candidate) < 6 else 2
        distance = _edit_distance(low, other, limit)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, candidate)
    return None if best is None else best[1]


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count once), cut off above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def _group_references(root: Section) -> set[str]:
    """Names used as ``$Group`` in reference values and hooks (``$Scratch::VGG``,
    ``@$Hooks::Tag``): tables with these names are groups of modules."""
    names: set[str] = set()
    stack = [root]
    while stack:
        section = stack.pop()
        prefix = section.key.text[:1] if section.key is not None else ""
        for node in section.items.values():
            if isinstance(node, Section):
                stack.append(node)
                continue
            if node.key.prefix not in MODULE_PREFIXES and prefix not in MODULE_PREFIXES:
                continue
            values = node.value.items if node.value.kind == "array" else [node.value]
            for value in values:
                if value.kind == "string" and isinstance(value.data, str) and "$" in value.data:
                    ref = parse_reference(value.data.strip())
                    if ref.dollar and ref.head is not None:
                        names.add(ref.head.text)
                    names.update(group.text for group in ref.hook_groups if group is not None)
    return names


def _has_prefixed_keys(node: Section) -> bool:
    return any(isinstance(child, Leaf) and child.key.prefix for child in node.items.values())


def _looks_like_field(node: Section) -> bool:
    """``[Foo.Bar]`` with only tables inside: meant as a field of modules."""
    return bool(node.items) and all(
        isinstance(child, Section) and child.explicit for child in node.items.values()
    )


def _close(name: str, candidates: list[str] | set[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)


def _referenced_names(root: Section) -> set[str]:
    """Head names of every ``!``/``@``/``$`` value (to tell module sections from plain tables)."""
    names: set[str] = set()
    stack = [root]
    while stack:
        section = stack.pop()
        for node in section.items.values():
            if isinstance(node, Section):
                stack.append(node)
            elif node.key.prefix in MODULE_PREFIXES:
                values = node.value.items if node.value.kind == "array" else [node.value]
                for value in values:
                    if value.kind == "string" and isinstance(value.data, str):
                        text = value.data.strip()
                        head = text[1:] if text.startswith("$") else text
                        for stop in ".(@:*":
                            head = head.split(stop, 1)[0]
                        names.add(head)
    return names


def _read_group(
    model: ConfigModel,
    group: Section,
    field_name: str,
    registry: str | None,
    role: Role,
    source: SignatureSource,
    free: bool = False,
) -> None:
    members = model.groups.setdefault(field_name, []) if role != "primary" else None
    for name in sorted(group.items):
        node = group.items[name]
        if isinstance(node, Leaf):
            model.problems.append(
                make_problem(
                    "misplaced-value",
                    f"'{name}' is a value directly under '{field_name}'; parameters belong in "
                    f"[{field_name}.<Module>]",
                    node.file,
                    node.key.start,
                    node.key.end,
                    node.path,
                )
            )
            continue
        module_role = role
        class_leaf = node.items.get(CLASS_KEY)
        if isinstance(class_leaf, Leaf) and isinstance(class_leaf.value.data, str):
            cls_name = class_leaf.value.data
        else:
            cls_name = name
        if role != "hook":
            info = source.lookup(
                parse_module_name(cls_name).name if "*" in cls_name else cls_name, registry
            )
            if info is not None and info.kind == "hook":
                module_role = "hook"
        module = _read_module(model, node, name, field_name, registry, module_role)
        if members is not None:
            members.append(module)
        if module_role == "hook":
            if not free:  # a hook in a free group is named through it: "@$Group::Hook"
                model.hooks[name] = module
        else:
            # a named instance is found by its own name, not by its class
            found_as = module.name if module.class_leaf is not None else module.lookup_name
            model.by_name.setdefault(found_as, []).append(module)


def _read_module(
    model: ConfigModel,
    section: Section,
    name: str,
    field_name: str | None,
    registry: str | None,
    role: Role,
) -> ModuleDef:
    items = section.items
    params: dict[str, ParamDef] = {}
    nested: dict[str, Section] = _NO_NESTED
    conflicts: list[ParamDef] = _NO_CONFLICTS
    no_call = False
    class_leaf: Leaf | None = None
    ref_tables: dict[str, RefTable] = _NO_REF_TABLES
    for key in sorted(items):
        node = items[key]
        if isinstance(node, Section):
            if key[:1] in MODULE_PREFIXES and len(key) > 1:
                if ref_tables is _NO_REF_TABLES:
                    ref_tables = {}
                ref_tables[key[1:]] = read_ref_table(key[1:], key[0], node)
                continue
            if nested is _NO_NESTED:
                nested = {}
            nested[key] = node
            continue
        if key == NO_CALL_KEY:
            no_call = node.value.data is True
            continue
        if key == CLASS_KEY:
            class_leaf = node
            continue
        leaf_key = node.key
        cache = model.param_cache
        if cache is None:
            memo = node.memo  # read once per leaf: a cached parse's leaves come back each load
            if isinstance(memo, ParamDef):
                param = memo
            else:
                param = read_param(node) if leaf_key.prefix else ParamDef(node, _NO_REFS)
                node.memo = param
        else:
            cached = cache.get(id(node))
            if cached is not None and cached.leaf is node:
                param = cached
            else:
                param = read_param(node) if leaf_key.prefix else ParamDef(node, _NO_REFS)
                cache[id(node)] = param
        if param.indirect is not None:
            param = _read_indirect(model, param)
        bare = leaf_key.name
        if bare in params:
            if conflicts is _NO_CONFLICTS:
                conflicts = []
            conflicts.append(param)
        else:
            params[bare] = param
    module = ModuleDef(
        name,
        field_name,
        registry,
        role,
        section,
        params,
        conflicts,
        nested,
        no_call,
        class_leaf,
        ref_tables,
    )
    for param in module.conflicts:
        first = module.params[param.name]
        model.problems.append(
            make_problem(
                "name-conflict",
                f"parameter '{param.name}' is given twice: as '{first.leaf.key.text}' and "
                f"'{param.leaf.key.text}'",
                param.file,
                param.leaf.key.start,
                param.leaf.key.end,
                param.path,
            )
        )
    model.modules.append(module)
    return module


_NO_REFS: list[RefUse] = []  # shared by plain parameters: never appended to
_NO_NESTED: dict[str, Section] = {}  # shared by modules without them: never added to
_NO_CONFLICTS: list[ParamDef] = []
_NO_REF_TABLES: dict[str, RefTable] = {}


def read_ref_table(name: str, prefix: str, section: Section) -> RefTable:
    """``[Model.Net."$cls"]``: each key of the table is one entry of the dict of references,
    read as if it had the table's prefix (``a = "VGG"`` there is ``"$a" = "VGG"``)."""
    table = RefTable(name, prefix, section)
    for key in sorted(section.items):
        node = section.items[key]
        if isinstance(node, Section):
            table.nested.append(node)  # not a reference: the checker reports it
            continue
        leaf_key = node.key
        entry = Leaf(
            key=KeyNode(prefix, leaf_key.text, leaf_key.start, leaf_key.end, leaf_key.start),
            value=node.value,
            file=node.file,
            table_path=node.table_path,
        )
        table.entries[key] = read_param(entry)
    return table


def _read_indirect(model: ConfigModel, param: ParamDef) -> ParamDef:
    """``"$class_mapping" = "&class_mapping"``: the names come from the top-level variable
    (each reference located in the variable's own text). A fresh ParamDef: the cached one is
    shared by configs whose variables may differ."""
    assert param.indirect is not None
    fresh = ParamDef(param.leaf)
    fresh.indirect = param.indirect
    node = model.loaded.root.items.get(param.indirect.text)
    if not isinstance(node, Leaf):
        return fresh  # the checker reports the missing variable
    value = node.value
    fresh.source_value = value
    fresh.is_list = value.kind == "array"
    for item in value.items if fresh.is_list else [value]:
        if item.kind == "string" and isinstance(item.data, str):
            ref = parse_reference(item.data, item.content_start)
            fresh.refs.append(RefUse(ref, item, node.file))
    return fresh


def read_param(leaf: Leaf) -> ParamDef:
    """Read one parameter; references are parsed with the one grammar."""
    prefix = leaf.key.prefix
    if not prefix:
        return ParamDef(leaf, _NO_REFS)
    param = ParamDef(leaf)
    value = leaf.value
    if prefix in MODULE_PREFIXES:
        if value.kind == "array":
            param.is_list = True
            items = list(value.items)
        else:
            items = [value]
        text = value.data if value.kind == "string" and isinstance(value.data, str) else ""
        if text[:1] == "&" and is_name(text[1:]):  # the names held by a top-level variable
            param.indirect = Ident(text[1:], value.content_start + 1, value.content_end)
            return param
        for item in items:
            if item.kind == "string" and isinstance(item.data, str):
                ref = parse_reference(item.data, item.content_start)
                param.refs.append(RefUse(ref, item, leaf.file))
    elif prefix == "&" and value.kind == "string" and isinstance(value.data, str):
        param.variable = parse_variable_value(value.data, value.content_start)
    return param


def bad_prefix_values(param: ParamDef) -> list[Value]:
    """Values of a prefixed key that are not names (numbers, tables...)."""
    prefix = param.prefix
    value = param.leaf.value
    if prefix in MODULE_PREFIXES:
        if param.source_value is not None:
            value = param.source_value
        items = list(value.items) if value.kind == "array" else [value]
        return [item for item in items if item.kind != "string"]
    if prefix == "&" and value.kind != "string":
        return [value]
    return []


# -- resolution ----------------------------------------------------------------------------------


def class_only_modules(model: ConfigModel, source: SignatureSource) -> set[int]:
    """Ids of the module sections that references use only as classes (``$``).

    As upstream: such a section is not built (its parameters are not required), and a primary
    one gives its field the class itself. A ``!`` or ``@`` reference anywhere makes it built.
    Remembered in the model per source (the checker and the builder both ask).
    """
    cached = model.class_only
    if cached is not None and cached[0] is source:
        return cached[1]
    params: list[ParamDef] = []
    has_dollar = False
    for module in model.modules:
        for param in (*module.params.values(), *module.conflicts):
            if param.prefix in MODULE_PREFIXES:
                params.append(param)
                has_dollar = has_dollar or param.prefix == "$"
        for table in module.ref_tables.values():
            params.extend(table.entries.values())
            has_dollar = has_dollar or table.prefix == "$"
    result: set[int] = set()
    if has_dollar:
        classes: set[int] = set()
        built: set[int] = set()
        for param in params:
            into = classes if param.prefix == "$" else built
            for use in param.refs:
                if use.ref.head is None:
                    continue
                target, _ = resolve(model, use.ref, source)
                if target is None:
                    continue
                if target.kind == "field-all":
                    into.update(id(m) for m in target.modules)
                elif target.module is not None:
                    into.add(id(target.module))
        result = classes - built
    model.class_only = (source, result)
    return result


def resolve(model: ConfigModel, ref: Reference, source: SignatureSource) -> Resolved:
    """Resolve the head of a reference.

    ``$Field``, ``$Field::Name``, ``$Field::*`` name fields; ``$Name`` (not a field) and plain
    names resolve, in order, to a top-level ``[Name]`` section, a section defining ``Name`` in
    any field, an implicit registered module, or a member path of a registered Python module.
    The answer is remembered in the model, per reference and source (both are read-only).
    """
    cached = model.resolved.get(id(ref))
    if cached is not None and cached[0] is ref and cached[1] is source:
        return cached[2]
    head = ref.head
    if head is None:
        return None, None
    for link in ref.chain:  # before any lookup: a live source would reach the attribute
        if link.attr is not None and unsafe_name(link.attr.text):
            attr = link.attr
            result: Resolved = (
                None,
                ResolveProblem(
                    "unsafe-reference",
                    underscore_reason(attr.text),
                    attr.start,
                    attr.end,
                    {"name": attr.text},
                ),
            )
            model.resolved[id(ref)] = (ref, source, result)
            return result
    if ref.dollar and (
        head.text in model.fields or head.text in model.groups or ref.member is not None or ref.star
    ):
        result = _resolve_field(model, ref, head, source)
    else:
        result = _resolve_name(model, ref, head, source)
    model.resolved[id(ref)] = (ref, source, result)
    return result


def _resolve_field(
    model: ConfigModel, ref: Reference, head: Ident, source: SignatureSource
) -> tuple[Target | None, ResolveProblem | None]:
    field_name = head.text
    registry: str | None
    if field_name in model.fields:
        modules = model.field_modules(field_name)
        registry = model.fields[field_name]
    elif field_name in model.groups:  # [Head.FCNHead], [Scratch.VGG]: a table of modules
        modules = model.groups[field_name]
        registry = modules[0].registry if modules else None
    else:
        suggestions = _close(field_name, [*model.fields, *model.groups])
        hint = f" (did you mean '{suggestions[0]}'?)" if suggestions else ""
        return None, ResolveProblem(
            "unknown-field",
            f"'{field_name}' is not a primary field or a table of modules in this config{hint}",
            head.start,
            head.end,
            {"name": field_name, "suggestions": suggestions},
        )
    if ref.star:
        return Target("field-all", field_name, modules=modules), None
    if ref.member is not None:
        member = ref.member
        for module in modules:
            if module.name == member.text or module.lookup_name == member.text:
                return Target(
                    "field", field_name, module, info=source.lookup(module.lookup_name, registry)
                ), None
        names = [m.name for m in modules]
        suggestions = _close(member.text, names)
        hint = f" (did you mean '{suggestions[0]}'?)" if suggestions else ""
        return None, ResolveProblem(
            "unknown-module",
            f"field '{field_name}' defines no module '{member.text}'{hint}",
            member.start,
            member.end,
            # "context": what a field defines depends on the config that includes a fragment
            {"name": member.text, "suggestions": suggestions, "context": True},
        )
    if len(modules) == 1:
        module = modules[0]
        return Target(
            "field", field_name, module, info=source.lookup(module.lookup_name, registry)
        ), None
    if not modules:
        return None, ResolveProblem(
            "bad-reference",
            f"field '{field_name}' defines no module in this config",
            head.start,
            head.end,
            {"name": field_name, "context": True},
        )
    listed = ", ".join(sorted(m.name for m in modules))
    return None, ResolveProblem(
        "ambiguous-name",
        f"field '{field_name}' has several modules ({listed}); write '${field_name}::<Name>'",
        head.start,
        head.end,
        {"name": field_name, "candidates": sorted(m.name for m in modules)},
    )


def _resolve_name(
    model: ConfigModel, ref: Reference, head: Ident, source: SignatureSource
) -> tuple[Target | None, ResolveProblem | None]:
    name = head.text
    top = model.top_level.get(name)
    if top is not None:
        return Target("section", name, top, info=_module_info(top, source)), None
    defs = model.by_name.get(name, [])
    if len(defs) == 1:
        module = defs[0]
        return Target("section", name, module, info=_module_info(module, source)), None
    if len(defs) > 1:
        where = ", ".join(sorted(f"[{m.path}]" for m in defs))
        return None, ResolveProblem(
            "ambiguous-name",
            f"'{name}' is defined by several sections ({where}); write '$<Field>::{name}'",
            head.start,
            head.end,
            {"name": name, "candidates": sorted(m.path for m in defs)},
        )
    infos = source.lookup_all(name)
    distinct = {info.target for info in infos}
    if len(distinct) > 1:
        regs = ", ".join(sorted(info.registry for info in infos))
        return None, ResolveProblem(
            "ambiguous-name",
            f"'{name}' is registered in several registries ({regs})",
            head.start,
            head.end,
            {"name": name, "candidates": sorted(info.registry for info in infos)},
        )
    if infos:
        info = infos[0]
        if info.kind != "module":
            return Target("implicit", name, info=info), None
        return _resolve_python_path(ref, info, source)
    suggestions = _close(name, [*source.names(), *model.top_level, *model.by_name])
    hint = f" (did you mean '{suggestions[0]}'?)" if suggestions else ""
    return None, ResolveProblem(
        "unknown-module",
        f"'{name}' is not a registered module or a section of this config{hint}",
        head.start,
        head.end,
        {"name": name, "suggestions": suggestions},
    )


def _module_info(module: ModuleDef, source: SignatureSource) -> ModuleInfo | None:
    """What a section builds: its registered class (``__class__`` when given)."""
    name = module.lookup_name
    info = source.lookup(name, module.registry)
    if info is None and module.class_leaf is not None:
        info = source.lookup(name)
    return info


def _resolve_python_path(
    ref: Reference, root: ModuleInfo, source: SignatureSource
) -> tuple[Target | None, ResolveProblem | None]:
    """``torch.nn.ReLU`` below a registered Python module: the longest known dotted path."""
    names = ref.dotted_names
    best = Target("python", root.name, info=root, consumed=1)
    for i in range(2, len(names) + 1):
        dotted = ".".join(n.text for n in names[:i])
        info = source.lookup(dotted)
        if info is None:
            return best, _not_a_member(best, names[i - 1], source)
        if info.refused:
            name = names[i - 1]
            return None, ResolveProblem(
                "unsafe-reference", info.refused, name.start, name.end, {"name": dotted}
            )
        best = Target("python", dotted, info=info, consumed=i)
    return best, None


def _not_a_member(parent: Target, name: Ident, source: SignatureSource) -> ResolveProblem | None:
    """``torch.nn.GELLU``: an unknown name below a Python module whose members the source
    knows (the index walked it, or the live module was imported). Below a module the source
    does not know in full nothing can be said."""
    info = parent.info
    if info is None or info.kind != "module":
        return None
    members = source.members_of(info)
    if not members or any(m.name == name.text for m in members):
        return None
    candidates = [m.name for m in members if not m.name.startswith("_")]
    suggestions = _close(name.text, candidates)
    hint = f" (did you mean '{suggestions[0]}'?)" if suggestions else ""
    return ResolveProblem(
        "unknown-module",
        f"'{name.text}' is not a member of the Python module '{parent.name}'{hint}",
        name.start,
        name.end,
        {"name": name.text, "suggestions": suggestions},
    )


# -- sweep axes ----------------------------------------------------------------------------------

AxisTargetKind = Literal["param", "variable", "value"]


@dataclass(slots=True)
class AxisTarget:
    """Where a sweep axis (``"Optimizer.SGD.lr"``, ``"&batch_size"``) lands in the config."""

    kind: AxisTargetKind  # a module's parameter, a top-level variable, a plain table's value
    table: tuple[str, ...]  # the path of the table that receives the key (() at the top level)
    key: str  # the key written there (with the axis's prefix, if any)
    module: ModuleDef | None = None
    info: ModuleInfo | None = None
    replaces: str | None = None  # the key of the config it replaces (whatever its prefix)


def resolve_axis(
    model: ConfigModel, parts: list[str], source: SignatureSource
) -> tuple[AxisTarget | None, ResolveProblem | None]:
    """Resolve an axis key path against the resolved config. Problem offsets are part indexes:
    ``start``/``end`` of the returned problem number the parts (``start`` = ``end`` - 1 = the part
    at fault), and the caller turns them into offsets."""
    from excore.syntax.grammar import parse_key

    root = model.loaded.root
    if len(parts) == 1:
        key = parse_key(parts[0])
        if key.prefix not in ("", "&"):
            return None, ResolveProblem(
                "bad-axis",
                f"'{parts[0]}': a top-level axis names a variable ('&name' or 'name')",
                0,
                1,
            )
        node = root.items.get(key.name)
        if isinstance(node, Section) and not node.inline:
            return None, ResolveProblem(
                "bad-axis",
                f"'{key.name}' is a table; an axis names a value (e.g. '{key.name}.<key>')",
                0,
                1,
            )
        if node is None:
            names = [k for k, v in root.items.items() if isinstance(v, Leaf) or v.inline]
            suggestions = _close(key.name, names)
            hint = f" (did you mean '{suggestions[0]}'?)" if suggestions else ""
            return None, ResolveProblem(
                "bad-axis",
                f"the config has no top-level variable '{key.name}'{hint}",
                0,
                1,
                {"name": key.name, "suggestions": suggestions},
            )
        return AxisTarget("variable", (), key.name, replaces=key.name), None
    section = root
    for i, part in enumerate(parts[:-1]):
        child = section.items.get(part)
        if not isinstance(child, Section):
            names = [k for k, v in section.items.items() if isinstance(v, Section)]
            suggestions = _close(part, names)
            hint = f" (did you mean '{suggestions[0]}'?)" if suggestions else ""
            where = f"[{section.path}]" if section.path else "the config"
            return None, ResolveProblem(
                "bad-axis",
                f"{where} has no table '{part}'{hint}",
                i,
                i + 1,
                {"name": part, "suggestions": suggestions},
            )
        section = child
    last = parse_key(parts[-1])
    table = tuple(parts[:-1])
    replaces = next((k for k in section.items if parse_key(k).name == last.name), None)
    module = next((m for m in model.modules if m.section is section), None)
    n = len(parts)
    if module is None:
        if replaces is None:
            names = [parse_key(k).name for k in section.items]
            suggestions = _close(last.name, names)
            hint = f" (did you mean '{suggestions[0]}'?)" if suggestions else ""
            return None, ResolveProblem(
                "bad-axis",
                f"[{section.path}] has no key '{last.name}'{hint}",
                n - 1,
                n,
                {"name": last.name, "suggestions": suggestions},
            )
        return AxisTarget("value", table, parts[-1], replaces=replaces), None
    info = source.lookup(module.lookup_name, module.registry)
    if info is None and "." in module.lookup_name:
        info = source.lookup(module.lookup_name)
    if replaces is None and info is not None and info.signature_known:
        named = [p.name for p in info.params if p.kind in ("positional", "keyword")]
        open_ended = any(p.kind == "var_keyword" for p in info.params)
        if last.name not in named and not open_ended:
            suggestions = _close(last.name, named)
            hint = f" (did you mean '{suggestions[0]}'?)" if suggestions else ""
            return None, ResolveProblem(
                "bad-axis",
                f"{info.name} has no parameter '{last.name}'{hint}",
                n - 1,
                n,
                {"name": last.name, "suggestions": suggestions, "module": info.name},
            )
    return AxisTarget("param", table, parts[-1], module, info, replaces), None
