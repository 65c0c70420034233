"""ExCore: a TOML config system for deep learning whose configs can be checked and navigated.

Names are exported lazily so that ``import excore`` stays cheap (no torch, rich, tomlkit).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_LAZY = {
    "Registry": ("excore.registry", "Registry"),
    "ConfigArgumentHook": ("excore.engine.hook", "ConfigArgumentHook"),
    "config": ("excore.config", None),
    "errors": ("excore.errors", None),
    "workspace": ("excore.workspace", None),
    # upstream ExCore's top-level names
    "load": ("excore.config", "load"),
    "build_all": ("excore.config", "build_all"),
    "DictAction": ("excore.config.action", "DictAction"),
    "logger": ("excore.engine.logging", "logger"),
    "add_logger": ("excore.engine.logging", "add_logger"),
    "remove_logger": ("excore.engine.logging", "remove_logger"),
    "debug_only": ("excore.engine.logging", "debug_only"),
    "load_registries": ("excore.registry", "load_registries"),
    "report": ("excore.sweep.report", "report"),
}

if TYPE_CHECKING:
    from excore import config, errors, workspace
    from excore.config import build_all, load
    from excore.config.action import DictAction
    from excore.engine.hook import ConfigArgumentHook
    from excore.engine.logging import add_logger, debug_only, logger, remove_logger
    from excore.registry import Registry, load_registries
    from excore.sweep.report import report

__all__ = [
    "ConfigArgumentHook",
    "DictAction",
    "Registry",
    "__version__",
    "add_logger",
    "build_all",
    "config",
    "debug_only",
    "errors",
    "load",
    "load_registries",
    "logger",
    "remove_logger",
    "report",
    "workspace",
]


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'excore' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
