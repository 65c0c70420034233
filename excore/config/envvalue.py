"""Values read from the environment: ``${VAR}`` and ``${VAR:-default}`` substituted, then the
text converted by the annotation of the parameter it goes to.

An environment variable is always text. When the parameter takes a number, a boolean, a list or
a table (and not a string), the text is read as a TOML literal (``8``, ``0.5``, ``true``,
``[1, 2]``); text that is not such a literal, or a literal of another type, is a
``type-mismatch`` that names the variable and its value. Shared by the checker (with the
environment it is given) and the builder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from excore.config.loader import Leaf
from excore.signatures import ParamInfo
from excore.syntax.grammar import EnvRef, VariableValue

if TYPE_CHECKING:
    from excore.config.model import ConfigModel

_TOML_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}
_TYPE_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "float",
    str: "string",
    list: "array",
    dict: "table",
}


def env_variable(model: ConfigModel, var: VariableValue) -> Leaf | None:
    """The top-level variable a bare ``&`` name reads, when its value is a ``${ENV}`` string."""
    if var.name is None:
        return None
    node = model.variables.get(var.name.text)
    if isinstance(node, Leaf) and not node.key.prefix and node.value.kind == "string":
        return node if "${" in str(node.value.data) else None
    return None


def substitute(
    text: str, content_start: int, refs: list[EnvRef], env: Mapping[str, str]
) -> tuple[str, EnvRef | None]:
    """``text`` (which starts at offset ``content_start``) with each reference replaced by its
    variable's value, or by its default when the variable is unset or empty (``:-``). The
    second item is the first reference with neither (then the text is incomplete)."""
    pieces: list[str] = []
    pos = 0
    missing: EnvRef | None = None
    for ref in refs:
        value = env.get(ref.name)
        if ref.default is not None and not value:
            value = ref.default
        if value is None:
            missing = missing or ref
            value = ""
        pieces.append(text[pos : ref.start - content_start])
        pieces.append(value)
        pos = ref.end - content_start
    pieces.append(text[pos:])
    return "".join(pieces), missing


def convert(text: str, spec: ParamInfo | None) -> tuple[object, str]:
    """``text`` converted for the parameter ``spec``: ``(value, "")``, or ``(text, why)`` when
    it cannot be. Text stays text when the parameter takes a string or says nothing."""
    if spec is None or spec.literal_values:
        return text, ""
    wanted = [t for t in spec.json_type if t in _TOML_TYPES]
    if not wanted or "string" in spec.json_type or "any" in spec.json_type:
        return text, ""
    value = _toml_literal(text.strip())
    expected = spec.annotation or " or ".join(wanted)
    if value is _NOT_A_LITERAL:
        return text, f"{text!r} is not a TOML literal of {expected}"
    for json_type in wanted:
        types = _TOML_TYPES[json_type]
        if isinstance(value, types) and not (isinstance(value, bool) and bool not in types):
            return value, ""
    got = _TYPE_NAMES.get(type(value), type(value).__name__)
    return text, f"{text!r} is {_article(got)} {got}, not {expected}"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


_NOT_A_LITERAL = object()


def _toml_literal(text: str) -> object:
    if "\n" in text or "\r" in text:  # one value, not more TOML
        return _NOT_A_LITERAL
    from excore.workspace import _parse  # strict TOML (tomllib, or tomli on Python 3.10)

    try:
        data = _parse(f"v = {text}")
    except ValueError:
        return _NOT_A_LITERAL
    return data["v"] if len(data) == 1 and "v" in data else _NOT_A_LITERAL
