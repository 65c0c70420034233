"""The workspace index: what editors know about the registries, read without importing user code.

The file is JSON of :mod:`excore.signatures` dataclasses (format described by
``schemas/index.schema.json``). ``WorkspaceIndex`` implements ``SignatureSource`` so the one
checker can run over it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from excore.signatures import MemberInfo, ModuleInfo, ParamInfo

INDEX_VERSION = 1


class IndexError_(ValueError):
    """The index file is missing, unreadable or not in the expected format."""


@dataclass(slots=True)
class RegistryInfo:
    """One registry of the index and its modules."""

    name: str
    extra_field: list[str] = field(default_factory=list)
    modules: dict[str, ModuleInfo] = field(default_factory=dict)


@dataclass(slots=True)
class WorkspaceIndex:
    """The registries of a workspace as recorded by ``excore schema dump``."""

    registries: dict[str, RegistryInfo] = field(default_factory=dict)
    fields: dict[str, str] | None = None  # primary field -> registry; None: every registry
    workspace_name: str = ""
    index_dir: str = ".excore"  # where the index sits, relative to the root (POSIX)
    root: str = ""  # the workspace root the relative source paths are relative to
    problems: list[dict[str, Any]] = field(default_factory=list)  # entries the dump could not read
    python_modules: dict[str, ModuleInfo] = field(default_factory=dict)  # "torch.nn" -> members
    # workspace-relative path of each Python file the registries were read from -> sha256 of its
    # text (newlines normalized); the index is fresh while these match (``excore.schema.lazy``)
    sources: dict[str, str] = field(default_factory=dict)

    # -- SignatureSource -------------------------------------------------------------------------

    def registry_names(self) -> list[str]:
        return sorted(self.registries)

    def lookup(self, name: str, registry: str | None = None) -> ModuleInfo | None:
        regs = (
            [self.registries[registry]]
            if registry in self.registries
            else ([] if registry else list(self.registries.values()))
        )
        for reg in regs:
            info = reg.modules.get(name)
            if info is not None:
                return info
        if "." in name and self._module_root_registered(name, regs):
            return self.python_modules.get(name) or self._below_python_module(name)
        return None

    def _below_python_module(self, name: str) -> ModuleInfo | None:
        """A dotted name the dump did not describe in full (see ``excore.describe``'s bounds):
        a function listed in its module's members, or a name below a module the dump did not
        walk, is known with an unknown signature; a name missing from a walked module is not."""
        parent, _, attr = name.rpartition(".")
        module = self.python_modules.get(parent)
        if module is None:
            registered = self._registered_module_entry(parent)
            if registered is None:
                deepest = parent
                while "." in deepest and deepest not in self.python_modules:
                    deepest = deepest.rpartition(".")[0]
                walked = self.python_modules.get(deepest) or self._registered_module_entry(deepest)
                if walked is not None and walked.kind == "module":
                    child = parent[len(deepest) + 1 :].partition(".")[0]
                    if child in walked.foreign:
                        return _refused(f"{deepest}.{child}", walked, walked.foreign[child])
                    if walked.member(child) is None:
                        return None  # the walked module has no such member
                return _unknown_signature(name, walked)
            module = registered
        if attr in module.foreign:
            return _refused(name, module, module.foreign[attr])
        member = module.member(attr) if module.kind == "module" else None
        if member is None or member.kind == "module":
            return None
        info = _unknown_signature(name, module)
        info.kind = "class" if member.kind == "class" else "function"
        info.signature, info.summary = member.signature, member.summary
        return info

    def _registered_module_entry(self, name: str) -> ModuleInfo | None:
        for reg in self.registries.values():
            info = reg.modules.get(name)
            if info is not None and info.kind == "module":
                return info
        return None

    def lookup_all(self, name: str) -> list[ModuleInfo]:
        """Every registry's entry of that name (more than one means the name is ambiguous)."""
        return [reg.modules[name] for reg in self.registries.values() if name in reg.modules]

    def _module_root_registered(self, name: str, regs: list[RegistryInfo]) -> bool:
        for reg in regs:
            for registered, info in reg.modules.items():
                if info.kind == "module" and (
                    name == registered or name.startswith(registered + ".")
                ):
                    return True
        return False

    def names(self, registry: str | None = None) -> Iterator[str]:
        if registry is not None:
            reg = self.registries.get(registry)
            if reg is not None:
                yield from reg.modules
            return
        for reg in self.registries.values():
            yield from reg.modules

    def primary_fields(self) -> dict[str, str] | None:
        return self.fields

    def members_of(self, info: ModuleInfo) -> list[MemberInfo]:
        return info.members

    def modules(self) -> Iterable[ModuleInfo]:
        for reg in self.registries.values():
            yield from reg.modules.values()

    def listed_modules(self) -> Iterator[ModuleInfo]:
        """Every registered entry as far as listing it goes (``LazyModules.brief``): its
        parameters and members may be left out."""
        for reg in self.registries.values():
            modules = reg.modules
            if isinstance(modules, LazyModules):
                for name in modules:
                    yield modules.brief(name)
            else:
                yield from modules.values()


def _refused(dotted: str, module: ModuleInfo, home: str) -> ModuleInfo:
    """A name the module imports from another package: refused, as the live source does."""
    from excore.safety import foreign_message, package_of

    message = foreign_message(dotted, home, package_of(module.target))
    return ModuleInfo(
        dotted, module.registry, "other", dotted, signature_known=False, refused=message
    )


def _unknown_signature(name: str, module: ModuleInfo | None) -> ModuleInfo:
    registry = module.registry if module is not None else ""
    return ModuleInfo(name, registry, "other", name, signature_known=False)


# -- JSON round trip -----------------------------------------------------------------------------

_PARAM_DEFAULTS = asdict(ParamInfo(""))
_MEMBER_DEFAULTS = asdict(MemberInfo("", "attribute"))


def _compact(data: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Leave out fields equal to their default (``name`` and ``kind`` are always written)."""
    return {
        k: v for k, v in data.items() if k in ("name", "kind") or defaults.get(k, _MISSING) != v
    }


_MISSING = object()


# ``refused`` is the live source's answer for a name a config may not reach: never in an index
_MODULE_FIELDS = [f.name for f in fields(ModuleInfo) if f.name != "refused"]
_PARAM_FIELDS = [f.name for f in fields(ParamInfo)]
_MEMBER_FIELDS = [f.name for f in fields(MemberInfo)]


def module_to_json(info: ModuleInfo) -> dict[str, Any]:
    """A ModuleInfo as JSON; parameters and members omit fields that have their default value
    (there are many of them: this keeps the index small). Faster than ``asdict`` (no deep
    copies: values are JSON data already)."""
    data = {name: getattr(info, name) for name in _MODULE_FIELDS}
    if not info.foreign:
        del data["foreign"]  # only Python modules that import other packages' names have it
    data["params"] = [
        _compact({n: getattr(p, n) for n in _PARAM_FIELDS}, _PARAM_DEFAULTS) for p in info.params
    ]
    data["members"] = [
        _compact({n: getattr(m, n) for n in _MEMBER_FIELDS}, _MEMBER_DEFAULTS) for m in info.members
    ]
    return data


_FIELD_NAMES: dict[Any, frozenset[str]] = {}


def _build(cls: Any, data: dict[str, Any]) -> Any:
    try:
        return cls(**data)
    except TypeError:  # keys this version does not know (an index written by a newer one)
        pass
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in fields(cls))
    return cls(**{k: v for k, v in data.items() if k in names})


def module_from_json(data: dict[str, Any]) -> ModuleInfo:
    data = dict(data)
    data["params"] = [_build(ParamInfo, p) for p in data.get("params", [])]
    data["members"] = [_build(MemberInfo, m) for m in data.get("members", [])]
    info: ModuleInfo = _build(ModuleInfo, data)
    return info


_LISTED_LATER = ("params", "members")


class LazyModules(dict[str, ModuleInfo]):
    """Module entries read from the index file, each built from its JSON on first access.

    A large index (``register_module(torch)`` lists a thousand entries) is mostly never looked
    at while one config is checked; building only what is asked keeps opening a file fast.
    """

    def __getitem__(self, key: str) -> ModuleInfo:
        value: Any = super().__getitem__(key)
        if isinstance(value, dict):
            try:
                value = module_from_json(value)
            except (TypeError, AttributeError, KeyError, ValueError):
                # A malformed entry stays known by name, with an unknown signature.
                value = ModuleInfo(key, str(value.get("registry", "")), "other", "")
                value.signature_known = False
            super().__setitem__(key, value)
        return value  # type: ignore[no-any-return]

    def brief(self, key: str) -> ModuleInfo:
        """The entry as far as listing it goes: its own fields (name, kind, registry, target,
        bases, signature, summary), its parameters and members left out unless it is built
        already. For lists of names (completion of 20,000 names must not build 20,000
        parameter lists), never for checking."""
        value: Any = dict.__getitem__(self, key)
        if not isinstance(value, dict):
            return value  # type: ignore[no-any-return]
        try:
            own = {k: v for k, v in value.items() if k not in _LISTED_LATER}
            info: ModuleInfo = _build(ModuleInfo, own)
        except (TypeError, AttributeError, KeyError, ValueError):
            return self[key]  # malformed: as the full entry says
        return info

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[key] if key in self else default  # noqa: SIM401 (self.get is this method)

    def items(self) -> list[tuple[str, ModuleInfo]]:  # type: ignore[override]
        return [(key, self[key]) for key in self]

    def values(self) -> list[ModuleInfo]:  # type: ignore[override]
        return [self[key] for key in self]

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key in self:
            return self[key]
        self[key] = default
        return default

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            value = self[key]
            del self[key]
            return value
        if default:
            return default[0]
        raise KeyError(key)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, dict):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]


def index_to_json(index: WorkspaceIndex) -> dict[str, Any]:
    return {
        "version": INDEX_VERSION,
        "workspace": {"name": index.workspace_name, "index_dir": index.index_dir},
        "primary_fields": index.fields,
        "registries": {
            name: {
                "extra_field": reg.extra_field,
                "modules": {m: module_to_json(info) for m, info in sorted(reg.modules.items())},
            }
            for name, reg in sorted(index.registries.items())
        },
        "python_modules": {
            name: module_to_json(info) for name, info in sorted(index.python_modules.items())
        },
        "problems": index.problems,
        "sources": dict(sorted(index.sources.items())),
    }


def _lazy_modules(raw: Any) -> LazyModules:
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise TypeError("module entries must be JSON objects")
    return LazyModules(raw)


def index_from_json(data: Any, root: str = "") -> WorkspaceIndex:
    if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
        version = data.get("version") if isinstance(data, dict) else None
        raise IndexError_(f"unsupported index version {version!r} (expected {INDEX_VERSION})")
    try:
        registries = {
            name: RegistryInfo(
                name,
                list(reg.get("extra_field", [])),
                _lazy_modules(reg.get("modules", {})),
            )
            for name, reg in data.get("registries", {}).items()
        }
        python_modules = _lazy_modules(data.get("python_modules", {}))
    except (TypeError, AttributeError, KeyError) as exc:
        raise IndexError_(f"malformed index: {exc}") from exc
    fields_ = data.get("primary_fields")
    return WorkspaceIndex(
        registries=registries,
        fields=dict(fields_) if isinstance(fields_, dict) else None,
        workspace_name=str(data.get("workspace", {}).get("name", "")),
        index_dir=str(data.get("workspace", {}).get("index_dir", ".excore")),
        root=root,
        problems=list(data.get("problems", [])),
        python_modules=python_modules,
        sources={str(k): str(v) for k, v in dict(data.get("sources", {})).items()},
    )


def load_index(path: str | Path, root: str | Path | None = None) -> WorkspaceIndex:
    """Read an index file. ``root`` defaults to the workspace root the index records (the
    folder ``index_dir`` levels above the index file; the parent of ``.excore/`` by default)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IndexError_(f"{path}: cannot read the index: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise IndexError_(
            f"{path}:{exc.lineno}:{exc.colno}: the index is not valid JSON: {exc.msg}"
        ) from exc
    if root is None:
        root = path.parent.parent
        workspace = data.get("workspace") if isinstance(data, dict) else None
        index_dir = workspace.get("index_dir") if isinstance(workspace, dict) else None
        if isinstance(index_dir, str) and index_dir and not index_dir.startswith(("/", "..")):
            root = path.parent
            for _ in Path(index_dir).parts:
                root = root.parent
    return index_from_json(data, str(root))
