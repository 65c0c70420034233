"""Describe live Python objects as :mod:`excore.signatures` dataclasses, with :mod:`inspect`.

``describe(obj, name, registry)`` gives the :class:`~excore.signatures.ModuleInfo` of one
registered class, function, hook or Python module: parameters (kind, annotation text, JSON type,
default, required, per-parameter description from Google / NumPy / reST docstrings), source
location, MRO and public members. It never raises for odd objects: what cannot be read (no source,
no signature, unresolvable annotations) is left empty and the rest is kept.

:class:`LiveSource` is the :class:`~excore.signatures.SignatureSource` over the registries of this
process; it describes lazily (importing a target only when it is looked up) and caches.

Nothing heavy is imported here: ``docstring_parser`` is imported on first use, torch never.
"""

from __future__ import annotations

import ast
import collections.abc as cabc
import enum
import functools
import inspect
import math
import os
import pathlib
import re
import sys
import textwrap
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from excore.registry import Registry
from excore.safety import PLAIN_VALUE_TYPES, foreign_home
from excore.signatures import (
    _KIND_NAMES,
    DescribedIndex,
    JsonType,
    MemberInfo,
    ModuleInfo,
    ModuleKind,
    ParamInfo,
)

__all__ = [
    "LiveSource",
    "describe",
    "describe_module_tree",
    "json_types_of",
    "summary_of",
]

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_DOC_LIMIT = 4000  # characters of a member's docstring kept in the index
_MEMBER_KINDS = ("method", "property", "attribute", "class", "function", "module")

# Bounds of a registered Python module's description (``register_module(torch)``): submodules are
# followed down to MODULE_DEPTH levels below the registered module, only when they are already
# imported (module ``__dict__`` only: no import, no lazy ``__getattr__``), only inside the same
# top-level package, and each object is described once, under its shallowest public path
# (``torch.nn.ReLU``, not ``torch.nn.modules.activation.ReLU``). Classes get an entry (brief: summary,
# parameters, bases; no docstring, no members); functions are only listed among their module's
# members (name, summary, and the signature of Python functions). At most MODULE_ENTRIES entries per registered module.
MODULE_DEPTH = 2
MODULE_ENTRIES = 6000


# --------------------------------------------------------------------------------- public API


def describe(
    obj: Any,
    name: str,
    registry: str,
    *,
    root: str | os.PathLike[str] | None = None,
    kind_hint: ModuleKind | None = None,
    target: str | None = None,
    extra_info: dict[str, Any] | None = None,
    brief: bool = False,
    for_check: bool = False,
) -> ModuleInfo:
    """The :class:`ModuleInfo` of ``obj`` registered as ``name`` in ``registry``.

    ``root`` makes source paths inside it relative (POSIX separators); ``kind_hint`` forces the
    kind (``"module"``, ``"hook"``); ``target`` defaults to the object's own import target.
    ``brief=True`` (entries below a registered Python module) keeps the summary but not the
    docstring, parameter descriptions or class members. ``for_check=True`` keeps only what the
    checker reads (kind, parameters, bases): no location, docs or members (``LiveSource`` reads
    members on demand).
    """
    if for_check and kind_hint is None and type(obj) is type:
        facts = _inherited_check_facts(obj)
        if facts is not None:
            kind, bases, params, signature = facts
            extra = _json_dict(extra_info) if extra_info else {}
            target = target or _target_of(obj)
            return ModuleInfo(
                name, registry, kind, target, "", 0, signature, "", "", params, extra, bases
            )
    kind = kind_hint or _kind_of(obj)
    info = ModuleInfo(
        name=name,
        registry=registry,
        kind=kind,
        target=target or _target_of(obj),
        extra_info=_json_dict(extra_info) if extra_info else {},
    )
    if for_check:
        if isinstance(obj, type) and kind != "module":
            info.bases = _base_targets(obj)
        if kind != "module":
            _fill_signature(info, obj, doc="", hook=kind == "hook")
        return info
    info.file, info.line = _location(obj, root)
    doc = _own_doc(obj)
    info.summary = summary_of(doc)
    info.doc = "" if brief else doc
    if kind == "module":
        info.members = _module_members(obj)
        info.foreign = _foreign_names(obj)
        return info
    if isinstance(obj, type):
        info.bases = [_target_of(base) for base in obj.__mro__[1:] if base is not object]
        if not brief:
            try:
                info.members = _class_members(obj)
            except Exception:  # odd descriptors or metaclasses: the entry stays useful
                info.members = []
    _fill_signature(info, obj, doc="" if brief else doc, hook=kind == "hook")
    return info


CheckFacts = tuple[ModuleKind, list[str], list[ParamInfo], str]  # kind, bases, params, signature
_INHERITED_CHECK_FACTS: dict[tuple[type, ...], CheckFacts] = {}


def _inherited_check_facts(cls: type) -> CheckFacts | None:
    """What a check-grade description of ``cls`` says, when ``cls`` defines no constructor or
    signature of its own: then the classes it inherits from decide it all (cached per MRO)."""
    own = cls.__dict__
    if "__init__" in own or "__new__" in own or "__signature__" in own:
        return None
    if "__text_signature__" in own:
        return None
    tail = cls.__mro__[1:]
    facts = _INHERITED_CHECK_FACTS.get(tail)
    if facts is None:
        kind = _kind_of(cls)
        info = ModuleInfo("", "", kind, "", bases=_base_targets(cls))
        _fill_signature(info, cls, doc="", hook=kind == "hook")
        if not info.signature_known:
            return None
        facts = (kind, info.bases, info.params, info.signature)
        if len(_INHERITED_CHECK_FACTS) < 4096:
            _INHERITED_CHECK_FACTS[tail] = facts
    return facts


_BASE_TARGETS: dict[tuple[type, ...], list[str]] = {}


def _base_targets(cls: type) -> list[str]:
    """Import targets of the MRO of ``cls`` (itself and ``object`` excluded), cached per MRO."""
    mro = cls.__mro__[1:]
    targets = _BASE_TARGETS.get(mro)
    if targets is None:
        targets = [_target_of(base) for base in mro if base is not object]
        if len(_BASE_TARGETS) < 8192:
            _BASE_TARGETS[mro] = targets
    return targets  # shared, like the parameters: described objects stay as read


def summary_of(doc: str) -> str:
    """The first paragraph of a docstring, on one line (at most 300 characters)."""
    lines: list[str] = []
    for line in doc.strip().splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    text = " ".join(lines)
    return text if len(text) <= 300 else text[:297] + "..."


def json_types_of(hint: Any) -> list[JsonType]:
    """The JSON types a TOML literal may have for a (resolved) annotation; ``[]``: unknown.

    ``bool`` is ``boolean``, ``int`` ``integer``, ``float`` ``number`` (integers and numbers are
    kept apart). In a ``Union``, members no TOML literal can be (``nn.Module``, ``Tensor``) are
    dropped; when nothing but ``None`` is left, the type is unknown.
    """
    found = _json_types(hint)
    return [] if found is None else found


def describe_module_tree(
    module: types.ModuleType,
    registered_name: str,
    registry: str,
    *,
    root: str | os.PathLike[str] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> dict[str, ModuleInfo]:
    """Entries below a registered Python module, by dotted name (see MODULE_DEPTH above).

    The registered module itself is not included (the registry entry describes it). Failures
    of single members are appended to ``problems`` and skipped.
    """
    package = module.__name__.partition(".")[0]
    entries: dict[str, ModuleInfo] = {}
    seen: set[int] = {id(module)}
    queue: list[tuple[types.ModuleType, str, int]] = [(module, registered_name, 0)]
    while queue:
        current, path, depth = queue.pop(0)
        if depth > 0:
            try:
                entries[path] = describe(current, path, registry, root=root, kind_hint="module")
            except Exception as exc:  # one bad module never stops the dump
                _note(problems, registry, path, f"{type(exc).__name__}: {exc}")
                continue
        for attr, value in _public_members(current, package):
            if len(entries) >= MODULE_ENTRIES:
                _note(problems, registry, registered_name, f"stopped at {MODULE_ENTRIES} entries")
                return entries
            if id(value) in seen:
                continue
            dotted = f"{path}.{attr}"
            if isinstance(value, types.ModuleType):
                # only true submodules under their own name (not ``torch.functional.F``)
                child = value.__name__ == f"{current.__name__}.{attr}"
                if child and type(value) is types.ModuleType and depth < MODULE_DEPTH:
                    seen.add(id(value))
                    queue.append((value, dotted, depth + 1))
                continue
            if not isinstance(value, type):
                continue  # functions are only listed in their module's members
            seen.add(id(value))
            try:
                entries[dotted] = describe(value, dotted, registry, root=root, brief=True)
            except Exception as exc:  # one bad member never stops the dump
                _note(problems, registry, dotted, f"{type(exc).__name__}: {exc}")
    return entries


def _note(problems: list[dict[str, Any]] | None, registry: str, name: str, reason: str) -> None:
    if problems is not None:
        problems.append({"file": "", "registry": registry, "name": name, "reason": reason})


# --------------------------------------------------------------------------------- kinds, targets


def _kind_of(obj: Any) -> ModuleKind:
    if isinstance(obj, types.ModuleType):
        return "module"
    if isinstance(obj, type):
        return "hook" if _is_hook(obj) else "class"
    if callable(obj):
        return "function"
    return "other"


def _is_hook(cls: type) -> bool:
    hook_class = _hook_class()
    try:
        return issubclass(cls, hook_class) and cls is not hook_class
    except TypeError:
        return False


@functools.lru_cache(maxsize=1)
def _hook_class() -> type:
    from excore.engine.hook import ConfigArgumentHook

    return ConfigArgumentHook


def _target_of(obj: Any) -> str:
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    module = getattr(obj, "__module__", None) or ""
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not isinstance(qualname, str):
        qualname = type(obj).__qualname__
    return f"{module}:{qualname}" if module else qualname


def _dotted(obj: Any) -> str:
    """``pkg.mod.Qual.Name`` of a class or function, for reprs of defaults."""
    return _target_of(obj).replace(":", ".")


# --------------------------------------------------------------------------------- locations


def _location(obj: Any, root: str | os.PathLike[str] | None) -> tuple[str, int]:
    """(file, 1-based line) of ``obj``'s definition; ("", 0) when there is no Python source."""
    try:
        target = inspect.unwrap(obj) if inspect.isfunction(obj) else obj
    except ValueError:
        target = obj
    file = _source_file(target)
    if not file:
        return "", 0
    if isinstance(target, types.ModuleType):
        return display_path(file, root), 1
    qualname = getattr(target, "__qualname__", None)
    line = _class_line(target, file) if isinstance(target, type) else 0
    if not line and isinstance(qualname, str):
        line = _definitions(file).get(qualname, (0, 0))[0]
    if not line and isinstance(target, type) and isinstance(qualname, str):
        # defined in another file than its module says (re-exported, ``__module__`` rewritten):
        # the file of one of its own methods
        for value in vars(target).values():
            code = getattr(value, "__code__", None)
            other = getattr(code, "co_filename", None)
            if isinstance(other, str) and other != file and os.path.isfile(other):
                line = _definitions(other).get(qualname.rpartition(".")[2], (0, 0))[0]
                if line:
                    file = other
                    break
    if not line:
        code = getattr(target, "__code__", None)
        line = getattr(code, "co_firstlineno", 0) or 0
    if not line:
        return "", 0  # the module's file does not define it: no location rather than a wrong one
    return display_path(file, root), int(line)


def _source_file(obj: Any) -> str:
    """The ``.py`` file defining a module, class or function ("" when there is none).

    Not :func:`inspect.getsourcefile`: torch replaces ``inspect.getfile`` with a slow version.
    """
    if isinstance(obj, types.ModuleType):
        file = getattr(obj, "__file__", None)
    elif isinstance(obj, type):
        module = sys.modules.get(getattr(obj, "__module__", "") or "")
        file = getattr(module, "__file__", None)
    else:
        code = getattr(obj, "__code__", None)
        file = getattr(code, "co_filename", None)
    if not isinstance(file, str) or not file.endswith(".py"):
        return ""
    return file if _is_file(file) else ""


@functools.lru_cache(maxsize=4096)
def _is_file(path: str) -> bool:
    return os.path.isfile(path)


def _class_line(cls: type, file: str) -> int:
    """The ``class`` line of ``cls``, found by reading up from its first method (cheaper than
    scanning the whole file); 0 when that does not work."""
    first = 0
    for value in vars(cls).values():
        code = getattr(value, "__code__", None)
        if code is not None and code.co_filename == file:
            line = code.co_firstlineno
            first = line if not first else min(first, line)
    if not first:
        return 0
    lines = _lines(file)
    head = "class " + cls.__name__
    for number in range(min(first, len(lines)), 0, -1):
        text = lines[number - 1].lstrip()
        if text.startswith(head) and text[len(head) : len(head) + 1] in ("(", ":", " "):
            return number
    return 0


def display_path(file: str, root: str | os.PathLike[str] | None) -> str:
    """``file`` relative to ``root`` (POSIX separators) when inside it, else absolute."""
    path = os.path.abspath(file)
    if root is not None:
        base = os.path.abspath(root)
        if path == base or path.startswith(base.rstrip(os.sep) + os.sep):
            return pathlib.PurePath(os.path.relpath(path, base)).as_posix()
    return path


_DEFINITION = re.compile(
    r"^([ \t]*)(?:async[ \t]+)?(class|def)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE
)


def _file_text(file: str) -> str:
    """The text of a source file, cached while its size and mtime stay the same."""
    try:
        stat = os.stat(file)
    except OSError:
        return ""
    return _read_text(file, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _read_text(file: str, mtime_ns: int, size: int) -> str:
    try:
        with open(file, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


@functools.lru_cache(maxsize=256)
def _file_lines(file: str, text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _lines(file: str) -> list[str]:
    return _file_lines(file, _file_text(file))


def _definitions(file: str) -> dict[str, tuple[int, int]]:
    """Qualified name → (1-based line of its ``def``/``class``, indentation) in a file."""
    return _scan_definitions(file, _file_text(file))


@functools.lru_cache(maxsize=256)
def _scan_definitions(file: str, text: str) -> dict[str, tuple[int, int]]:
    """A regex scan with an indentation stack, not :func:`ast.parse`: parsing torch's large
    files costs more than describing their classes."""
    found: dict[str, tuple[int, int]] = {}
    stack: list[tuple[int, str, str]] = []  # (indent, name, kind)
    line, last = 1, 0
    for match in _DEFINITION.finditer(text):
        line += text.count("\n", last, match.start())
        last = match.start()
        indent = len(match.group(1).expandtabs())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parts = [n + (".<locals>" if k == "def" else "") for _, n, k in stack]
        qualname = ".".join([*parts, match.group(3)])
        found.setdefault(qualname, (line, indent))
        stack.append((indent, match.group(3), match.group(2)))
    return found


def _function_source(file: str, line: int, indent: int) -> str:
    """The text of the function defined at ``line`` (dedented), from its ``def`` to its end."""
    lines = _lines(file)
    if not 0 < line <= len(lines):
        return ""
    body = [lines[line - 1]]
    for text in lines[line:]:
        stripped = text.strip()
        current = len(text) - len(text.lstrip())
        if stripped and current <= indent and not stripped.startswith((")", "#")):
            break
        body.append(text)
    return textwrap.dedent("".join(body))


# --------------------------------------------------------------------------------- docstrings


def _own_doc(obj: Any) -> str:
    """The object's own docstring (a class does not inherit its base's), cleaned."""
    if isinstance(obj, type):
        doc = obj.__dict__.get("__doc__")
    else:
        doc = getattr(obj, "__doc__", None)
    return _ADDRESS.sub("", inspect.cleandoc(doc)) if isinstance(doc, str) else ""


def _param_docs(*docs: str) -> dict[str, str]:
    """Parameter name → description from Google, NumPy or reST docstrings (first one wins)."""
    found: dict[str, str] = {}
    for doc in docs:
        if not doc or not _may_document_params(doc):
            continue
        import docstring_parser

        try:
            parsed = docstring_parser.parse(doc, _docstring_style(doc))
        except Exception:  # a malformed docstring only loses its descriptions
            continue
        # parameters first; "Attributes" (a dataclass's fields) only fill what is left
        ordered = sorted(parsed.params, key=lambda p: bool(p.args) and p.args[0] == "attribute")
        for param in ordered:
            for arg in param.arg_name.split(","):
                arg = arg.strip().lstrip("*").split(" ")[0]
                if arg and param.description:
                    found.setdefault(arg, " ".join(param.description.split()))
    return found


_NUMPY_SECTION = re.compile(r"^[ \t]*Parameters[ \t]*\n[ \t]*-{3,}", re.MULTILINE)


def _docstring_style(doc: str) -> Any:
    """The docstring style, when its markers say it (one parse instead of docstring_parser's
    four); AUTO otherwise."""
    from docstring_parser import DocstringStyle

    if _NUMPY_SECTION.search(doc):
        return DocstringStyle.NUMPYDOC
    if re.search(r"^[ \t]*(Args|Arguments|Parameters|Attributes):[ \t]*$", doc, re.MULTILINE):
        return DocstringStyle.GOOGLE
    if re.search(r"^[ \t]*:param\b", doc, re.MULTILINE):
        return DocstringStyle.REST
    if re.search(r"^[ \t]*@param\b", doc, re.MULTILINE):
        return DocstringStyle.EPYDOC
    return DocstringStyle.AUTO


def _may_document_params(doc: str) -> bool:
    markers = ("Args", "Arguments", "Parameters", "Attributes", ":param", "@param")
    return any(marker in doc for marker in markers)


# --------------------------------------------------------------------------------- signatures


# Parameters read from one constructor, shared by the classes that inherit it unchanged (the
# ParamInfo objects are shared too: nothing changes them once described).
_SIGNATURE_CACHE: dict[tuple[Any, bool, str], tuple[list[ParamInfo], str]] = {}
_SIGNATURE_CACHE_SIZE = 8192


def _signature_cache_key(obj: Any, doc: str, hook: bool) -> tuple[Any, bool, str] | None:
    """A class whose signature is exactly its inherited constructor's: cache by that function."""
    if not isinstance(obj, type) or type(obj) is not type:
        return None  # metaclasses may change how the class is called
    function = _constructor_function(obj)
    if function is None:
        return None
    return (function, hook, doc)


# The constructor function found for an MRO below a class that defines none of its own; registries
# often hold many subclasses of one base that only inherit its constructor.
_INHERITED_CONSTRUCTORS: dict[tuple[type, ...], Any] = {}


def _constructor_function(cls: type) -> Any:
    """The function behind ``cls``'s signature; ``None`` when ``__signature__`` decides it."""
    own = cls.__dict__
    if "__init__" in own or "__new__" in own or "__signature__" in own:
        return _constructor_function_uncached(cls)
    if "__text_signature__" in own:
        return None
    tail = cls.__mro__[1:]
    if tail in _INHERITED_CONSTRUCTORS:
        return _INHERITED_CONSTRUCTORS[tail]
    function = _constructor_function_uncached(cls)
    if len(_INHERITED_CONSTRUCTORS) < 4096:
        _INHERITED_CONSTRUCTORS[tail] = function
    return function


def _constructor_function_uncached(cls: type) -> Any:
    if getattr(cls, "__signature__", None) is not None or "__text_signature__" in vars(cls):
        return None
    return _signature_function(cls)


def _fill_signature(info: ModuleInfo, obj: Any, *, doc: str, hook: bool) -> None:
    key = _signature_cache_key(obj, doc, hook)
    if key is not None and key in _SIGNATURE_CACHE:
        info.params, info.signature = _SIGNATURE_CACHE[
            key
        ]  # shared: described objects stay as read
        return
    _read_signature(info, obj, doc=doc, hook=hook)
    if key is not None and info.signature_known and len(_SIGNATURE_CACHE) < _SIGNATURE_CACHE_SIZE:
        _SIGNATURE_CACHE[key] = (info.params, info.signature)


def _read_signature(info: ModuleInfo, obj: Any, *, doc: str, hook: bool) -> None:
    try:
        signature = _signature(obj)
    except Exception:  # no signature (C code), or reading it fails: the rest is still useful
        info.signature_known = False
        return
    function = _signature_function(obj)
    hints = _hints(function) if function is not None else {}
    docs: dict[str, str] = {}
    if doc or (info.doc and function is not None):
        init_doc = _own_doc(function) if isinstance(obj, type) and function is not None else ""
        docs = _param_docs(doc, init_doc)
    parameters = list(signature.parameters.values())
    if hook and parameters and parameters[0].kind in _POSITIONAL:
        parameters = parameters[1:]  # a hook's ``node``: given by the builder, not the config
    info.params = [_param_info(p, hints, docs) for p in parameters]
    if hook:
        _hook_enabled_optional(info.params)
    returns = ""
    if not isinstance(obj, type) and signature.return_annotation is not inspect.Signature.empty:
        returns = _annotation_text(signature.return_annotation)
    info.signature = _signature_text(info.params, returns)


def _hook_enabled_optional(params: list[ParamInfo]) -> None:
    """The builder always passes a hook's ``enabled`` (``true`` unless the config says)."""
    for param in params:
        if param.name == "enabled" and not param.has_default:
            param.required, param.has_default, param.default = False, True, True


def _signature(obj: Any) -> inspect.Signature:
    """``inspect.signature``, not unwrapping classes (slow with torch's metaclasses, and a class
    is not a decorator's wrapper)."""
    return inspect.signature(obj, follow_wrapped=not isinstance(obj, type))


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _signature_function(obj: Any) -> Any:
    """The Python function whose signature ``inspect.signature(obj)`` shows (for type hints)."""
    if not isinstance(obj, type):
        return inspect.unwrap(obj) if callable(obj) else None
    for base in obj.__mro__:
        if base is object:
            return None
        for attr in ("__new__", "__init__"):
            function = base.__dict__.get(attr)
            if isinstance(function, staticmethod):
                function = function.__func__
            if isinstance(function, types.FunctionType):
                return function
    return None


def _hints(function: Any) -> dict[str, Any]:
    """Resolved annotations of ``function``; unresolvable ones are resolved one by one or left."""
    try:
        return _cached_hints(function)
    except TypeError:  # unhashable callable
        return _resolve_hints(function)


@functools.lru_cache(maxsize=4096)
def _cached_hints(function: Any) -> dict[str, Any]:
    return _resolve_hints(function)


def _resolve_hints(function: Any) -> dict[str, Any]:
    raw = getattr(function, "__annotations__", None)
    if isinstance(raw, dict) and not any(
        isinstance(v, (str, typing.ForwardRef)) for v in raw.values()
    ):
        return dict(raw)  # nothing to resolve (json types treat ``None`` like ``NoneType``)
    try:
        return dict(typing.get_type_hints(function))
    except Exception:
        pass
    raw = getattr(function, "__annotations__", None)
    if not isinstance(raw, dict):
        return {}
    namespace = getattr(function, "__globals__", {})
    resolved: dict[str, Any] = {}
    for key, value in raw.items():
        holder = types.SimpleNamespace(__annotations__={key: value})
        try:
            resolved[key] = typing.get_type_hints(holder, globalns=namespace)[key]
        except Exception:
            continue  # the text is kept; json types come from the text
    return resolved


def _param_info(
    parameter: inspect.Parameter, hints: dict[str, Any], docs: dict[str, str]
) -> ParamInfo:
    info = ParamInfo(name=parameter.name, kind=_KIND_NAMES[parameter.kind])
    annotation = parameter.annotation
    if annotation is not inspect.Parameter.empty:
        info.annotation = _annotation_text(annotation)
        hint = hints.get(parameter.name, annotation)
        if isinstance(hint, (str, typing.ForwardRef)):
            info.json_type = _json_types_from_text(info.annotation)
            info.literal_values = _literals_from_text(info.annotation)
        else:
            info.json_type = json_types_of(hint)
            info.literal_values = _literal_values(hint)
            info.annotation_targets = _class_targets(hint)
    default = parameter.default
    variadic = parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    if default is inspect.Parameter.empty or _is_required_sentinel(default):
        info.required = not variadic
    else:
        info.has_default = True
        ok, value = _json_value(default)
        if ok:
            info.default = value
        else:
            info.default, info.default_is_repr = _default_repr(default), True
    info.description = docs.get(parameter.name, "")
    return info


def _is_required_sentinel(value: Any) -> bool:
    """torch.optim's ``required`` default (``_RequiredParameter``) means "no default"."""
    kind = type(value)
    return kind.__name__ == "_RequiredParameter" and kind.__module__.startswith("torch.optim")


def _signature_text(params: list[ParamInfo], returns: str) -> str:
    parts: list[str] = []
    star_done = False
    for param in params:
        if param.kind == "keyword" and not star_done:
            parts.append("*")
            star_done = True
        text = param.name
        if param.kind == "var_positional":
            text, star_done = "*" + text, True
        elif param.kind == "var_keyword":
            text = "**" + text
        if param.annotation:
            text += f": {param.annotation}"
        if param.has_default:
            shown = param.default if param.default_is_repr else repr(param.default)
            text += f" = {shown}" if param.annotation else f"={shown}"
        parts.append(text)
    return f"({', '.join(parts)})" + (f" -> {returns}" if returns else "")


def parameter_text(param: ParamInfo) -> str:
    """One parameter as in a signature: ``depth: int = 2``, ``*args``, ``**kwargs``."""
    text = _signature_text([param], "")[1:-1]
    return text.removeprefix("*, ")


def _annotation_text(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, typing.ForwardRef):
        return annotation.__forward_arg__
    try:
        text = inspect.formatannotation(annotation)
    except Exception:
        text = repr(annotation)
    return _ADDRESS.sub("", text)


# --------------------------------------------------------------------------------- JSON types


_ARRAY_ABCS = (
    cabc.Sequence,
    cabc.MutableSequence,
    cabc.Iterable,
    cabc.Collection,
    cabc.Set,
    cabc.MutableSet,
)
_OBJECT_ABCS = (cabc.Mapping, cabc.MutableMapping)


def _json_types(hint: Any) -> list[JsonType] | None:
    """Like :func:`json_types_of`; ``None`` for a class no TOML literal can be (dropped in
    unions), ``[]`` for "anything" (Any, TypeVars, unresolved)."""
    if hint is None or hint is type(None):
        return ["null"]
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return _json_types(args[0])
    if origin is typing.Union or (hasattr(types, "UnionType") and origin is types.UnionType):
        found: list[JsonType] = []
        for arg in args:
            member = _json_types(arg)
            if member is None:
                continue
            if not member:
                return []
            found += [t for t in member if t not in found]
        return found if [t for t in found if t != "null"] else []
    if origin is typing.Literal:
        return _dedupe([_json_type_of_value(v) for v in args])
    if origin is not None:
        hint = origin
    if not isinstance(hint, type):
        return []
    if issubclass(hint, enum.Enum):
        return []
    for kind, json_type in _SCALARS:
        if issubclass(hint, kind):
            return [json_type]
    if issubclass(hint, (list, tuple, set, frozenset)) or hint in _ARRAY_ABCS:
        return ["array"]
    if issubclass(hint, dict) or hint in _OBJECT_ABCS:
        return ["object"]
    if hint is object:
        return []
    return None


_SCALARS: tuple[tuple[type, JsonType], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (pathlib.PurePath, "string"),
)


def _json_type_of_value(value: Any) -> JsonType:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    return "string"


def _dedupe(items: list[JsonType]) -> list[JsonType]:
    out: list[JsonType] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


_TEXT_TYPES: dict[str, list[JsonType]] = {
    "bool": ["boolean"],
    "int": ["integer"],
    "float": ["number"],
    "str": ["string"],
    "None": ["null"],
    "list": ["array"],
    "tuple": ["array"],
    "set": ["array"],
    "List": ["array"],
    "Tuple": ["array"],
    "Sequence": ["array"],
    "dict": ["object"],
    "Dict": ["object"],
    "Mapping": ["object"],
}


def _json_types_from_text(text: str) -> list[JsonType]:
    """JSON types of an annotation that could not be resolved, read from its text (no eval)."""
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return []
    found = _text_types(node)
    return [] if found is None else found


def _text_types(node: ast.expr) -> list[JsonType] | None:
    if isinstance(node, ast.Constant) and node.value is None:
        return ["null"]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _json_types_from_text(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_of([_text_types(node.left), _text_types(node.right)])
    name = _tail_name(node.value if isinstance(node, ast.Subscript) else node)
    if isinstance(node, ast.Subscript):
        inner = node.slice
        items = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        if name == "Optional":
            return _union_of([_text_types(items[0]), ["null"]])
        if name == "Union":
            return _union_of([_text_types(item) for item in items])
        if name == "Literal":
            values = [i.value for i in items if isinstance(i, ast.Constant)]
            return _dedupe([_json_type_of_value(v) for v in values])
        if name == "Annotated":
            return _text_types(items[0])
    if name in _TEXT_TYPES:
        return list(_TEXT_TYPES[name])
    if name in ("Any", "object"):
        return []
    return None if name and name[:1].isupper() else []


def _union_of(members: list[list[JsonType] | None]) -> list[JsonType]:
    found: list[JsonType] = []
    for member in members:
        if member is None:
            continue
        if not member:
            return []
        found += [t for t in member if t not in found]
    return found if [t for t in found if t != "null"] else []


def _tail_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _literals_from_text(text: str) -> list[Any]:
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return []
    if isinstance(node, ast.Subscript) and _tail_name(node.value) == "Literal":
        inner = node.slice
        items = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        return [i.value for i in items if isinstance(i, ast.Constant)]
    return []


def _literal_values(hint: Any) -> list[Any]:
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return [v for v in typing.get_args(hint) if _json_value(v)[0]]
    if origin is typing.Union or (hasattr(types, "UnionType") and origin is types.UnionType):
        values: list[Any] = []
        for arg in typing.get_args(hint):
            values += [v for v in _literal_values(arg) if v not in values]
        return values
    return []


def _class_targets(hint: Any) -> list[str]:
    """Import targets of the classes named in an annotation (``Optional[nn.Module]``)."""
    found: list[str] = []

    def walk(h: Any) -> None:
        origin = typing.get_origin(h)
        if origin is typing.Literal:
            return
        if origin is typing.Annotated:
            walk(typing.get_args(h)[0])
            return
        if origin is not None:
            for arg in typing.get_args(h):
                walk(arg)
            return
        if isinstance(h, type) and h.__module__ not in ("builtins", "typing") and h is not object:
            target = _target_of(h)
            if target not in found:
                found.append(target)

    walk(hint)
    return found


# --------------------------------------------------------------------------------- values


def _json_value(value: Any) -> tuple[bool, Any]:
    """(True, JSON value) when ``value`` is JSON-able (tuples become lists), else (False, None)."""
    if value is None or isinstance(value, (bool, str)):
        return True, value
    if isinstance(value, int) and not isinstance(value, enum.Enum):
        return True, int(value)
    if isinstance(value, float) and not isinstance(value, enum.Enum):
        return (True, float(value)) if math.isfinite(value) else (False, None)
    if type(value) in (list, tuple):
        items = [_json_value(v) for v in value]
        return (True, [v for _, v in items]) if all(ok for ok, _ in items) else (False, None)
    if type(value) is dict and all(isinstance(k, str) for k in value):
        pairs = {k: _json_value(v) for k, v in value.items()}
        if all(ok for ok, _ in pairs.values()):
            return True, {k: v for k, (_, v) in pairs.items()}
    return False, None


def _default_repr(value: Any) -> str:
    if isinstance(value, type) or inspect.isfunction(value) or inspect.isbuiltin(value):
        return _dotted(value)
    if type(value) in (set, frozenset):  # element order follows the hash seed: sort it
        items = ", ".join(sorted(_default_repr(v) for v in value))
        return (
            f"{{{items}}}"
            if type(value) is set and items
            else f"{type(value).__name__}({{{items}}})"
        )
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__qualname__}>"
    return _ADDRESS.sub("", text)


def _json_dict(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        ok, converted = _json_value(value)
        out[str(key)] = converted if ok else _default_repr(value)
    return out


# --------------------------------------------------------------------------------- members


def _public_members(module: types.ModuleType, package: str) -> list[tuple[str, Any]]:
    """Public (name, object) pairs of a module's ``__dict__`` (``__all__`` when it has one),
    keeping only objects of the same top-level package; sorted by name."""
    namespace = vars(module)
    exported = namespace.get("__all__")
    if isinstance(exported, (list, tuple)):
        names = [n for n in exported if isinstance(n, str) and n in namespace]
        names += [  # public submodules are reachable even when ``__all__`` leaves them out
            n
            for n, v in namespace.items()
            if isinstance(v, types.ModuleType) and not n.startswith("_")
        ]
    else:
        names = [n for n in namespace if not n.startswith("_")]
    out: list[tuple[str, Any]] = []
    for name in sorted(set(names)):
        value = namespace[name]
        home = (
            value.__name__
            if isinstance(value, types.ModuleType)
            else getattr(value, "__module__", None)
        )
        if not isinstance(home, str):
            continue
        if home != package and not home.startswith(package + "."):
            continue  # a foreign object, even when __all__ lists it: configs may not reach it
        out.append((name, value))
    return out


def _foreign_names(module: Any) -> dict[str, str]:
    """Public names of a module that another package defines → that module ("" unknown): a
    config may not reach them below the registered module (:mod:`excore.safety`)."""
    if not isinstance(module, types.ModuleType):
        return {}
    package = module.__name__.partition(".")[0]
    found = {}
    for name, value in list(vars(module).items()):
        if name.startswith("_") or isinstance(value, PLAIN_VALUE_TYPES):
            continue
        home = foreign_home(value, package)
        if home is not None:
            found[name] = home
    return dict(sorted(found.items()))


def _module_members(module: Any) -> list[MemberInfo]:
    """A module's public members: name, kind, summary (and a Python function's signature)."""
    if not isinstance(module, types.ModuleType):
        return []
    package = module.__name__.partition(".")[0]
    members = []
    for name, value in _public_members(module, package):
        summary = summary_of(_raw_doc(value))
        if isinstance(value, types.ModuleType):
            members.append(MemberInfo(name, "module", summary=summary))
        elif isinstance(value, type):
            members.append(MemberInfo(name, "class", summary=summary))
        elif inspect.isfunction(value):
            members.append(MemberInfo(name, "function", _callable_text(value), summary))
        elif callable(value):  # C functions: no signature to read (their summary often has it)
            members.append(MemberInfo(name, "function", summary=summary))
    return members


def _raw_doc(value: Any) -> str:
    doc = (
        value.__dict__.get("__doc__") if isinstance(value, type) else getattr(value, "__doc__", "")
    )
    return doc if isinstance(doc, str) else ""


def _callable_text(value: Any, drop_first: bool = False) -> str:
    try:
        signature = _signature(value)
    except Exception:
        return ""
    parameters = [_as_text(p) for p in signature.parameters.values()]
    if drop_first and parameters:
        parameters = parameters[1:]
    returns = signature.return_annotation
    if returns is not inspect.Signature.empty:
        returns = _Text(_annotation_text(returns))
    try:
        text = str(signature.replace(parameters=parameters, return_annotation=returns))
    except (TypeError, ValueError):
        return ""
    return _ADDRESS.sub("", text)


class _Text(str):
    """Annotation text shown without quotes by ``str(inspect.Signature)``."""

    def __repr__(self) -> str:
        return str(self)


def _as_text(parameter: inspect.Parameter) -> inspect.Parameter:
    if parameter.annotation is inspect.Parameter.empty:
        return parameter
    return parameter.replace(annotation=_Text(_annotation_text(parameter.annotation)))


def _class_members(cls: type) -> list[MemberInfo]:
    """Public methods, properties and attributes along the MRO (most derived first).

    Members defined on ``cls`` itself keep their docstring; inherited ones their summary only.
    """
    members: dict[str, MemberInfo] = {}
    for base in cls.__mro__:
        if base is object:
            continue
        for name, member in _members_defined_on(base, base is cls).items():
            if name not in members:
                members[name] = member  # shared: these records are never mutated
    return [members[name] for name in sorted(members)]


@functools.lru_cache(maxsize=2048)
def _members_defined_on(base: type, own: bool) -> dict[str, MemberInfo]:
    members: dict[str, MemberInfo] = {}
    for name, value in list(vars(base).items()):
        if name.startswith("_"):
            continue
        member = _member_info(name, value, base, own)
        if member is not None:
            members[name] = member
    for name, annotation in _class_annotations(base).items():
        if not name.startswith("_") and name not in members:
            members[name] = MemberInfo(name, "attribute", returns=_annotation_text(annotation))
    for name, returns in _init_attributes(base).items():
        if not name.startswith("_") and name not in members:
            members[name] = MemberInfo(name, "attribute", returns=returns)
    return members


def _member_info(name: str, value: Any, cls: type, own: bool) -> MemberInfo | None:
    doc_of: Any = value
    if isinstance(value, (staticmethod, classmethod)):
        function = value.__func__
        member = MemberInfo(
            name, "method", _callable_text(function, isinstance(value, classmethod))
        )
        member.returns = _returns(function)
        doc_of = function
    elif isinstance(value, (property, functools.cached_property)):
        getter = value.fget if isinstance(value, property) else value.func
        member = MemberInfo(name, "property", returns=_returns(getter) if getter else "")
        doc_of = value if isinstance(value, property) else getter
    elif isinstance(value, type):
        member = MemberInfo(name, "class", _callable_text(value))
    elif inspect.isfunction(value) or inspect.ismethoddescriptor(value) or inspect.isbuiltin(value):
        member = MemberInfo(name, "method", _callable_text(value, True))
        member.returns = _returns(value)
    elif callable(value) or isinstance(value, typing.TypeVar):
        return None
    else:
        return MemberInfo(name, "attribute", returns=type(value).__name__)
    doc = _own_doc(doc_of) if doc_of is not None else ""
    member.summary = summary_of(doc)
    if own:
        member.doc = doc if len(doc) <= _DOC_LIMIT else doc[:_DOC_LIMIT] + "..."
    return member


def _returns(function: Any) -> str:
    """The return annotation: the import target when it is a class, else its text."""
    annotation = (
        getattr(function, "__annotations__", {}).get("return")
        if inspect.isfunction(function)
        else None
    )
    if annotation is None:
        return ""
    hints = _hints(function)
    hint = hints.get("return", annotation)
    if isinstance(hint, type) and hint.__module__ != "builtins":
        return _target_of(hint)
    return _annotation_text(annotation)


def _class_annotations(cls: type) -> dict[str, Any]:
    try:
        annotations = inspect.get_annotations(cls)
    except Exception:
        return {}
    return {
        name: value
        for name, value in annotations.items()
        if "ClassVar" not in _annotation_text(value) and name not in cls.__dict__
    }


_SELF_ASSIGNMENT = re.compile(
    r"^[ \t]*self\.([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[ \t]*([^=\n]+?))?[ \t]*=(?!=)"
    r"(?:[ \t]*([A-Za-z_][A-Za-z0-9_.]*)[ \t]*\()?",
    re.MULTILINE,
)


def _init_attributes(cls: type) -> dict[str, str]:
    """``self.x = ...`` / ``self.x: T = ...`` statements of the class's own ``__init__``
    (name → annotation text or ""), read from its source text (a line scan: torch has many)."""
    if "__init__" not in cls.__dict__:
        return {}
    file = _source_file(cls)
    if not file:
        return {}
    entry = _definitions(file).get(cls.__qualname__ + ".__init__")
    if entry is None:
        return {}
    namespace = vars(sys.modules[cls.__module__]) if cls.__module__ in sys.modules else {}
    found: dict[str, str] = {}
    annotated: set[str] = set()
    for match in _SELF_ASSIGNMENT.finditer(_function_source(file, *entry)):
        name, annotation = match.group(1), (match.group(2) or "").strip()
        if name in annotated:
            continue  # the annotation says it best
        if annotation:
            found[name] = annotation
            annotated.add(name)
            continue
        # ``self.conv = nn.Conv2d(...)``: the class called, when it resolves in the module
        returns = _called_class(match.group(3) or "", namespace)
        if returns or name not in found:
            found[name] = returns
    return found


def _called_class(dotted: str, namespace: dict[str, Any]) -> str:
    """The import target of ``dotted`` looked up attribute by attribute in a module namespace
    (no evaluation), when it names a class; else ""."""
    if not dotted:
        return ""
    head, *rest = dotted.split(".")
    value = namespace.get(head)
    for part in rest:
        if value is None:
            return ""
        value = vars(value).get(part) if isinstance(value, (type, types.ModuleType)) else None
    return _target_of(value) if isinstance(value, type) else ""


# --------------------------------------------------------------------------------- LiveSource


# Check-grade descriptions by (registry, name, target, root), with the object they describe
# (reused only while the registered object is that very object) and its extra info.
_SHARED_DESCRIPTIONS: dict[tuple[str, str, str, str | None], tuple[Any, ModuleInfo, Any]] = {}
_SHARED_DESCRIPTIONS_SIZE = 16384


class LiveSource:
    """The :class:`~excore.signatures.SignatureSource` over this process's registries.

    Registered names are described when first looked up (importing their target then) and cached
    per (registry, name, target). Dotted names below a registered Python module (``torch.nn.ReLU``)
    are looked up too. ``primary_fields`` is returned as given (``None``: every registry name is a
    primary field); ``root`` makes source paths relative.

    With ``index`` (a *fresh* workspace index, see :func:`excore.schema.lazy.load_fresh_index`),
    a name the index describes with the same import target is answered from it, without
    importing the target: checking a config then imports nothing.
    """

    def __init__(
        self,
        primary_fields: dict[str, str] | None = None,
        root: str | None = None,
        *,
        index: DescribedIndex | None = None,
    ) -> None:
        self._fields = dict(primary_fields) if primary_fields is not None else None
        self._root = root
        self._index = index
        self._cache: dict[tuple[str, str, str], ModuleInfo | None] = {}
        self._members: dict[tuple[str, str, str], list[MemberInfo]] = {}
        self._pool: Mapping[str, Any] | None = None
        self._sorted: tuple[int, list[Any]] = (-1, [])  # (pool version, registries by name)

    def _registries(self) -> Mapping[str, Any]:
        if self._pool is None:
            self._pool = Registry.registries_view()
        return self._pool

    def registry_names(self) -> list[str]:
        return sorted(self._registries())

    def _by_name(self) -> list[Any]:
        """The registries sorted by name, sorted again only when one was added or removed."""
        registries = self._registries()
        version = Registry.pool_version
        if self._sorted[0] != version:
            self._sorted = (version, [registries[key] for key in sorted(registries)])
        return self._sorted[1]

    def lookup(self, name: str, registry: str | None = None) -> ModuleInfo | None:
        registries = self._registries()
        if registry is not None:
            chosen = [registries[registry]] if registry in registries else []
        else:
            chosen = self._by_name()
        for reg in chosen:
            if name in reg:
                return self._describe(reg, name)
        for reg in chosen:
            if "." in name and reg.python_module_of(name) is not None:
                return self._describe(reg, name)
        return None

    def lookup_all(self, name: str) -> list[ModuleInfo]:
        registries = self._registries()
        found = []
        for key in sorted(registries):
            if name in registries[key]:
                info = self._describe(registries[key], name)
                if info is not None:
                    found.append(info)
        return found

    def names(self, registry: str | None = None) -> Iterator[str]:
        registries = self._registries()
        if registry is not None:
            if registry in registries:
                yield from registries[registry]
            return
        for key in sorted(registries):
            yield from registries[key]

    def primary_fields(self) -> dict[str, str] | None:
        return self._fields

    def members_of(self, info: ModuleInfo) -> list[MemberInfo]:
        """Public members of a registered class, read when first asked (checking chains)."""
        if info.members or info.kind not in ("class", "hook", "module"):
            return info.members
        key = (info.registry, info.name, info.target)
        if key not in self._members:
            self._members[key] = self._read_members(info)
        return self._members[key]

    def _read_members(self, info: ModuleInfo) -> list[MemberInfo]:
        registries = self._registries()
        reg = registries.get(info.registry)
        try:
            obj = reg.get_object(info.name) if reg is not None else None
            if info.kind == "module":  # a registered Python module (or one below it)
                return _module_members(obj)
            return _class_members(obj) if isinstance(obj, type) else []
        except Exception:
            return []

    def _describe(self, reg: Any, name: str) -> ModuleInfo | None:
        target = dict.get(reg, name) or name
        key = (reg.name, name, target)
        if key not in self._cache:
            self._cache[key] = self._describe_shared(reg, name, target)
        return self._cache[key]

    def _describe_shared(self, reg: Any, name: str, target: str) -> ModuleInfo | None:
        """Descriptions are kept across sources (each ``config.load`` makes a new one: a sweep
        planner or a server loads again and again) while the registered object is the same one;
        answers of an index are not kept here."""
        if self._index is not None:
            return self._describe_uncached(reg, name, target)
        try:
            obj = reg.get_object(name)
        except Exception:
            return self._describe_uncached(reg, name, target)
        key = (reg.name, name, target, self._root)
        found = _SHARED_DESCRIPTIONS.get(key)
        if found is not None and found[0] is obj and found[2] is reg.extra_info.get(name):
            return found[1]
        info = self._describe_uncached(reg, name, target)
        if info is None:
            return None
        if len(_SHARED_DESCRIPTIONS) >= _SHARED_DESCRIPTIONS_SIZE:
            _SHARED_DESCRIPTIONS.clear()
        _SHARED_DESCRIPTIONS[key] = (obj, info, reg.extra_info.get(name))
        return info

    def _from_index(self, reg: Any, name: str, target: str) -> ModuleInfo | None:
        if self._index is None:
            return None
        if name in reg:
            entry = self._index.registries.get(reg.name)
            info = entry.modules.get(name) if entry is not None else None
            return info if info is not None and info.target == target else None
        info = self._index.python_modules.get(name)  # below a registered Python module
        return info if info is not None and info.registry == reg.name else None

    def _describe_uncached(self, reg: Any, name: str, target: str) -> ModuleInfo | None:
        known = self._from_index(reg, name, target)
        if known is not None:
            return known
        from excore.registry import UnsafeReferenceError

        try:
            obj = reg.get_object(name)
        except UnsafeReferenceError as exc:  # below a registered module, but not its own
            return ModuleInfo(
                name, reg.name, "other", target, signature_known=False, refused=exc.message
            )
        except KeyError:
            return None  # a dotted name the imported module does not have (torch.nn.GELLU)
        except Exception:
            # Registered but not importable: known by name, signature unknown (the builder
            # reports the import error where the module is built).
            is_module = ":" not in target
            return ModuleInfo(
                name, reg.name, "module" if is_module else "other", target, signature_known=False
            )
        try:
            return describe(
                obj,
                name,
                reg.name,
                root=self._root,
                target=target if name in reg else None,
                extra_info=reg.extra_info.get(name),
                for_check=True,
            )
        except Exception:
            return ModuleInfo(name, reg.name, _kind_of(obj), target, signature_known=False)
