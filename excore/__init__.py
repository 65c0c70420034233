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
}

if TYPE_CHECKING:
    from excore import config, errors
    from excore.engine.hook import ConfigArgumentHook
    from excore.registry import Registry

__all__ = ["ConfigArgumentHook", "Registry", "__version__", "config", "errors"]


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
