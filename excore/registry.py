"""Registries: names that configs use, mapped to import targets.

A :class:`Registry` is a ``dict[str, str]`` from a registered name to an *import target*:
``"pkg.mod:Qual.Name"`` for a class or function, ``"pkg.mod"`` for a registered Python module.
Objects are imported only when :meth:`Registry.get_object` asks for them (and cached), so a
registry can be filled from strings without importing what they name.

There is one registry per name: ``Registry("Model") is Registry("Model")``.

This module imports nothing heavy: ``rich`` is imported by :meth:`Registry.module_table` only.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import types
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from excore.errors import ExcoreError

if TYPE_CHECKING:
    from rich.table import Table

__all__ = [
    "IndexOrigin",
    "Registry",
    "RegistryError",
    "UnsafeReferenceError",
    "dotted_target",
    "import_target",
    "target_of",
]

_T = TypeVar("_T")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MODULE_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_PRIVATE_PREFIX = "__"


class RegistryError(ExcoreError, ValueError):
    """A registration is invalid (duplicate name, bad name, unknown extra info key, ...).

    ``file``/``line`` point at the Python definition being registered when known.
    """


class UnsafeReferenceError(RegistryError):
    """A dotted name breaks the safety rules (:mod:`excore.safety`): a name starting with ``_``,
    or an object below a registered Python module that its package does not define."""

    def __init__(self, message: str, *, key: str = "", part: str = "") -> None:
        super().__init__(message, key=key, code="unsafe-reference")
        self.part = part  # the offending name in the dotted path


class IndexOrigin:
    """Where index-registered names come from, and how to import what really registers them.

    ``own_modules`` are the workspace's ``import`` modules: a target inside one of them is
    imported by itself (it is the workspace's own code, which registers its names as it is
    imported); anything else is reached only by importing the whole workspace
    (``import_all``). The index's target is never imported for its own sake.
    """

    def __init__(
        self, index_file: str, own_modules: Sequence[str], import_all: Callable[[], object]
    ) -> None:
        self.index_file = index_file
        self.own_modules = tuple(own_modules)
        self.import_all = import_all

    def where(self, registry: str, name: str) -> str:
        return f"the index entry {registry}.{name} of {self.index_file}"

    def import_registering(self, target: str) -> None:
        module = target.partition(":")[0]
        if any(module == own or module.startswith(own + ".") for own in self.own_modules):
            importlib.import_module(module)
        else:
            self.import_all()


# --------------------------------------------------------------------------- import targets


def target_of(obj: Any) -> str:
    """The import target of a class, function or Python module.

    >>> target_of(target_of)
    'excore.registry:target_of'
    """
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not module or not qualname:
        raise TypeError(f"cannot compute an import target for {obj!r}")
    return f"{module}:{qualname}"


def dotted_target(target: str) -> str:
    """An import target as upstream ExCore writes it: ``"pkg.mod.Qual.Name"``."""
    return target.replace(":", ".")


def import_target(target: str) -> Any:
    """Import ``"pkg.mod:Qual.Name"`` (an attribute path below a module) or ``"pkg.mod"``."""
    module_name, _, qualname = target.partition(":")
    module = importlib.import_module(module_name)
    if not qualname:
        return module
    obj: Any = module
    for part in qualname.split("."):
        if part == "<locals>":
            raise ImportError(f"{target!r} is defined inside a function and cannot be imported")
        obj = getattr(obj, part)
    return obj


def _is_registrable(obj: Any) -> bool:
    if isinstance(obj, (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)):
        return True
    return callable(obj) and hasattr(obj, "__qualname__") and hasattr(obj, "__module__")


def _definition_site(obj: Any) -> tuple[str, int]:
    """(file, line) where ``obj`` is defined, or ("", 0); used in error messages only."""
    import inspect

    try:
        file = inspect.getsourcefile(obj) or ""
        line = inspect.getsourcelines(obj)[1] if file else 0
    except (OSError, TypeError):
        return "", 0
    return file, line


def _default_match(name: str, module: types.ModuleType) -> bool:
    """Public classes and functions of ``module``."""
    if name.startswith("_"):
        return False
    member = getattr(module, name, None)
    return isinstance(member, (type, types.FunctionType))


# --------------------------------------------------------------------------- the registry


class _RegistryMeta(type):
    """Returns the existing registry of a name instead of creating a second one."""

    def __call__(cls, name: str, extra_field: str | Sequence[str] | None = None) -> Registry:
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise RegistryError(
                f"invalid registry name {name!r}: use letters, digits and underscores "
                "(not starting with a digit)"
            )
        pool: dict[str, Registry] = Registry._pool
        existing = pool.get(name)
        if existing is not None:
            wanted = _as_field_list(extra_field)
            if wanted and wanted != existing.extra_field:
                warnings.warn(
                    f"Registry {name!r} already exists with extra_field={existing.extra_field}; "
                    f"extra_field={wanted} is ignored",
                    stacklevel=2,
                )
            return existing
        instance: Registry = super().__call__(name, extra_field)
        if not name.startswith(_PRIVATE_PREFIX):
            pool[name] = instance
            Registry.pool_version += 1
        return instance


def _as_field_list(extra_field: str | Sequence[str] | None) -> list[str]:
    if extra_field is None:
        return []
    if isinstance(extra_field, str):
        return [extra_field]
    return list(extra_field)


class Registry(dict[str, str], metaclass=_RegistryMeta):
    """Registered name → import target, one instance per registry name.

    Args:
        name: The registry's name; by default also the config field of its modules
            (``[Model.FCN]`` for a registry called ``Model``).
        extra_field: Names of extra information each registration may carry
            (``@MODELS.register(is_backbone=True)``), shown by :meth:`module_table`.
    """

    _pool: ClassVar[dict[str, Registry]] = {}
    pool_version: ClassVar[int] = 0  # changes whenever a registry is added or removed
    _globals: ClassVar[Registry | None] = None
    _locked: ClassVar[bool] = False

    def __init__(self, name: str, extra_field: str | Sequence[str] | None = None) -> None:
        super().__init__()
        self.name = name
        self.extra_field: list[str] = _as_field_list(extra_field)
        self.extra_info: dict[str, dict[str, Any]] = {}
        self._objects: dict[str, Any] = {}
        # names filled from the workspace index (a cache): checked against the real
        # registration when first imported (see :meth:`note_index_entry`)
        self._index_origins: dict[str, IndexOrigin] = {}
        self._index_mismatches: dict[str, tuple[IndexOrigin, str, str]] = {}

    # ----------------------------------------------------------------- registry pool

    @classmethod
    def get_registry(cls, name: str, default: Any = None) -> Any:
        """The registry called ``name``, or ``default`` when there is none."""
        return cls._pool.get(name, default)

    @classmethod
    def registries(cls) -> dict[str, Registry]:
        """All registries by name (a copy)."""
        return dict(cls._pool)

    @classmethod
    def registries_view(cls) -> Mapping[str, Registry]:
        """All registries by name: a read-only view that follows later registries."""
        return types.MappingProxyType(cls._pool)

    @classmethod
    def remove_registry(cls, name: str) -> None:
        """Forget the registry called ``name`` (tests and long-running tools use this)."""
        if cls._pool.pop(name, None) is not None:
            Registry.pool_version += 1
        if cls._globals is not None:
            cls._globals = None

    @classmethod
    def make_global(cls) -> Registry:
        """A registry holding the names of all registries (first registry wins on a clash).

        Later registrations in any registry are added to it too.
        """
        if cls._globals is None:
            merged = cls("__global")
            for registry in cls._pool.values():
                merged._absorb(registry)
            cls._globals = merged
        return cls._globals

    def _absorb(self, other: Registry) -> None:
        for name, target in other.items():
            if name not in self:
                dict.__setitem__(self, name, target)
                if name in other._objects:
                    self._objects[name] = other._objects[name]

    @classmethod
    def locate(cls, name: str) -> tuple[str, str] | None:
        """(registry name, import target) of ``name`` in any registry, importing nothing.

        A dotted name below a registered Python module gives that module's registry and the
        dotted name itself as target.
        """
        for registry_name, registry in cls._pool.items():
            if name in registry:
                return registry_name, registry[name]
        for registry_name, registry in cls._pool.items():
            if registry.python_module_of(name) is not None:
                return registry_name, name
        return None

    @classmethod
    def find(cls, name: str) -> tuple[str, str] | tuple[None, None]:
        """(dotted target, registry name) of ``name`` in any registry, else ``(None, None)``.

        As upstream ExCore: the first value is the registered object's dotted path
        (``"torchvision.models.resnet.ResNet"``; a Python module's name for a registered module);
        nothing is imported. :meth:`find_object` gives the object itself.
        """
        found = cls.locate(name)
        if found is None:
            return None, None
        registry_name, target = found
        return dotted_target(target), registry_name

    @classmethod
    def find_object(cls, name: str) -> tuple[Any, str] | tuple[None, None]:
        """(object, registry name) of ``name`` in any registry, else ``(None, None)``.

        The object is imported on demand (see :meth:`get_object`).
        """
        found = cls.locate(name)
        if found is None:
            return None, None
        registry_name = found[0]
        return cls._pool[registry_name].get_object(name), registry_name

    @classmethod
    def load(cls) -> None:
        """Fill the registries of the workspace of the current folder (upstream: from its
        registry cache): the workspace's modules are imported. Raises
        :class:`~excore.errors.WorkspaceError` when there is no workspace."""
        from excore.workspace import find_workspace

        workspace = find_workspace(None)
        if workspace is None:
            raise RegistryError(
                "Registry.load(): no workspace (excore.toml, [tool.excore] or .excore.toml) "
                "above the current folder; `excore init` writes one"
            )
        workspace.import_registries()

    @classmethod
    def dump(cls) -> None:
        """Upstream wrote a registry cache here; this project writes an index instead."""
        raise RegistryError(
            "Registry.dump(): there is no registry cache; run `excore schema dump` to write the "
            "workspace index"
        )

    @classmethod
    def lock_register(cls) -> None:
        """Ignore every registration from now on (upstream: after loading a cached registry,
        so that importing the code again does not register twice)."""
        cls._locked = True

    @classmethod
    def unlock_register(cls) -> None:
        """Accept registrations again."""
        cls._locked = False

    @classmethod
    def registry_table(cls) -> Table:
        """A rich table of all registry names."""
        return _make_table(["Registries"], [[name] for name in sorted(cls._pool)])

    # ----------------------------------------------------------------- registering

    def _register(
        self,
        obj: Any,
        *,
        force: bool = False,
        name: str | None = None,
        is_str: bool = False,
        **extra_info: Any,
    ) -> Any:
        if Registry._locked:
            return obj
        if is_str:
            if not isinstance(obj, str) or not obj:
                raise RegistryError(f"Registry {self.name!r}: expected an import target string")
            target = obj
            is_module = ":" not in target
            default_name = target if is_module else target.rpartition(":")[2].rpartition(".")[2]
        else:
            if not _is_registrable(obj):
                raise TypeError(
                    f"Registry {self.name!r} registers classes, functions and Python modules, "
                    f"got {type(obj).__name__} {obj!r}"
                )
            target = target_of(obj)
            is_module = isinstance(obj, types.ModuleType)
            default_name = obj.__name__
        name = name or default_name
        self._check_name(name, is_module, obj)
        old = dict.get(self, name)
        origin = self._index_origins.pop(name, None)
        if origin is not None:  # the index's string is replaced by the real registration
            if old != target:
                self._index_mismatches[name] = (origin, old or "", target)
            old = None
        if old is not None and old != target and not force:
            file, line = ("", 0) if is_str else _definition_site(obj)
            raise RegistryError(
                f"Registry {self.name!r}: the name {name!r} is already registered for {old!r}; "
                f"cannot register {target!r} under the same name (pass force=True to replace "
                "it, or name=... to register it under another name)",
                file=file,
                line=line,
                key=name,
            )
        info = self._check_extra_info(name, extra_info)
        dict.__setitem__(self, name, target)
        if self.extra_field:
            self.extra_info[name] = info
        if is_str:
            self._objects.pop(name, None)
        else:
            self._objects[name] = obj
        glob = Registry._globals
        if glob is not None and glob is not self and name not in glob:
            dict.__setitem__(glob, name, target)
            if not is_str:
                glob._objects[name] = obj
        return obj

    def _check_name(self, name: str, is_module: bool, obj: Any) -> None:
        pattern = _MODULE_NAME_RE if is_module else _NAME_RE
        if not isinstance(name, str) or not pattern.match(name):
            raise RegistryError(
                f"Registry {self.name!r}: invalid name {name!r} for {obj!r}: use letters, "
                "digits and underscores" + (" (dotted for Python modules)" if is_module else "")
            )

    def _check_extra_info(self, name: str, extra_info: dict[str, Any]) -> dict[str, Any]:
        if extra_info and not self.extra_field:
            raise RegistryError(
                f"Registry {self.name!r} has no extra_field, but {name!r} was registered with "
                f"{sorted(extra_info)}; create it as Registry({self.name!r}, extra_field=[...])",
                key=name,
            )
        unknown = [key for key in extra_info if key not in self.extra_field]
        if unknown:
            raise RegistryError(
                f"Registry {self.name!r}: unknown extra info {', '.join(map(repr, unknown))} "
                f"for {name!r}; expected one of {self.extra_field}",
                key=name,
            )
        return {field: extra_info.get(field) for field in self.extra_field}

    def register(
        self, force: bool = False, name: str | None = None, **extra_info: Any
    ) -> Callable[[_T], _T]:
        """Decorator registering a class or function under its ``__name__`` (or ``name``).

        Args:
            force: Replace an existing registration of the same name.
            name: Register under this name instead of ``__name__``.
            **extra_info: Values of this registry's ``extra_field``.
        """

        def decorate(obj: _T) -> _T:
            return self._register(obj, force=force, name=name, **extra_info)  # type: ignore[no-any-return]

        return decorate

    def register_module(
        self,
        module: Any,
        force: bool = False,
        _is_str: bool = False,
        name: str | None = None,
        **extra_info: Any,
    ) -> Any:
        """Register a class, a function or a whole Python module (``torch``).

        With ``_is_str=True``, ``module`` is an import target string (``"pkg.mod:Name"`` or
        ``"pkg.mod"``), registered without importing it.

        After ``register_module(torch)``, configs may name anything below it:
        ``"torch.nn.ReLU"``.
        """
        return self._register(module, force=force, name=name, is_str=_is_str, **extra_info)

    def register_all(
        self,
        modules: Sequence[Any],
        extra_info: Sequence[dict[str, Any]] | None = None,
        force: bool = False,
        _is_str: bool = False,
        names: Sequence[str | None] | None = None,
    ) -> None:
        """Register several objects at once (extra info and names by position).

        The positional order is upstream ExCore's: ``(modules, extra_info, force, _is_str)``.
        """
        all_names = list(names) if names is not None else [None] * len(modules)
        all_info = list(extra_info) if extra_info is not None else [{}] * len(modules)
        if len(all_names) != len(modules) or len(all_info) != len(modules):
            raise RegistryError(
                f"Registry {self.name!r}: register_all needs as many names/extra_info as modules"
            )
        for obj, name, info in zip(modules, all_names, all_info):
            self._register(obj, force=force, name=name, is_str=_is_str, **info)

    def match(
        self,
        base_module: types.ModuleType,
        match_func: Callable[[str, types.ModuleType], bool] = _default_match,
        force: bool = False,
        *,
        filter_func: Callable[[str, types.ModuleType], bool] | None = None,
    ) -> list[str]:
        """Register the classes and functions of ``base_module`` that ``match_func`` accepts.

        ``match_func(attribute_name, base_module)`` decides (``filter_func=`` is another name for
        it); members are registered under their attribute name. Returns the registered names.
        """
        if filter_func is not None:
            match_func = filter_func
        registered: list[str] = []
        if Registry._locked:
            return registered
        for attr in list(vars(base_module)):
            if attr.startswith("__") or not match_func(attr, base_module):
                continue
            member = getattr(base_module, attr)
            if isinstance(member, types.ModuleType) or not _is_registrable(member):
                continue
            self._register(member, force=force, name=attr)
            registered.append(attr)
        return registered

    def merge(self, others: Registry | Iterable[Registry], force: bool = False) -> None:
        """Copy the registrations of other registries into this one."""
        for other in [others] if isinstance(others, Registry) else list(others):
            for name, target in other.items():
                if name in other._objects:
                    self._register(other._objects[name], force=force, name=name)
                else:
                    self._register(target, force=force, name=name, is_str=True)

    def unregister(self, name: str) -> None:
        """Remove ``name`` (no error when it is not registered)."""
        self.pop(name, None)
        self.extra_info.pop(name, None)
        self._objects.pop(name, None)
        self._index_origins.pop(name, None)
        self._index_mismatches.pop(name, None)

    def note_index_entry(self, name: str, origin: IndexOrigin) -> None:
        """``name`` was registered from the workspace index with an import target string.

        The index is a cache, never an authority: :meth:`get_object` does not import that
        target. It imports the workspace module that registers ``name`` and returns the object
        that registration holds; an index entry that disagrees with it is an error naming the
        entry.
        """
        self._index_origins[name] = origin

    # ----------------------------------------------------------------- looking up

    def is_python_module(self, name: str) -> bool:
        """Whether ``name`` is a registered Python module (``torch``, ``torch.nn``)."""
        target = dict.get(self, name)
        return target is not None and ":" not in target

    def python_module_of(self, name: str) -> str | None:
        """The registered Python module that dotted ``name`` lies below, longest first.

        ``"torch.nn.ReLU"`` → ``"torch.nn"`` when that is registered, else ``"torch"``.
        """
        prefix = name
        while "." in prefix:
            prefix = prefix.rpartition(".")[0]
            if self.is_python_module(prefix):
                return prefix
        return None

    def contains(self, name: str) -> bool:
        """``name`` is registered, or lies below a registered Python module."""
        return name in self or self.python_module_of(name) is not None

    def get_object(self, name: str) -> Any:
        """The object registered as ``name``, imported on first use and cached.

        Dotted names below a registered Python module (``torch.nn.ReLU`` after
        ``register_module(torch)``) resolve attribute by attribute, importing submodules as
        needed. Raises :class:`KeyError` for an unknown name and :class:`RegistryError` when the
        target cannot be imported.
        """
        if name in self._index_mismatches:  # the real registration differs from the index
            self._confirm_index_entry(name)
        cached = self._objects.get(name)
        if cached is not None:
            return cached
        if self is Registry._globals:  # the merged view: ask the registry that holds the name
            for registry in Registry._pool.values():
                if registry.contains(name):
                    return registry.get_object(name)
        target = dict.get(self, name)
        if name in self._index_origins or name in self._index_mismatches:
            self._confirm_index_entry(name)
            cached = self._objects.get(name)
            if cached is not None:
                return cached
            target = dict.get(self, name)  # registered as a string by the workspace's code
        if target is not None:
            try:
                obj = import_target(target)
            except (ImportError, AttributeError) as exc:
                raise RegistryError(
                    f"Registry {self.name!r}: cannot import {target!r} (registered as "
                    f"{name!r}): {exc}",
                    key=name,
                ) from exc
            self._objects[name] = obj
            return obj
        module_name = self.python_module_of(name)
        if module_name is None:
            raise KeyError(f"{name!r} is not registered in Registry {self.name!r}")
        obj = self._resolve_below_module(module_name, name)
        self._objects[name] = obj
        return obj

    def _confirm_index_entry(self, name: str) -> None:
        """Import the workspace module that registers ``name`` (never the index's target);
        raise :class:`RegistryError` naming the index entry when the registration is not the
        one the index recorded."""
        origin = self._index_origins.get(name)
        if origin is not None:
            target = dict.get(self, name) or ""
            try:
                origin.import_registering(target)
                if name in self._index_origins:  # registered elsewhere: import the workspace
                    origin.import_all()
            except ExcoreError:
                raise
            except Exception as exc:
                raise RegistryError(
                    f"{origin.where(self.name, name)} maps {name!r} to {target!r}; importing "
                    f"the workspace module that registers it failed: {type(exc).__name__}: {exc}",
                    key=name,
                ) from exc
            if name in self._index_origins:
                raise RegistryError(
                    f"{origin.where(self.name, name)} maps {name!r} to {target!r}, but no "
                    f"module of the workspace registers {name!r} in Registry {self.name!r}: "
                    "the index is stale or was edited; run `excore schema dump`",
                    key=name,
                )
        mismatch = self._index_mismatches.get(name)
        if mismatch is not None:
            origin, recorded, real = mismatch
            raise RegistryError(
                f"{origin.where(self.name, name)} maps {name!r} to {recorded!r}, but the "
                f"workspace registers {real!r}: the index is stale or was edited; run "
                "`excore schema dump`",
                key=name,
            )

    def _resolve_below_module(self, module_name: str, name: str) -> Any:
        """Walk ``name`` below the registered module, under the rules of :mod:`excore.safety`:
        no part starts with ``_`` and every step is an object the module's own package
        defines (never a foreign module or function it imports)."""
        from excore.safety import foreign_reason, package_of, underscore_reason, unsafe_name

        parts = name[len(module_name) + 1 :].split(".")
        for part in parts:  # refuse before touching anything
            if unsafe_name(part):
                raise UnsafeReferenceError(underscore_reason(part), key=name, part=part)
        obj: Any = self.get_object(module_name)
        package = package_of(obj.__name__ if isinstance(obj, types.ModuleType) else module_name)
        path = module_name
        for part in parts:
            path = f"{path}.{part}"
            found = False
            if hasattr(obj, part):
                obj, found = getattr(obj, part), True
            elif isinstance(obj, types.ModuleType):
                submodule = f"{obj.__name__}.{part}"
                if package_of(submodule) == package:  # only the package's own submodules
                    with contextlib.suppress(ImportError):
                        obj, found = importlib.import_module(submodule), True
            if found:
                reason = foreign_reason(obj, path, package)
                if reason:
                    raise UnsafeReferenceError(reason, key=name, part=part)
                continue
            raise KeyError(
                f"{name!r} is not found in Registry {self.name!r}: {path!r} does not exist "
                f"below the registered module {module_name!r}"
            )
        return obj

    def filter(
        self,
        filter_field: str | Sequence[str],
        filter_func: Callable[[list[Any]], bool] = all,
    ) -> list[str]:
        """Sorted names whose values of the given extra fields pass ``filter_func``."""
        fields = [filter_field] if isinstance(filter_field, str) else list(filter_field)
        self._check_fields(fields)
        return sorted(
            name
            for name in self
            if filter_func([self.extra_info.get(name, {}).get(f) for f in fields])
        )

    def _check_fields(self, fields: Sequence[str]) -> None:
        unknown = [f for f in fields if f not in self.extra_field]
        if unknown:
            raise RegistryError(
                f"Registry {self.name!r}: unknown extra field {', '.join(map(repr, unknown))}; "
                f"expected one of {self.extra_field}"
            )

    def select(self, patterns: str | Sequence[str] | None) -> list[str]:
        """Sorted names matching any of the fnmatch ``patterns`` (all names when None)."""
        if not patterns:
            return sorted(self)
        from fnmatch import fnmatchcase

        pats = [patterns] if isinstance(patterns, str) else list(patterns)
        return sorted(name for name in self if any(fnmatchcase(name, p) for p in pats))

    # ----------------------------------------------------------------- showing

    def module_table(
        self,
        filter: str | Sequence[str] | None = None,
        select_info: str | Sequence[str] | None = None,
        module_list: Sequence[str] | None = None,
        **table_kwargs: Any,
    ) -> Table:
        """A rich table of the registered names, with the selected extra information.

        The positional order is upstream ExCore's.

        Args:
            filter: fnmatch pattern(s); a name is shown when it matches any of them.
            select_info: Extra fields to show as columns.
            module_list: Show only these names.
            **table_kwargs: Passed to the rich ``Table`` (``title=...``).
        """
        fields = [select_info] if isinstance(select_info, str) else list(select_info or [])
        self._check_fields(fields)
        names = self.select(filter)
        if module_list is not None:
            wanted = set(module_list)
            names = [n for n in names if n in wanted]
        rows = [
            [name, *(str(self.extra_info.get(name, {}).get(f)) for f in fields)] for name in names
        ]
        return _make_table([self.name, *fields], rows, **table_kwargs)

    def __str__(self) -> str:
        rows = [[k, dotted_target(v)] for k, v in sorted(self.items())]
        return str(_make_table(["Name", "Target"], rows))

    def __repr__(self) -> str:
        return f"Registry({self.name!r}, {len(self)} registered)"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_registry, (self.name, self.extra_field, dict(self), self.extra_info))


def _restore_registry(
    name: str, extra_field: list[str], items: dict[str, str], extra_info: dict[str, dict[str, Any]]
) -> Registry:
    registry = Registry(name, extra_field or None)
    for key, target in items.items():
        if key not in registry:
            dict.__setitem__(registry, key, target)
    for key, info in extra_info.items():
        registry.extra_info.setdefault(key, info)
    return registry


_table_class: type | None = None


def _make_table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], **table_kwargs: Any
) -> Table:
    """A rich Table that also prints as text with plain ``print()``."""
    global _table_class
    if _table_class is None:
        from rich.table import Table as RichTable

        class PrintableTable(RichTable):
            def __str__(self) -> str:
                from io import StringIO

                from rich.console import Console

                buffer = StringIO()
                Console(file=buffer, width=120, color_system=None, soft_wrap=False).print(self)
                return buffer.getvalue().rstrip("\n")

        _table_class = PrintableTable
    table = _table_class(**{"show_lines": False, **table_kwargs})
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*row)
    return table  # type: ignore[no-any-return]


def load_registries() -> None:
    """Upstream's name for :meth:`Registry.load`."""
    Registry.load()
