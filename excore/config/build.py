"""Building a config model into objects.

The builder walks the semantic model (:mod:`excore.config.model`); every reference goes through
the one grammar's nodes and the model's :func:`~excore.config.model.resolve`, never through
string parsing or ``eval``. The key prefix decides what a referenced module becomes:

- ``!`` a **new** object each time it is referenced;
- ``@`` one **shared** object per module definition (primary modules are shared too, so
  ``"@backbone" = "ResNet"`` beside ``[Backbone.ResNet]`` passes the object built for the field);
- ``$`` the class (or function) itself.

A list of names gives a list (a list of one name gives a list of one). Chains apply attributes
and calls with literal arguments; a call written right after a module name (``!`` / ``@``) passes
its literal arguments to the constructor (``"!act" = "torch.nn.ReLU(inplace=True)"``). Argument
hooks (``"$Model@Hook"``) wrap the value left to right. Results never depend on the order of keys
or sections: the model is read in sorted order and shared objects are keyed by definition.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from excore.config.envvalue import convert, env_variable, substitute
from excore.config.loader import Leaf, Section, array_elements
from excore.config.model import (
    FINEGRAINED_HOOK,
    ConfigModel,
    ModuleDef,
    ParamDef,
    RefUse,
    Target,
    class_only_modules,
    resolve,
)
from excore.errors import (
    CoreConfigBuildError,
    CoreConfigParseError,
    EnvVarParseError,
    ExcoreError,
    HookBuildError,
    ModuleBuildError,
    StrToClassError,
)
from excore.registry import Registry, UnsafeReferenceError
from excore.safety import chain_reason, foreign_reason, package_of, underscore_reason, unsafe_name
from excore.syntax.grammar import Call, Ident, Link, find_env_refs, parse_module_name

if TYPE_CHECKING:
    from excore.signatures import ParamInfo, SignatureSource

__all__ = ["Builder", "ModuleNode", "SuffixHandler", "register_suffix_handler"]

Mode = Literal["new", "shared", "class"]
MODE_OF_PREFIX: dict[str, Mode] = {"!": "new", "@": "shared", "$": "class"}
_UNSEEN = object()  # a cache miss (cached values may be None)

# ``[Field."Name*Suffix"]`` sections are built by the handler registered for ``Suffix``
# (see excore.plugins.finegrained_config): handler(builder, module, cls, kwargs) -> object.
SuffixHandler = Callable[["Builder", ModuleDef, Any, dict[str, Any]], Any]
_SUFFIX_HANDLERS: dict[str, SuffixHandler] = {}


def register_suffix_handler(suffix: str, handler: SuffixHandler) -> None:
    """Build ``Name*<suffix>`` sections with ``handler`` instead of calling ``Name``."""
    _SUFFIX_HANDLERS[suffix] = handler


def suffix_handler(suffix: str) -> SuffixHandler | None:
    return _SUFFIX_HANDLERS.get(suffix)


@dataclass(slots=True)
class Where:
    """A place in the config text: file and offsets, and the dotted key path."""

    file: str
    start: int
    end: int
    key: str = ""


class ModuleNode:
    """An unbuilt module (``__no_call__ = true``): the class and its built parameters.

    Calling it builds the module; keyword arguments override the configured ones.
    """

    def __init__(self, cls: Any, params: dict[str, Any], name: str = "") -> None:
        self.cls = cls
        self.params = dict(params)
        self.name = name or getattr(cls, "__name__", repr(cls))

    def add(self, **params: Any) -> ModuleNode:
        self.params.update(params)
        return self

    def __lshift__(self, params: dict[str, Any]) -> ModuleNode:
        return self.add(**params)

    def __call__(self, **overrides: Any) -> Any:
        return self.cls(**{**self.params, **overrides})

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"ModuleNode({self.name}({args}))"


class _Thunk:
    """What a hook wraps: builds the referenced value when called."""

    def __init__(self, build: Callable[[], Any], name: str) -> None:
        self._build = build
        self.name = name

    def __call__(self) -> Any:
        return self._build()

    def __repr__(self) -> str:
        return f"<node {self.name}>"


@dataclass
class Builder:
    """Builds modules of one model. Shared objects live as long as the builder."""

    model: ConfigModel
    source: SignatureSource
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # module path -> params
    env: dict[str, str] | None = None
    _shared: dict[object, Any] = field(default_factory=dict)
    _classes: dict[int, Any] = field(default_factory=dict)  # by id of the module
    _active: list[str] = field(default_factory=list)
    _class_only: set[int] | None = None

    # -- fields ------------------------------------------------------------------------------

    def build_field(self, name: str) -> Any:
        """The primary object of a field; several modules give a mapping by module name."""
        modules = self.model.field_modules(name)
        if not modules:
            raise CoreConfigBuildError(
                f"field '{name}' defines no module in this config", file=self.model.loaded.path
            )
        if len(modules) == 1:
            return self.field_value(modules[0])
        return FieldModules({m.name: self.field_value(m) for m in modules})

    def field_value(self, module: ModuleDef) -> Any:
        """A primary module's object; the class itself when references use it only as a class
        (``"$cls" = "VGG"`` on ``[Backbone.VGG]``), as upstream ExCore does."""
        if self._class_only is None:
            self._class_only = class_only_modules(self.model, self.source)
        if id(module) in self._class_only:
            return self.module_class(module)
        return self.build_module(module, "shared", None)

    def build_primary(self) -> dict[str, Any]:
        """Every primary field that has a module in the config, in sorted order."""
        out: dict[str, Any] = {}
        for name in sorted(self.model.fields):
            if self.model.field_modules(name):
                out[name] = self.build_field(name)
        return out

    # -- modules -----------------------------------------------------------------------------

    def where_module(self, module: ModuleDef) -> Where:
        return Where(module.file, module.section.start, module.section.end, module.path)

    def module_class(self, module: ModuleDef) -> Any:
        cls = self._classes.get(id(module), _UNSEEN)  # the model keeps its modules alive
        if cls is not _UNSEEN:
            return cls
        cls = self._classes[id(module)] = self.lookup_object(
            module.lookup_name, module.registry, module
        )
        return cls

    def lookup_object(self, name: str, registry: str | None, where: Where | ModuleDef) -> Any:
        """The registered object ``name`` (in ``registry`` first, else any registry)."""
        try:
            if registry is not None:
                reg = Registry.get_registry(registry)
                if reg is not None and reg.contains(name):
                    return reg.get_object(name)
            obj, found = Registry.find_object(name)
        except (KeyError, ExcoreError) as exc:
            at = where if isinstance(where, Where) else self.where_module(where)
            if isinstance(exc, UnsafeReferenceError):
                raise self.error(StrToClassError, exc.message, at, "unsafe-reference") from exc
            if isinstance(exc, ExcoreError):
                message = exc.message
            else:  # str(KeyError) quotes its argument: use the argument itself
                message = str(exc.args[0]) if exc.args else str(exc)
            raise self.error(StrToClassError, f"cannot import '{name}': {message}", at) from exc
        if found is None:
            at = where if isinstance(where, Where) else self.where_module(where)
            raise self.error(StrToClassError, f"'{name}' is not registered", at)
        return obj

    def build_module(
        self,
        module: ModuleDef,
        mode: Mode,
        call: Call | None,
        where: Where | None = None,
    ) -> Any:
        cls = self.module_class(module)
        if mode == "class":
            return cls
        if mode == "shared":
            key = ("module", id(module), call.source if call is not None else None)
            if key in self._shared:
                return self._shared[key]
        if module.path in self._active:
            cycle = " -> ".join([*self._active[self._active.index(module.path) :], module.path])
            at = where or self.where_module(module)
            raise self.error(CoreConfigBuildError, f"reference cycle: {cycle}", at)
        self._active.append(module.path)
        try:
            kwargs = self.module_kwargs(module)
            args: tuple[Any, ...] = ()
            if call is not None:
                args = call.args
                kwargs.update(call.kwargs)
            suffix = parse_module_name(module.name).suffix if "*" in module.name else None
            if module.no_call:
                value: Any = ModuleNode(cls, kwargs, module.name)
            elif suffix is not None:
                handler = suffix_handler(suffix.text)
                if handler is None:
                    raise self.error(
                        StrToClassError,
                        f"no handler for '*{suffix.text}' (enable its plugin first, e.g. "
                        "excore.plugins.finegrained_config.enable_finegrained_config())",
                        self.where_module(module),
                    )
                value = self.call(handler, (self, module, cls, kwargs), {}, module.name, module)
            else:
                value = self.call(cls, args, kwargs, module.name, module)
        finally:
            self._active.pop()
        if mode == "shared":
            self._shared[key] = value
        return value

    def module_kwargs(self, module: ModuleDef) -> dict[str, Any]:
        """The built parameters of a module (references built, variables read)."""
        params = module.params
        kwargs: dict[str, Any] = {}
        for name in sorted(params):
            param = params[name]
            if param.prefix == "&":
                kwargs[name] = self.variable_value(param, module)
            elif param.prefix or param.kind in ("array", "table"):
                kwargs[name] = self.param_value(param)
            else:
                kwargs[name] = param.data  # a plain scalar (most parameters)
        for name in sorted(module.nested):
            kwargs[name] = section_to_python(module.nested[name])
        for name, table in module.ref_tables.items():  # [Model.Net."$cls"]: a dict of references
            kwargs[name] = {key: self.param_value(entry) for key, entry in table.entries.items()}
        if self.overrides:
            kwargs.update(self.overrides.get(module.path, {}))
        return kwargs

    def call(
        self,
        fn: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        what: str,
        where: Where | ModuleDef,
    ) -> Any:
        """Call a constructor; its exception becomes a located :class:`ModuleBuildError`."""
        if _log_build_messages():
            from excore.engine.logging import logger

            logger.info("building {}", what)
        try:
            return fn(*args, **kwargs)
        except ExcoreError:
            raise
        except Exception as exc:
            at = where if isinstance(where, Where) else self.where_module(where)
            error = self.error(
                ModuleBuildError, f"building {what} failed: {type(exc).__name__}: {exc}", at
            )
            assert isinstance(error, ModuleBuildError)
            error.original = exc
            raise error from exc

    # -- parameters --------------------------------------------------------------------------

    def param_value(self, param: ParamDef) -> Any:
        leaf = param.leaf
        prefix = leaf.key.prefix
        if prefix == "":
            value = leaf.value
            return value.to_python() if value.kind in ("array", "table") else value.data
        if prefix == "&":
            return self.variable_value(param)
        if param.indirect is not None and param.source_value is None:
            name = param.indirect
            raise self.error(
                StrToClassError,
                f"'&{name.text}' names no top-level variable of this config",
                Where(param.file, name.start - 1, name.end, param.path),
                "undefined-variable",
            )
        values = [self.reference_value(param, use) for use in param.refs]
        written = param.source_value or param.leaf.value
        if len(values) != (len(written.items) if param.is_list else 1):
            raise self.error(
                StrToClassError,
                f"'{param.leaf.key.text}' takes a module name or a list of names",
                Where(param.file, param.leaf.value.start, param.leaf.value.end, param.path),
            )
        if not param.is_list:
            return values[0]
        if any(use.ref.star for use in param.refs):
            # ["$Scratch::*", "$Other::*"]: one flat list, as upstream ExCore
            flat: list[Any] = []
            for use, value in zip(param.refs, values):
                if use.ref.star and isinstance(value, list):
                    flat.extend(value)
                else:
                    flat.append(value)
            return flat
        return values

    def variable_value(self, param: ParamDef, module: ModuleDef | None = None) -> Any:
        """A ``&`` value: a top-level variable, or a ``${ENV}`` template. Text read from the
        environment is converted by the annotation of ``module``'s parameter (``int``...)."""
        var = param.variable
        value = param.leaf.value
        where = Where(param.file, value.start, value.end, param.path)
        if var is None or var.problems:
            message = var.problems[0].message if var and var.problems else "not a string"
            raise self.error(
                StrToClassError, f"'{param.leaf.key.text}': {message}", where, "bad-reference"
            )
        if not var.is_template:
            env_leaf = env_variable(self.model, var)
            if env_leaf is None:
                return self.computed_value(param.leaf)
            # a top-level variable read from the environment: `channels = "${CHANNELS}"`
            value = env_leaf.value
            refs = find_env_refs(str(value.data), value.content_start)
            where = Where(env_leaf.file, value.start, value.end, env_leaf.path)
        else:
            refs = var.env
        env = self.env if self.env is not None else os.environ
        text, missing = substitute(str(value.data), value.content_start, refs, env)
        if missing is not None:
            raise self.error(
                EnvVarParseError,
                f"environment variable '{missing.name}' is not set",
                Where(where.file, missing.start, missing.end, where.key),
                "undefined-env",
            )
        spec = self.param_spec(module, param.name) if module is not None else None
        converted, why = convert(text, spec)
        if why:
            names = ", ".join(f"${{{r.name}}}" for r in refs)
            expected = spec.annotation if spec is not None else ""
            raise self.error(
                EnvVarParseError,
                f"'{param.name}' expects {expected}: {why} (from the environment: {names})",
                where,
                "type-mismatch",
            )
        return converted

    def param_spec(self, module: ModuleDef, name: str) -> ParamInfo | None:
        info = self.source.lookup(module.lookup_name, module.registry)
        return info.param(name) if info is not None else None

    def computed_value(self, leaf: Leaf) -> Any:
        """A variable or expression of an ``&`` key (see :mod:`excore.config.compute`)."""
        from excore.config.compute import ComputeError, computation_of

        try:
            return computation_of(self.model, self.env).value(leaf)
        except ComputeError as exc:
            cls: type[ExcoreError] = {
                "undefined-variable": StrToClassError,
                "undefined-env": EnvVarParseError,
            }.get(exc.code, CoreConfigBuildError)
            p = exc.problem
            raise self.error(cls, p.message, Where(p.file, p.start, p.end, p.key), p.code) from None

    def reference_value(self, param: ParamDef, use: RefUse) -> Any:
        ref = use.ref
        if ref.problems or ref.head is None:
            syntax = ref.problems[0] if ref.problems else None
            message = syntax.message if syntax else "expected a name"
            start, end = (syntax.start, syntax.end) if syntax else (use.value.start, use.value.end)
            raise self.error(
                StrToClassError, message, Where(use.file, start, end, param.path), "bad-reference"
            )
        target, problem = resolve(self.model, ref, self.source)
        if problem is not None or target is None:
            message = problem.message if problem else f"cannot resolve '{ref.text}'"
            start, end = (
                (problem.start, problem.end) if problem else (use.value.start, use.value.end)
            )
            at = Where(use.file, start, end, param.path)
            raise self.error(StrToClassError, message, at, problem.code if problem else "")
        mode = MODE_OF_PREFIX[param.prefix]
        fine = ref.fine
        if not ref.hooks and fine is None:
            return self.target_value(target, mode, use, param)

        def produce() -> Any:
            if fine is not None:
                return self.fine_value(target, use, param)
            return self.target_value(target, mode, use, param)

        if not ref.hooks:
            return produce()

        return self.apply_hooks(produce, ref.hooks, use, param)

    def target_value(self, target: Target, mode: Mode, use: RefUse, param: ParamDef) -> Any:
        ref = use.ref
        head = ref.head
        assert head is not None
        at = Where(use.file, head.start, head.end, param.path)
        links = ref.chain if target.kind != "python" else ref.chain[target.consumed - 1 :]
        call: Call | None = None
        if mode != "class" and target.kind not in ("field", "field-all") and links:
            first = links[0]
            if first.call is not None:
                call, links = first.call, links[1:]
        if target.kind in ("section", "field") and target.module is not None:
            value = self.build_module(target.module, mode, call, at)
        elif target.kind == "field-all":
            value = [self.build_module(m, mode, None, at) for m in target.modules]
        else:
            value = self.registered_value(target, mode, call, at)
        package = ""
        if target.kind == "python" and call is None:  # the chain continues the dotted path
            package = package_of(target.info.target if target.info is not None else target.name)
        return self.apply_chain(value, links, use, param, package)

    def fine_value(self, target: Target, use: RefUse, param: ParamDef) -> Any:
        """``"Container*$Group::name"``: the FinegrainedConfig hook, with the parameters of the
        table ``[Group.name]``, builds the container class (whatever the key's prefix) from
        its layers."""
        fine = use.ref.fine
        assert fine is not None
        at = Where(use.file, fine.start, fine.end, param.path)
        table = self.model.fine.get(fine.key)
        if table is None:
            raise self.error(
                CoreConfigParseError,
                f"'{'::'.join(fine.key)}' names no table of this config (a fine-grained value "
                f"needs [{'.'.join(fine.key)}])",
                Where(use.file, fine.path[0].start, fine.end, param.path),
                "bad-reference",
            )
        cls = self.hook_class(Ident(FINEGRAINED_HOOK, fine.start, fine.end), at)
        container = self.target_value(target, "class", use, param)
        kwargs = self.module_kwargs(table)
        enabled = kwargs.pop("enabled", True)
        name = use.ref.text[: fine.start - use.ref.start]
        table_at = self.where_module(table)
        try:
            node = cls(_Thunk(lambda: container, name), enabled, **kwargs)
            return node()
        except ExcoreError:
            raise
        except Exception as exc:
            table_error = getattr(cls, "table_error", None)  # the layer table does not fit
            if isinstance(table_error, type) and isinstance(exc, table_error):
                raise self.error(
                    CoreConfigBuildError, f"fine-grained config of {name}: {exc}", table_at
                ) from exc
            error = self.error(
                ModuleBuildError, f"building {name} failed: {type(exc).__name__}: {exc}", table_at
            )
            assert isinstance(error, ModuleBuildError)
            error.original = exc
            raise error from exc

    def registered_value(self, target: Target, mode: Mode, call: Call | None, at: Where) -> Any:
        """An implicit module or a member of a registered Python module."""
        registry = target.info.registry if target.info is not None else None
        obj = self.lookup_object(target.name, registry, at)
        if mode == "class":
            return obj
        key = ("implicit", target.name, call.source if call is not None else None)
        if mode == "shared" and key in self._shared:
            return self._shared[key]
        if not callable(obj):
            raise self.error(
                CoreConfigBuildError,
                f"'{target.name}' is not a class or function; use '$' to pass it as is",
                at,
            )
        args = call.args if call is not None else ()
        kwargs = dict(call.kwargs) if call is not None else {}
        value = self.call(obj, args, kwargs, target.name, at)
        if mode == "shared":
            self._shared[key] = value
        return value

    def apply_chain(
        self, value: Any, links: list[Link], use: RefUse, param: ParamDef, package: str = ""
    ) -> Any:
        """Apply attributes and calls under the rules of :mod:`excore.safety` (the checker
        refused these already; this is the second line of defense). ``package``: the chain
        starts as a dotted path below a registered Python module of that package."""
        for link in links:
            at = Where(use.file, link.start, link.end, param.path)
            if link.attr is not None:
                name = link.attr.text
                if unsafe_name(name):
                    where = Where(use.file, link.attr.start, link.attr.end, param.path)
                    raise self.error(
                        StrToClassError, underscore_reason(name), where, "unsafe-reference"
                    )
                try:
                    value = getattr(value, link.attr.text)
                except AttributeError as exc:
                    owner = getattr(value, "__name__", type(value).__name__)
                    raise self.error(
                        StrToClassError,
                        f"{owner} has no attribute '{link.attr.text}'",
                        at,
                        "bad-reference",
                    ) from exc
                dotted = use.ref.text[: link.end - use.ref.start]
                if package:
                    reason = foreign_reason(value, dotted, package)
                else:
                    reason = chain_reason(value, name)
                if reason:
                    where = Where(use.file, link.attr.start, link.attr.end, param.path)
                    raise self.error(StrToClassError, reason, where, "unsafe-reference")
            elif link.call is not None:
                package = ""  # what a call returns is no longer a dotted path
                if not callable(value):
                    raise self.error(
                        StrToClassError,
                        f"{type(value).__name__} object is not callable",
                        at,
                        "bad-reference",
                    )
                value = self.call(
                    value, link.call.args, dict(link.call.kwargs), f"'{use.ref.text}'", at
                )
        return value

    def apply_hooks(
        self, produce: Callable[[], Any], hooks: list[Ident], use: RefUse, param: ParamDef
    ) -> Any:
        """Wrap the value in each hook, left to right, and return the outermost hook's value."""
        node: Callable[[], Any] = _Thunk(produce, use.ref.text.split("@", 1)[0])
        groups = use.ref.hook_groups
        for index, hook in enumerate(hooks):
            at = Where(use.file, hook.start, hook.end, param.path)
            cls = self.hook_class(hook, at)
            group = groups[index] if index < len(groups) else None
            params = self.hook_params(hook.text, group.text if group is not None else None, at)
            enabled = params.pop("enabled", True)
            try:
                node = cls(node, enabled, **params)
            except ExcoreError:
                raise
            except Exception as exc:
                raise self.error(
                    HookBuildError,
                    f"creating hook {hook.text} failed: {type(exc).__name__}: {exc}",
                    at,
                ) from exc
        try:
            return node()
        except ExcoreError:
            raise
        except Exception as exc:
            raise self.error(
                HookBuildError,
                f"hook {hooks[-1].text} failed: {type(exc).__name__}: {exc}",
                Where(use.file, hooks[0].start, hooks[-1].end, param.path),
            ) from exc

    def hook_class(self, hook: Ident, at: Where) -> Any:
        from excore.engine.hook import ConfigArgumentHook

        info = self.source.lookup(hook.text)
        registry = info.registry if info is not None else None
        try:
            cls = self.lookup_object(hook.text, registry, at)
        except StrToClassError as exc:
            raise self.error(HookBuildError, exc.message, at, "unknown-hook") from exc
        if not (isinstance(cls, type) and issubclass(cls, ConfigArgumentHook)):
            raise self.error(
                HookBuildError, f"'{hook.text}' is not a ConfigArgumentHook subclass", at
            )
        return cls

    def hook_params(
        self, name: str, group: str | None = None, at: Where | None = None
    ) -> dict[str, Any]:
        if group is not None:  # "@$Group::Hook": the parameters of [Group.Hook]
            found = next((m for m in self.model.groups.get(group, []) if m.name == name), None)
            if found is None:
                raise self.error(
                    HookBuildError,
                    f"table '{group}' defines no hook '{name}'",
                    at or Where(self.model.loaded.path, 0, 0, ""),
                    "unknown-hook",
                )
            return self.module_kwargs(found)
        module = self.model.hooks.get(name)
        if module is None:
            module = next(
                (m for m in self.model.top_level.values() if m.name == name and m.role == "hook"),
                None,
            )
        return self.module_kwargs(module) if module is not None else {}

    # -- errors ------------------------------------------------------------------------------

    def error(
        self, cls: type[ExcoreError], message: str, where: Where, code: str = ""
    ) -> ExcoreError:
        line, column = self.position(where.file, where.start)
        if code == "unsafe-reference":  # named like the checker's problem, whoever finds it
            message = f"{code}: {message}"
        return cls(message, file=where.file, line=line, column=column, key=where.key, code=code)

    def position(self, file: str, offset: int) -> tuple[int, int]:
        source = self.model.loaded.files.get(file)
        if source is None:
            return 0, 0
        line, column = source.lines.position(offset)
        return line + 1, column + 1


class FieldModules(dict[str, Any]):
    """Several modules under one field, by module name (attribute access works too)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _log_build_messages() -> bool:
    from excore import workspace

    return workspace.excore_log_build_message


def section_to_python(section: Section) -> dict[str, Any]:
    """A merged table as plain Python data (keys as written, prefixes kept)."""
    out: dict[str, Any] = {}
    elements = array_elements(section)
    for key, node in section.items.items():
        if key not in elements:
            out[key] = node.value.to_python() if isinstance(node, Leaf) else section_to_python(node)
    for name, tables in (section.arrays or {}).items():
        out[name] = [section_to_python(t) for t in tables]
    return out
