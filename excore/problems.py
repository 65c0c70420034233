"""Problems found in configs: one record type shared by the engine, `excore check` and the server.

A problem carries character offsets into the text of the file it was found in; line and column
are derived from those offsets with :class:`excore.syntax.text.LineIndex`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"


# Stable codes: the server's diagnostics, `excore check` and the exceptions use the same ones.
CODES: dict[str, Severity] = {
    "toml-syntax": Severity.ERROR,
    "unquoted-prefix": Severity.HINT,
    "unknown-module": Severity.ERROR,
    "unknown-field": Severity.ERROR,
    "unknown-param": Severity.ERROR,
    "missing-param": Severity.ERROR,
    "type-mismatch": Severity.ERROR,
    "undefined-variable": Severity.ERROR,
    "undefined-env": Severity.WARNING,
    "reuse-conflict": Severity.ERROR,
    "ambiguous-name": Severity.ERROR,
    "name-conflict": Severity.ERROR,
    "bad-reference": Severity.ERROR,
    "unknown-hook": Severity.ERROR,
    "base-not-found": Severity.ERROR,
    "base-cycle": Severity.ERROR,
    "base-outside": Severity.ERROR,
    "base-depth": Severity.ERROR,
    "base-repeat": Severity.WARNING,
    "bad-prefix-value": Severity.ERROR,
    "misplaced-value": Severity.ERROR,
    "unsafe-reference": Severity.ERROR,
    "stale-index": Severity.WARNING,
    "bad-expression": Severity.ERROR,
    "variable-cycle": Severity.ERROR,
    "bad-delete": Severity.ERROR,
    "bad-sweep": Severity.ERROR,
    "bad-axis": Severity.ERROR,
}


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a problem involves (``[start, end)`` of ``file``), with what happens there."""

    file: str
    start: int
    end: int
    message: str


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem at ``[start, end)`` (character offsets) of ``file``.

    ``key`` is the dotted key path of the value the problem comes from (``Model.FCN.@backbone``),
    empty when the problem is not about one key. ``data`` carries machine-readable details that
    quick fixes use (for example ``{"name": "ResNt", "suggestions": ["ResNet"]}``). ``related``
    lists the other places involved (the other use of a ``reuse-conflict``, the base file a
    problem reported at a ``__base__`` entry comes from).
    """

    code: str
    message: str
    file: str
    start: int
    end: int
    key: str = ""
    severity: Severity = Severity.ERROR
    data: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
    related: tuple[Related, ...] = field(default=(), compare=False, hash=False)


def make_problem(
    code: str,
    message: str,
    file: str,
    start: int,
    end: int,
    key: str = "",
    data: dict[str, object] | None = None,
    related: tuple[Related, ...] = (),
) -> Problem:
    """Build a problem with the severity its code has."""
    return Problem(
        code, message, file, start, end, key, CODES.get(code, Severity.ERROR), data or {}, related
    )
