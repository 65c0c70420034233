"""Exceptions raised by ExCore for errors a user can cause.

Every exception carries where the problem was written: ``file``, ``line`` and ``column``
(1-based; 0 when unknown) and the dotted ``key`` path, and renders as ``file:line:col: message``.
The concrete classes keep upstream ExCore's names, so that ``except`` clauses written for it
keep working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from excore.problems import Problem
    from excore.syntax.text import LineIndex

__all__ = [
    "AnnotationsFutureError",
    "CoreConfigBuildError",
    "CoreConfigParseError",
    "CoreConfigSupportError",
    "EnvVarParseError",
    "ExcoreError",
    "HookBuildError",
    "HookManagerBuildError",
    "ModuleBuildError",
    "ModuleValidateError",
    "StrToClassError",
    "WorkspaceError",
    "class_of_code",
    "error_from_problem",
    "format_problem",
    "problem_position",
]


class ExcoreError(Exception):
    """Base class of every error ExCore reports to its users."""

    def __init__(
        self,
        message: str,
        *,
        file: str = "",
        line: int = 0,
        column: int = 0,
        key: str = "",
        code: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.code = code

    @property
    def location(self) -> str:
        """``file:line:col`` (only the known parts); empty when nothing is known."""
        if not self.file:
            return ""
        parts = [self.file]
        if self.line:
            parts.append(str(self.line))
            if self.column:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        location = self.location
        return f"{location}: {self.message}" if location else self.message

    def __reduce__(self) -> tuple[object, ...]:
        # Keeps the location through pickling (multiprocessing workers send errors back).
        return (_rebuild_error, (type(self), self.message, dict(self.__dict__)))


def _rebuild_error(cls: type[ExcoreError], message: str, state: dict[str, object]) -> ExcoreError:
    error = Exception.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class WorkspaceError(ExcoreError):
    """A workspace file (``excore.toml`` / ``[tool.excore]``) is invalid or cannot be used."""


class CoreConfigSupportError(ExcoreError):
    """The config file is not a ``.toml`` file (or cannot be read at all)."""


class CoreConfigParseError(ExcoreError):
    """The config text is not valid TOML, or its ``__base__`` chain cannot be followed."""


class CoreConfigBuildError(ExcoreError):
    """Building a config failed for a reason that is not a constructor's."""


class EnvVarParseError(CoreConfigParseError):
    """A ``${ENV}`` template names an environment variable that is not set (or is malformed)."""


class StrToClassError(CoreConfigParseError):
    """A reference names nothing that is registered, or its chain cannot be applied."""


class HookBuildError(CoreConfigBuildError):
    """An argument hook is unknown, or creating or calling it failed."""


class ModuleBuildError(CoreConfigBuildError):
    """A registered constructor (or a call in a reference chain) raised.

    The original exception is chained (``raise ... from exc``) and kept as ``original``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str = "",
        line: int = 0,
        column: int = 0,
        key: str = "",
        code: str = "",
        original: BaseException | None = None,
    ) -> None:
        super().__init__(message, file=file, line=line, column=column, key=key, code=code)
        self.original = original


class HookManagerBuildError(CoreConfigBuildError):
    """Upstream's name for a failure to set up its hook manager (kept for ``except`` clauses)."""


class AnnotationsFutureError(ExcoreError):
    """Upstream's name for an annotation that cannot be evaluated (kept for ``except`` clauses)."""


TextSource = Union[str, "LineIndex"]
TextLookup = Union[  # noqa: UP007
    Mapping[str, TextSource], Callable[[str], "TextSource | None"], TextSource, None
]


class ModuleValidateError(ExcoreError):
    """Validation before building found problems; ``problems`` holds **all** of them.

    ``str()`` renders each problem on its own line (``file:line:col: severity code message``).
    The error's own ``file``/``line``/``column``/``key`` are those of the first error.

    ``ModuleValidateError(problems)`` is an instance of the upstream class that raises for the
    first error's code (:func:`class_of_code`): a config-text problem is also a
    :class:`CoreConfigParseError` (``unknown-module`` in a reference a :class:`StrToClassError`,
    ``undefined-env`` an :class:`EnvVarParseError`), a problem a constructor would raise for
    (``missing-param``, ``unknown-param``, ``type-mismatch``, an unregistered module section) a
    :class:`ModuleBuildError`, ``unknown-hook`` a :class:`HookBuildError`. So an ``except`` clause
    written for upstream catches it.
    """

    original: BaseException | None = None

    def __new__(
        cls, problems: Sequence[Problem] = (), texts: TextLookup = None
    ) -> ModuleValidateError:
        if cls is ModuleValidateError:
            first = next((p for p in problems if p.severity.value == "error"), None)
            if first is not None:
                cls = _VALIDATE_CLASSES.get(class_of_code(first.code, first.data), cls)
        error: ModuleValidateError = Exception.__new__(cls)
        return error

    def __init__(self, problems: Sequence[Problem], texts: TextLookup = None) -> None:
        self.problems = list(problems)
        self.lines = [format_problem(p, _text_for(texts, p.file)) for p in self.problems]
        first = next((p for p in self.problems if p.severity.value == "error"), None)
        if first is None and self.problems:
            first = self.problems[0]
        errors = sum(1 for p in self.problems if p.severity.value == "error")
        noun = "problem" if errors == 1 else "problems"
        message = f"the config has {errors} {noun}:\n" + "\n".join(self.lines)
        if first is None:
            super().__init__(message)
            return
        line, column, _, _ = problem_position(first, _text_for(texts, first.file))
        super().__init__(
            message, file=first.file, line=line, column=column, key=first.key, code=first.code
        )

    def __str__(self) -> str:
        return self.message


class ValidateParseError(ModuleValidateError, CoreConfigParseError):
    """Validation found a problem in the config text (upstream: :class:`CoreConfigParseError`)."""


class ValidateStrToClassError(ModuleValidateError, StrToClassError):
    """Validation found a reference to nothing registered (upstream: :class:`StrToClassError`)."""


class ValidateEnvVarError(ModuleValidateError, EnvVarParseError):
    """Validation found an unset ``${ENV}`` (upstream: :class:`EnvVarParseError`)."""


class ValidateBuildError(ModuleValidateError, ModuleBuildError):
    """Validation found what a constructor would fail on (upstream: :class:`ModuleBuildError`)."""


class ValidateHookError(ModuleValidateError, HookBuildError):
    """Validation found an unknown argument hook (upstream: :class:`HookBuildError`)."""


_VALIDATE_CLASSES: dict[type[ExcoreError], type[ModuleValidateError]] = {
    CoreConfigParseError: ValidateParseError,
    StrToClassError: ValidateStrToClassError,
    EnvVarParseError: ValidateEnvVarError,
    ModuleBuildError: ValidateBuildError,
    HookBuildError: ValidateHookError,
}

# code -> upstream class (README "Errors"); codes not listed are of the parse kind.
_CODE_CLASSES: dict[str, type[ExcoreError]] = {
    "toml-syntax": CoreConfigParseError,
    "base-not-found": CoreConfigParseError,
    "base-cycle": CoreConfigParseError,
    "undefined-env": EnvVarParseError,
    "unknown-module": StrToClassError,
    "bad-reference": CoreConfigParseError,
    "unknown-hook": HookBuildError,
    "missing-param": ModuleBuildError,
    "unknown-param": ModuleBuildError,
    "type-mismatch": ModuleBuildError,
}


def class_of_code(code: str, data: Mapping[str, object] | None = None) -> type[ExcoreError]:
    """The upstream exception class for a problem code.

    ``unknown-module`` at a module section's header (``[Model.ResNt]``) is a
    :class:`ModuleBuildError`, as upstream raises when it builds that section; in a reference it
    is a :class:`StrToClassError`. Codes not in the table are config-text problems:
    :class:`CoreConfigParseError`.
    """
    if code == "unknown-module" and data is not None and data.get("header"):
        return ModuleBuildError
    return _CODE_CLASSES.get(code, CoreConfigParseError)


# ------------------------------------------------------------------------------ problems


def _line_index(text: TextSource | None) -> LineIndex | None:
    if text is None:
        return None
    from excore.syntax.text import LineIndex

    return text if isinstance(text, LineIndex) else LineIndex(text)


def _text_for(texts: TextLookup, file: str) -> TextSource | None:
    if texts is None:
        return None
    if isinstance(texts, str):
        return texts
    if isinstance(texts, Mapping):
        return texts.get(file)
    if callable(texts):
        return texts(file)
    return texts


def problem_position(problem: Problem, text: TextSource | None) -> tuple[int, int, int, int]:
    """1-based ``(line, column, end_line, end_column)`` of a problem; zeros when unknown."""
    index = _line_index(text)
    if index is None:
        return 0, 0, 0, 0
    line, column = index.position(problem.start)
    end_line, end_column = index.position(max(problem.end, problem.start))
    return line + 1, column + 1, end_line + 1, end_column + 1


def format_problem(problem: Problem, text: TextSource | None) -> str:
    """``file:line:col: severity code message`` (the ``excore check`` text format)."""
    line, column, _, _ = problem_position(problem, text)
    where = problem.file or "<config>"
    if line:
        where = f"{where}:{line}:{column}"
    return f"{where}: {problem.severity.value} {problem.code} {problem.message}"


_DIRECT_CODES = frozenset(
    {
        "toml-syntax",
        "base-not-found",
        "base-cycle",
        "base-outside",
        "base-depth",
        "undefined-env",
        "unknown-module",
        "bad-reference",
        "unknown-hook",
    }
)


def error_from_problem(problem: Problem, text: TextSource | None = None) -> ExcoreError:
    """The exception for one problem, located with the text (or line index) of its file.

    Codes map to upstream's classes (:func:`class_of_code`: ``toml-syntax`` →
    :class:`CoreConfigParseError`, ``unknown-module`` → :class:`StrToClassError`, ...); other
    codes give a :class:`ModuleValidateError` holding just this problem (itself an instance of
    the code's upstream class).
    """
    if problem.code not in _DIRECT_CODES:
        return ModuleValidateError([problem], text)
    cls = class_of_code(problem.code, problem.data)
    line, column, _, _ = problem_position(problem, text)
    return cls(
        f"{problem.code}: {problem.message}",
        file=problem.file,
        line=line,
        column=column,
        key=problem.key,
        code=problem.code,
    )


def errors_of(problems: Iterable[Problem]) -> list[Problem]:
    """The problems whose severity is ``error``."""
    return [p for p in problems if p.severity.value == "error"]
