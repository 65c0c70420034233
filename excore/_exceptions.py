"""Upstream ExCore's module of exception names: ``from excore._exceptions import ...`` keeps
working. The classes are those of :mod:`excore.errors` (every one an ``ExcoreError`` with
``file``, ``line``, ``column`` and ``key``)."""

from excore.errors import (
    AnnotationsFutureError,
    CoreConfigBuildError,
    CoreConfigParseError,
    CoreConfigSupportError,
    EnvVarParseError,
    ExcoreError,
    HookBuildError,
    HookManagerBuildError,
    ModuleBuildError,
    ModuleValidateError,
    StrToClassError,
)

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
]
