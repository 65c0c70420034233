"""What the checker and the editor know about registered things, as plain data.

The same dataclasses are filled from live objects (``describe`` with :mod:`inspect`, used by the
engine and by ``excore schema dump``) and from the workspace index (``excore.schema.index``, used
by the language server, which never imports user code).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ParamKind = Literal["positional", "keyword", "var_positional", "var_keyword"]
ModuleKind = Literal["class", "function", "module", "hook", "other"]
JsonType = Literal["integer", "number", "string", "boolean", "array", "object", "null", "any"]

_KIND_NAMES: dict[Any, ParamKind] = {
    inspect.Parameter.POSITIONAL_ONLY: "positional",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
    inspect.Parameter.KEYWORD_ONLY: "keyword",
    inspect.Parameter.VAR_POSITIONAL: "var_positional",
    inspect.Parameter.VAR_KEYWORD: "var_keyword",
}


@dataclass(slots=True)
class ParamInfo:
    """One parameter of a registered callable, as the checker and the index know it."""

    name: str
    kind: ParamKind = "positional"
    annotation: str = ""  # the annotation as text ("int", "Optional[float]", "nn.Module")
    json_type: list[JsonType] = field(default_factory=list)  # [] when unknown
    required: bool = False
    has_default: bool = False
    default: Any = None  # a JSON value, or the repr string when default_is_repr
    default_is_repr: bool = False
    description: str = ""
    literal_values: list[Any] = field(default_factory=list)  # Literal["a", "b"] -> ["a", "b"]
    annotation_targets: list[str] = field(default_factory=list)  # import targets of classes


@dataclass(slots=True)
class MemberInfo:
    """A public method, property or attribute of a registered class or module."""

    name: str
    kind: Literal["method", "property", "attribute", "class", "function", "module"]
    signature: str = ""
    summary: str = ""
    doc: str = ""
    returns: str = ""  # import target / annotation text of the return type when known


@dataclass(slots=True)
class ModuleInfo:
    """One registered name: a class, a function, a registered Python module or a hook."""

    name: str
    registry: str
    kind: ModuleKind
    target: str  # import target "pkg.mod:Qual.Name" (for Python modules "pkg.mod")
    file: str = ""  # relative to the workspace root when inside it, else absolute; "" unknown
    line: int = 0  # 1-based; 0 unknown
    signature: str = ""
    doc: str = ""
    summary: str = ""
    params: list[ParamInfo] = field(default_factory=list)
    extra_info: dict[str, Any] = field(default_factory=dict)
    bases: list[str] = field(default_factory=list)  # MRO as import targets, self excluded
    members: list[MemberInfo] = field(default_factory=list)
    signature_known: bool = True  # False: no signature could be read; accept any parameter
    # why a config may not reach this dotted name (excore.safety); "" when it may. Set by the
    # live source for a name below a registered Python module that its package does not define.
    refused: str = ""
    # a Python module's public names that other packages define (``torch.os`` → "os"): the
    # index records them so that it refuses them as the live registries do (excore.safety)
    foreign: dict[str, str] = field(default_factory=dict)

    @property
    def accepts_var_keyword(self) -> bool:
        return any(p.kind == "var_keyword" for p in self.params)

    def param(self, name: str) -> ParamInfo | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    def member(self, name: str) -> MemberInfo | None:
        for m in self.members:
            if m.name == name:
                return m
        return None


class RegistryEntries(Protocol):
    """The described modules of one registry (``excore.schema.index.RegistryInfo``)."""

    @property
    def modules(self) -> Mapping[str, ModuleInfo]: ...


class DescribedIndex(Protocol):
    """Descriptions made earlier (the workspace index, ``excore.schema.index.WorkspaceIndex``):
    the live source answers from them instead of importing a target."""

    @property
    def registries(self) -> Mapping[str, RegistryEntries]: ...

    @property
    def python_modules(self) -> Mapping[str, ModuleInfo]: ...


class SignatureSource(Protocol):
    """What the checker needs to know about the registries."""

    def registry_names(self) -> list[str]:
        """Names of all registries."""
        ...

    def lookup(self, name: str, registry: str | None = None) -> ModuleInfo | None:
        """The registered module ``name`` (in ``registry`` when given, else in any registry).

        Dotted names below a registered Python module (``torch.nn.ReLU``) are looked up too.
        """
        ...

    def lookup_all(self, name: str) -> list[ModuleInfo]:
        """Every registry's entry of that name (more than one: the name is ambiguous)."""
        ...

    def names(self, registry: str | None = None) -> Iterable[str]:
        """All registered names (of one registry when given)."""
        ...

    def primary_fields(self) -> dict[str, str] | None:
        """Field → registry name; ``None`` when every registry name is a primary field."""
        ...

    def members_of(self, info: ModuleInfo) -> list[MemberInfo]:
        """The public members of a class (a live source reads them only when asked)."""
        ...
