"""What a config value may reach: the rules that keep a config from running arbitrary code.

A config never ``eval``s text, but a reference walks attributes and calls what it reaches, so
these rules bound what it can reach (``unsafe-reference`` when one is broken):

1. No name in a chain or dotted path starts with ``_`` (no ``__globals__``, ``__class__``,
   ``_private``): :func:`unsafe_name`.
2. A dotted path below a registered Python module reaches only what that module's own top-level
   package defines: a submodule of the package, or an object whose ``__module__`` is in it.
   A foreign module or function the package merely imports (``torch.os``, ``fractions.sys``,
   ``pkg.system`` after ``from os import system``) is refused: :func:`foreign_reason`.
3. A chain never reaches a Python module through an attribute of an object (modules are reached
   only as dotted paths below a registered module), so a call in a chain is made only on what
   the config built or on a callable rules 1 and 2 reach.

The checker applies rule 1 to the text and rule 2 through its signature source (the live
registries, or the index's list of what each walked module defines); the registry and the
builder apply all three again when they resolve and build (defense in depth).

This module imports nothing but the standard library's ``types``.
"""

from __future__ import annotations

import types
from typing import Any

__all__ = [
    "PLAIN_VALUE_TYPES",
    "chain_module_reason",
    "chain_reason",
    "foreign_home",
    "foreign_message",
    "foreign_reason",
    "home_of",
    "package_of",
    "underscore_reason",
    "unsafe_name",
]

# Plain values below a module (``math.pi``) carry no ``__module__``; they are data, not code.
PLAIN_VALUE_TYPES = (bool, int, float, complex, str, bytes, type(None))


def unsafe_name(name: str) -> bool:
    """Whether a name in a chain or dotted path is refused (it starts with ``_``)."""
    return name.startswith("_")


def underscore_reason(name: str) -> str:
    return (
        f"'{name}' starts with '_': a config may not reach private or special attributes "
        "(see 'Safety' in the README)"
    )


def package_of(module_name: str) -> str:
    """The top-level package of a dotted module name (``torch.nn`` → ``torch``)."""
    return module_name.partition(".")[0]


def home_of(obj: Any) -> str | None:
    """The module that defines ``obj``: a module's own name, else its ``__module__``."""
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    try:
        home = getattr(obj, "__module__", None)
    except Exception:  # a hostile or broken __getattr__
        return None
    return home if isinstance(home, str) else None


def _in_package(home: str, package: str) -> bool:
    return home == package or home.startswith(package + ".")


def foreign_home(obj: Any, package: str) -> str | None:
    """``None`` when ``package`` defines ``obj`` (or it is a plain value such as a number or a
    string); else the module that defines it (``""`` when it names none)."""
    if isinstance(obj, PLAIN_VALUE_TYPES):
        return None
    home = home_of(obj)
    if home is not None and _in_package(home, package):
        return None
    return home or ""


def foreign_message(dotted: str, home: str, package: str) -> str:
    """The refusal of ``dotted``, an object of module ``home`` below package ``package``."""
    where = f"is defined in '{home}'" if home else "names no module that defines it"
    return (
        f"'{dotted}' {where}, which the registered package '{package}' only imports: a dotted "
        "path reaches only what the package itself defines (register that module to use it)"
    )


def foreign_reason(obj: Any, dotted: str, package: str) -> str:
    """Why ``obj``, reached as ``dotted`` below a module of ``package``, is refused; ``""``
    when the package defines it (or it is a plain value such as a number or a string)."""
    home = foreign_home(obj, package)
    return "" if home is None else foreign_message(dotted, home, package)


def chain_reason(obj: Any, name: str) -> str:
    """Why the value of attribute ``name`` in a chain is refused; ``""`` when it is allowed."""
    if isinstance(obj, types.ModuleType):
        return chain_module_reason(name, obj.__name__)
    return ""


def chain_module_reason(name: str, module: str = "") -> str:
    what = f"the Python module '{module}'" if module else "a Python module"
    return (
        f"'{name}' is {what}: a chain may not reach a module through an object's attribute "
        "(register the module to use it)"
    )
