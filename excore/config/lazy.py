"""``LazyConfig``: a loaded config whose modules are built on demand.

``lazy_cfg.Model()`` / ``lazy_cfg["Model"]()`` builds one field; ``lazy_cfg.Model << dict(lr=0.1)``
and ``lazy_cfg.Model.add(lr=0.1)`` change parameters before building; ``lazy_cfg.build_all()``
builds every primary field; ``print(lazy_cfg)`` shows the resolved config as a table and
``lazy_cfg.dump(path)`` writes it back as TOML.

Parameter updates whose values TOML can hold are merged into the config text (as a file called
``<overrides>``), so they are validated, printed and dumped like the rest; other Python objects
are passed to the constructor as they are.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from excore.config.build import Builder, FieldModules, section_to_python
from excore.config.loader import (
    Leaf,
    LoadedConfig,
    Section,
    SourceFile,
    array_elements,
    merge_into,
)
from excore.config.model import ConfigModel, ModuleDef, build_model
from excore.errors import CoreConfigParseError, ExcoreError, ModuleValidateError
from excore.problems import Problem, Severity
from excore.syntax.grammar import strip_prefix

if TYPE_CHECKING:
    from excore.signatures import MemberInfo, ModuleInfo, SignatureSource
    from excore.workspace import Workspace

__all__ = ["OVERRIDES_FILE", "FieldNode", "LazyConfig", "ModuleDict", "validation_enabled"]

OVERRIDES_FILE = "<overrides>"
#: Past this many values, ``excore print``/``build`` and ``str(cfg)`` print one plain line per
#: value instead of a table (a rich table costs about half a millisecond a row).
PLAIN_OUTPUT_VALUES = 2000


def validation_enabled() -> bool:
    """``EXCORE_VALIDATE=0`` (or false/no/off), or ``excore.workspace.excore_validate = False``
    (upstream's switch), turns validation before building off."""
    from excore import workspace

    if not workspace.excore_validate:
        return False
    return os.environ.get("EXCORE_VALIDATE", "1").strip().lower() not in ("0", "false", "no", "off")


_UNSEEN = object()


class MemoSource:
    """A signature source that remembers every answer of the one it wraps.

    The model and the checker ask about the same names many times; the registries do not change
    while one config is checked and built (a :class:`LazyConfig` makes a new one on updates).
    """

    def __init__(self, source: SignatureSource) -> None:
        self.inner = source
        self._lookup: dict[tuple[str, str | None], ModuleInfo | None] = {}
        self._lookup_all: dict[str, list[ModuleInfo]] = {}
        self._names: dict[str | None, list[str]] = {}
        self._registry_names: list[str] | None = None

    def registry_names(self) -> list[str]:
        if self._registry_names is None:
            self._registry_names = list(self.inner.registry_names())
        return self._registry_names

    def lookup(self, name: str, registry: str | None = None) -> ModuleInfo | None:
        key = (name, registry)
        found = self._lookup.get(key, _UNSEEN)
        if found is _UNSEEN:
            found = self._lookup[key] = self.inner.lookup(name, registry)
        return found  # type: ignore[return-value]

    def lookup_all(self, name: str) -> list[ModuleInfo]:
        try:
            return self._lookup_all[name]
        except KeyError:
            found = self._lookup_all[name] = list(self.inner.lookup_all(name))
            return found

    def names(self, registry: str | None = None) -> list[str]:
        try:
            return self._names[registry]
        except KeyError:
            found = self._names[registry] = list(self.inner.names(registry))
            return found

    def primary_fields(self) -> dict[str, str] | None:
        return self.inner.primary_fields()

    def members_of(self, info: ModuleInfo) -> list[MemberInfo]:
        return self.inner.members_of(info)


class ModuleDict(dict[str, Any]):
    """The built primary fields: ``modules.Model`` and ``modules["Model"]``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            known = ", ".join(sorted(self)) or "none"
            raise AttributeError(f"no primary field {name!r} was built (built: {known})") from None


class LazyConfig:
    """A loaded, merged config and the signature source it is checked against."""

    def __init__(
        self,
        loaded: LoadedConfig,
        source: SignatureSource,
        workspace: Workspace | None = None,
    ) -> None:
        self._loaded = loaded
        self._live = source
        self._source: SignatureSource = MemoSource(source)
        self.workspace = workspace
        self._model: ConfigModel | None = None
        self._overrides: dict[str, dict[str, Any]] = {}
        self._override_lines: list[str] = []
        self._override_paths: list[tuple[str, ...]] = []
        self._validated = False
        self._builder: Builder | None = None

    # -- the model ---------------------------------------------------------------------------

    @property
    def path(self) -> str:
        return self._loaded.path

    @property
    def loaded(self) -> LoadedConfig:
        return self._loaded

    @property
    def source(self) -> SignatureSource:
        return self._source

    @property
    def model(self) -> ConfigModel:
        if self._model is None:
            self._model = build_model(self._loaded, self._source)
        return self._model

    @property
    def primary_fields(self) -> dict[str, str]:
        return dict(self.model.fields)

    def _changed(self) -> None:
        self._source = MemoSource(self._live)
        self._model = None
        self._validated = False
        self._builder = None

    def text_of(self, file: str) -> str | None:
        source = self._loaded.files.get(file)
        return source.text if source is not None else None

    # -- checking ----------------------------------------------------------------------------

    def check(self, report_missing: bool = True) -> list[Problem]:
        """Every problem the checker finds (errors, warnings and hints), sorted."""
        from excore.config.check import CheckOptions, check_model

        model = self.model
        return check_model(model, self._source, CheckOptions(report_missing=report_missing))

    def validate(self) -> None:
        """Raise :class:`ModuleValidateError` with **all** errors, before any constructor runs."""
        if self._validated:
            return
        problems = self.check()
        errors = [p for p in problems if p.severity == Severity.ERROR]
        if (
            errors
            and _manual_set_allowed()
            and (self.workspace is None or self.workspace.manual_set)
        ):
            errors = self._ask_missing(errors)
        if errors:
            raise ModuleValidateError(errors, self.text_of)
        self._validated = True

    def _ask_missing(self, errors: list[Problem]) -> list[Problem]:
        """Prompt on the terminal for missing parameters (``EXCORE_MANUAL_SET=1``)."""
        remaining = []
        for problem in errors:
            missing = problem.data.get("missing")
            if problem.code != "missing-param" or problem.data.get("implicit") or not missing:
                remaining.append(problem)
                continue
            assert isinstance(missing, list)
            for name in missing:
                value = _prompt_value(f"{problem.key}.{name}")
                self._overrides.setdefault(problem.key, {})[name] = value
        if len(remaining) != len(errors):
            self._builder = None
        return remaining

    # -- building ----------------------------------------------------------------------------

    def builder(self) -> Builder:
        if self._builder is None:
            self._builder = Builder(self.model, self._source, self._overrides)
        return self._builder

    def _prepare(self) -> Builder:
        if validation_enabled() and (self.workspace is None or self.workspace.validate):
            self.validate()
        return self.builder()

    def build_field(self, name: str) -> Any:
        self._field_modules(name)
        return self._prepare().build_field(name)

    def build_module(self, module: ModuleDef) -> Any:
        return self._prepare().build_module(module, "shared", None)

    def build_all(self) -> tuple[ModuleDict, dict[str, Any]]:
        """(primary modules by field, isolated top-level values)."""
        builder = self._prepare()
        modules = ModuleDict(builder.build_primary())
        return modules, self.run_info()

    def run_info(self) -> dict[str, Any]:
        """The isolated (plain) top-level values, as Python data."""
        out: dict[str, Any] = {}
        root = self._loaded.root
        elements = array_elements(root)
        for name in sorted(self.model.variables):
            if name in elements:
                continue  # given below, as the list [[name]] wrote
            node = self.model.variables[name]
            if isinstance(node, Leaf) and node.key.prefix == "&":
                out[name] = self.builder().computed_value(node)
                continue
            out[name] = (
                node.value.to_python() if isinstance(node, Leaf) else section_to_python(node)
            )
        for name, tables in (root.arrays or {}).items():
            out[name] = [section_to_python(t) for t in tables]
        return out

    # -- access ------------------------------------------------------------------------------

    def _field_modules(self, name: str) -> list[ModuleDef]:
        model = self.model
        if name not in model.fields:
            raise KeyError(
                f"{name!r} is not a primary field (fields: {', '.join(sorted(model.fields))})"
            )
        modules = model.field_modules(name)
        if not modules:
            raise KeyError(f"field {name!r} defines no module in {self.path}")
        return modules

    def __getitem__(self, name: str) -> FieldNode:
        self._field_modules(name)
        return FieldNode(self, name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as exc:
            node = self.model.variables.get(name)
            if node is not None:  # upstream: cfg.Test gives the plain value of [Test]
                return node.value.to_python() if isinstance(node, Leaf) else section_to_python(node)
            raise AttributeError(exc.args[0]) from None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self.model.field_modules(name))

    def fields(self) -> list[str]:
        """Primary fields that have a module in this config."""
        return [f for f in sorted(self.model.fields) if self.model.field_modules(f)]

    # -- updating ----------------------------------------------------------------------------

    def update(self, updates: Mapping[str, Any]) -> LazyConfig:
        """Merge nested (or dotted-key) updates on top of the config, like one more base file."""
        flat = dict(_flatten(updates))
        self._apply(flat)
        return self

    def set_params(self, module_path: str, params: Mapping[str, Any]) -> None:
        """Update parameters of the module at ``module_path`` (``"Model.FCN"``)."""
        parts = tuple(module_path.split("."))
        self._apply({(*parts, key): value for key, value in params.items()})

    def _apply(self, flat: dict[tuple[str, ...], Any]) -> None:
        lines: list[str] = []
        for path in sorted(flat, key=lambda p: (len(p) > 1, p)):
            value = flat[path]
            literal = toml_literal(value)
            if literal is None:
                parent = ".".join(path[:-1])
                self._overrides.setdefault(parent, {})[_bare(path[-1])] = value
                continue
            lines.append(_override_line(path, literal))
        if lines:
            self._merge_override_text(lines)
        self._changed()

    def apply_text_overrides(self, assignments: Iterable[str]) -> None:
        """Overrides in the one grammar of :mod:`excore.syntax.override`, applied in order:
        ``KEY=VALUE`` replaces a value the config has, ``+KEY=VALUE`` adds one it lacks (checked
        against the module's signature), ``~KEY`` deletes a key path, ``Field=Name`` swaps a
        primary field's module. An unknown key is a :class:`CoreConfigParseError` with a
        did-you-mean."""
        from excore.syntax.override import parse_override

        try:
            for assignment in assignments:
                override = parse_override(assignment)
                if override.problems:
                    raise CoreConfigParseError(
                        f"override {assignment!r}: {override.problems[0].message}"
                    )
                path = override.path
                if override.kind == "delete":
                    self._delete_override(path, assignment)
                elif len(path) == 1 and path[0] in self.model.fields and override.raw:
                    self._swap_override(path[0], override.raw, assignment)
                else:
                    self._check_override_key(path, assignment, adding=override.kind == "add")
                    self._merge_override_text([_override_line(path, override.literal)], [path])
                self._changed()
        finally:
            self._changed()

    def _delete_override(self, path: tuple[str, ...], shown: str) -> None:
        from excore.config.loader import delete_path

        message = delete_path(self._loaded.root, ".".join(path))
        if message is not None:
            message = message.replace("is not defined by the bases", "is not in the config")
            message = message.replace("they have no", "the config has no")
            raise CoreConfigParseError(f"override {shown!r}: {message}")
        self._forget_override_lines(path)

    def _swap_override(self, field_name: str, raw: str, shown: str) -> None:
        """``Model=SmallCNN``: the field's modules replaced by ``[Model.SmallCNN]``."""
        import difflib

        name = raw
        if raw[:1] in "\"'" and len(raw) > 1 and raw[-1] == raw[0]:
            name = raw[1:-1]
        registry = self.model.fields[field_name]
        if self._source.lookup(name, registry) is None and self._source.lookup(name) is None:
            close = difflib.get_close_matches(
                name, sorted(self._source.names(registry)), n=1, cutoff=0.6
            )
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise CoreConfigParseError(
                f"override {shown!r}: '{name}' is not registered in registry '{registry}'{hint}"
            )
        root = self._loaded.root
        root.items.pop(field_name, None)
        self._forget_override_lines((field_name,))
        if OVERRIDES_FILE not in self._loaded.files:
            self._loaded.files[OVERRIDES_FILE] = SourceFile(OVERRIDES_FILE, "")
        group = Section(field_name, {}, OVERRIDES_FILE, 0, 0, True)
        group.items[name] = Section(f"{field_name}.{name}", {}, OVERRIDES_FILE, 0, 0, True)
        root.items[field_name] = group

    def _forget_override_lines(self, path: tuple[str, ...]) -> None:
        """Earlier override lines at or below a deleted path (they would come back)."""
        bare = tuple(_bare(x) for x in path)
        keep = [
            i
            for i, p in enumerate(self._override_paths)
            if tuple(_bare(x) for x in p[: len(path)]) != bare
        ]
        self._override_lines = [self._override_lines[i] for i in keep]
        self._override_paths = [self._override_paths[i] for i in keep]

    def _check_override_key(self, path: tuple[str, ...], shown: str, adding: bool = False) -> None:
        """``KEY=VALUE`` needs the key in the config; ``+KEY=VALUE`` needs it absent and
        accepted by the module's signature (or at the top level, a new variable)."""
        import difflib

        section: Section = self._loaded.root
        for depth, part in enumerate(path[:-1]):
            child = section.items.get(part)
            if not isinstance(child, Section):
                names = [k for k, v in section.items.items() if isinstance(v, Section)]
                where = ".".join(path[:depth]) or "the top level"
                raise CoreConfigParseError(
                    f"override {shown!r}: {where} has no table '{part}'"
                    + _did_you_mean(part, names)
                )
            section = child
        name = path[-1]
        where = ".".join(path[:-1]) or "the top level"
        present = name in section.items or any(_bare(k) == _bare(name) for k in section.items)
        if present and not adding:
            return
        if present:
            raise CoreConfigParseError(
                f"override {shown!r}: {where} already has '{_bare(name)}' "
                f"(write {'.'.join(path)}=VALUE to replace it)"
            )
        module = next((m for m in self.model.modules if m.path == ".".join(path[:-1])), None)
        candidates = [_bare(k) for k in section.items]
        accepted = module is None and len(path) == 1  # a new top-level variable
        if module is not None:
            info = self._source.lookup(module.lookup_name, module.registry)
            if info is None and module.class_leaf is not None:
                info = self._source.lookup(module.lookup_name)
            if info is not None:
                accepted = info.accepts_var_keyword or info.param(_bare(name)) is not None
                candidates += [p.name for p in info.params]
            else:
                accepted = True  # the checker reports the unknown module itself
        if adding and accepted:
            return
        others = sorted(set(candidates) - {_bare(name)})
        close = difflib.get_close_matches(_bare(name), others, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        if accepted and not adding:
            hint += f"; to add it, write +{'.'.join(path)}=VALUE"
        raise CoreConfigParseError(f"override {shown!r}: {where} has no key '{name}'{hint}")

    def _merge_override_text(
        self, lines: list[str], paths: list[tuple[str, ...]] | None = None
    ) -> None:
        from excore.syntax.toml import parse_toml

        self._override_lines.extend(lines)
        self._override_paths.extend(paths or [() for _ in lines])
        text = "\n".join(self._override_lines) + "\n"
        doc = parse_toml(text, OVERRIDES_FILE)
        tree, tree_problems = doc.to_tree()
        problems = [p for p in [*doc.problems, *tree_problems] if p.severity == Severity.ERROR]
        source = SourceFile(OVERRIDES_FILE, text)
        if problems:
            from excore.errors import error_from_problem

            raise error_from_problem(problems[0], source.lines)
        self._loaded.files[OVERRIDES_FILE] = source
        merge_into(self._loaded.root, tree)

    # -- showing -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The resolved, inherited config as plain data (keys as written)."""
        return section_to_python(self._loaded.root)

    def table(self) -> Any:
        """A rich table of the resolved config: each value and the file:line it comes from."""
        from rich.table import Table

        table = Table(title=os.path.basename(self.path), show_lines=True)
        table.add_column("Key", style="bold", overflow="fold")
        table.add_column("Value", overflow="fold")
        table.add_column("Written at", style="dim", overflow="fold")
        root = self._loaded.root
        for key, node in root.items.items():
            if isinstance(node, Leaf):
                table.add_row(
                    key, _show(node.value.to_python()), self._origin(node.file, node.key.start)
                )
        for key, node in root.items.items():
            if isinstance(node, Section):
                self._section_rows(table, key, node)
        return table

    def _section_rows(self, table: Any, path: str, section: Section) -> None:
        from rich.table import Table

        leaves = [(k, n) for k, n in section.items.items() if isinstance(n, Leaf)]
        children = [(k, n) for k, n in section.items.items() if isinstance(n, Section)]
        if leaves or not children:
            inner = Table(show_header=False, box=None, pad_edge=False)
            inner.add_column("param", style="cyan", no_wrap=True)
            inner.add_column("value", overflow="fold")
            inner.add_column("at", style="dim", no_wrap=True)
            for key, leaf in leaves:
                origin = self._origin(leaf.file, leaf.key.start, short=True)
                inner.add_row(key, _show(leaf.value.to_python()), origin)
            table.add_row(path, inner, self._origin(section.file, section.start))
        for key, child in children:
            self._section_rows(table, f"{path}.{key}", child)

    def value_count(self) -> int:
        """How many values (non-table entries) the resolved config holds."""
        count = 0
        stack = [self._loaded.root]
        while stack:
            section = stack.pop()
            for node in section.items.values():
                if isinstance(node, Section):
                    stack.append(node)
                else:
                    count += 1
        return count

    def plain_lines(self) -> Iterator[str]:
        """The resolved config one value a line, ``key.path = value  # file:line``, in the
        table's order: what ``excore print`` shows past :data:`PLAIN_OUTPUT_VALUES` values, where
        a rich table costs about half a millisecond a row."""
        shown: dict[str, str] = {}

        def origin(file: str, offset: int) -> str:
            source = self._loaded.files.get(file)
            if source is None:
                return file
            name = shown.get(file)
            if name is None:
                name = shown[file] = file if file.startswith("<") else os.path.relpath(file)
            return f"{name}:{source.lines.position(offset)[0] + 1}"

        root = self._loaded.root
        for key, node in root.items.items():
            if isinstance(node, Leaf):
                yield f"{key} = {_show(node.value.to_python())}  # {origin(node.file, node.key.start)}"
        stack = [(k, n) for k, n in reversed(root.items.items()) if isinstance(n, Section)]
        while stack:
            path, section = stack.pop()
            leaves = [(k, n) for k, n in section.items.items() if isinstance(n, Leaf)]
            children = [(k, n) for k, n in section.items.items() if isinstance(n, Section)]
            if not leaves and not children:
                yield f"{path} = {{}}  # {origin(section.file, section.start)}"
            for key, leaf in leaves:
                value = _show(leaf.value.to_python())
                yield f"{path}.{key} = {value}  # {origin(leaf.file, leaf.key.start)}"
            stack.extend((f"{path}.{k}", n) for k, n in reversed(children))

    def _origin(self, file: str, offset: int, short: bool = False) -> str:
        source = self._loaded.files.get(file)
        if source is None:
            return file
        line, _ = source.lines.position(offset)
        if file.startswith("<"):
            shown = file
        elif short:
            shown = os.path.basename(file)
        else:
            shown = os.path.relpath(file)
        return f"{shown}:{line + 1}"

    def __str__(self) -> str:
        from io import StringIO

        from rich.console import Console

        if self.value_count() > PLAIN_OUTPUT_VALUES:
            return "\n".join(self.plain_lines())
        buffer = StringIO()
        Console(file=buffer, width=120, color_system=None, soft_wrap=False).print(self.table())
        return buffer.getvalue().rstrip("\n")

    def __repr__(self) -> str:
        return f"LazyConfig({self.path!r}, fields={self.fields()})"

    def __rich__(self) -> Any:
        return self.table()

    def dumps(self) -> str:
        """The resolved, inherited config as TOML text (prefixed keys quoted)."""
        lines = [f"# resolved from {os.path.basename(self.path)} by excore"]
        if self.workspace is not None:  # so that the copy loads back from anywhere
            from excore.config import WORKSPACE_MARK

            lines.append(WORKSPACE_MARK + str(self.workspace.file))
        _toml_lines(self._loaded.root, (), lines)
        return "\n".join(lines) + "\n"

    def dump(self, path: str | os.PathLike[str]) -> None:
        """Write the resolved, inherited config as TOML (prefixed keys quoted)."""
        from excore.fileio import atomic_write

        atomic_write(path, self.dumps())


class FieldNode:
    """One primary field (or one module of it) of a :class:`LazyConfig`, not built yet."""

    def __init__(self, config: LazyConfig, field: str, module: str | None = None) -> None:
        self._config = config
        self._field = field
        self._module = module

    def _modules(self) -> list[ModuleDef]:
        modules = self._config._field_modules(self._field)
        if self._module is not None:
            modules = [m for m in modules if m.name == self._module]
        return modules

    def __call__(self) -> Any:
        if self._module is None:
            return self._config.build_field(self._field)
        return self._config.build_module(self._modules()[0])

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        names = [m.name for m in self._config._field_modules(self._field)]
        if self._module is None and name in names:
            return FieldNode(self._config, self._field, name)
        raise AttributeError(
            f"field {self._field!r} has no module {name!r} (modules: {', '.join(names)})"
        )

    __getitem__ = __getattr__

    def add(self, **params: Any) -> FieldNode:
        """Set parameters of the field's module before building."""
        modules = self._modules()
        if len(modules) != 1:
            names = ", ".join(m.name for m in modules)
            raise ExcoreError(
                f"field {self._field!r} has several modules ({names}); "
                f"update one of them: lazy_cfg.{self._field}.<Name>.add(...)"
            )
        self._config.set_params(modules[0].path, params)
        return self

    add_params = add

    def __lshift__(self, params: Mapping[str, Any]) -> FieldNode:
        return self.add(**dict(params))

    @property
    def params(self) -> dict[str, Any]:
        """The parameters as written (after merging), keys with their prefixes."""
        modules = self._modules()
        if len(modules) == 1:
            return section_to_python(modules[0].section)
        return {m.name: section_to_python(m.section) for m in modules}

    def __repr__(self) -> str:
        names = ", ".join(m.name for m in self._modules())
        return f"<field {self._field}: {names}>"


# -- helpers -----------------------------------------------------------------------------------


def _bare(key: str) -> str:
    return strip_prefix(key)


def _did_you_mean(name: str, candidates: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _flatten(
    data: Mapping[str, Any], prefix: tuple[str, ...] = ()
) -> Iterable[tuple[tuple[str, ...], Any]]:
    for key, value in data.items():
        path = (*prefix, *str(key).split("."))
        if isinstance(value, Mapping) and value and all(isinstance(k, str) for k in value):
            yield from _flatten(value, path)
        else:
            yield path, value


def _quote_key(part: str) -> str:
    import re

    if re.fullmatch(r"[A-Za-z0-9_-]+", part):
        return part
    return _basic_string(part)


def _basic_string(text: str) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_literal(value: Any) -> str | None:
    """``value`` as a TOML literal, or None when TOML cannot hold it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _basic_string(value)
    if isinstance(value, (list, tuple)):
        items = [toml_literal(v) for v in value]
        if any(i is None for i in items):
            return None
        return "[" + ", ".join(i for i in items if i is not None) + "]"
    if isinstance(value, Mapping):
        pairs = []
        for k, v in value.items():
            literal = toml_literal(v)
            if not isinstance(k, str) or literal is None:
                return None
            pairs.append(f"{_quote_key(k)} = {literal}")
        return "{" + ", ".join(pairs) + "}"
    return None


def _override_line(path: tuple[str, ...], literal: str) -> str:
    return f"{'.'.join(_quote_key(p) for p in path)} = {literal}"


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _toml_lines(section: Section, path: tuple[str, ...], out: list[str]) -> None:
    """``section`` as TOML lines: its values, then each sub-table under its own header (a table
    holding only tables gets no header of its own), then its arrays of tables."""
    arrays = section.arrays or {}
    elements = {id(t) for tables in arrays.values() for t in tables}
    for key, node in section.items.items():
        if isinstance(node, Leaf):
            out.append(f"{_quote_key(key)} = {_literal(node.value.to_python())}")
        elif node.inline:
            out.append(f"{_quote_key(key)} = {_literal(section_to_python(node))}")
    for key, node in section.items.items():
        if isinstance(node, Section) and not node.inline and id(node) not in elements:
            inner = (*path, key)
            if not node.items or not all(
                isinstance(v, Section) and not v.inline for v in node.items.values()
            ):
                out.extend(("", f"[{_dotted(inner)}]"))
            _toml_lines(node, inner, out)
    for name, tables in arrays.items():
        for table in tables:
            out.extend(("", f"[[{_dotted((*path, name))}]]"))
            _toml_lines(table, (*path, name), out)


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(_quote_key(p) for p in path)


def _literal(value: Any) -> str:
    """A decoded TOML value as a literal again (dates and times included)."""
    import datetime

    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{_quote_key(k)} = {_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    literal = toml_literal(value)
    assert literal is not None, f"not a decoded TOML value: {value!r}"
    return literal


def _manual_set_allowed() -> bool:
    """Prompt for missing parameters: on by default when standard input is a terminal;
    ``EXCORE_MANUAL_SET=0`` or ``excore.workspace.excore_manual_set = False`` turns it off."""
    from excore import workspace

    if not workspace.excore_manual_set:
        return False
    if os.environ.get("EXCORE_MANUAL_SET", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return sys.stdin is not None and sys.stdin.isatty()


def _prompt_value(key: str) -> Any:
    """Ask for a TOML literal until one parses."""
    from excore.syntax.toml import parse_toml

    while True:
        raw = input(f"{key} is missing; enter a TOML value: ").strip()
        doc = parse_toml(f"v = {raw}\n", "<input>")
        entries = doc.root.entries
        if not doc.problems and entries and entries[0].value is not None:
            return entries[0].value.to_python()
        print(f"not a TOML value: {raw!r}", file=sys.stderr)


__all__ += ["FieldModules", "toml_literal"]
