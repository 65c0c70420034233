"""Argument-level hooks: ``"@params" = "$Model@BnWeightDecayHook"`` in a config.

A hook is a registered subclass of :class:`ConfigArgumentHook`. The builder creates it with the
node it wraps (a callable that builds the referenced value), ``enabled`` and the parameters of
its ``[ConfigHook.<Name>]`` table, then calls it to get the value passed to the argument.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["ConfigArgumentHook"]


class ConfigArgumentHook:
    """Base class of argument hooks.

    Subclasses implement :meth:`hook`, calling ``self.node()`` to build the wrapped value, and
    must call ``super().__init__(node, enabled)`` from their ``__init__``.

    Args:
        node: Builds the wrapped value when called without arguments.
        enabled: When false, calling the hook returns the wrapped value unchanged.
    """

    def __init__(self, node: Callable[[], Any], enabled: bool = True) -> None:
        self.node = node
        self.enabled = enabled
        self.name: str = getattr(node, "name", "") or type(node).__name__

    def hook(self) -> Any:
        """The value passed to the argument; ``self.node()`` builds the wrapped one."""
        raise NotImplementedError(f"{type(self).__name__} must implement hook(self)")

    def __call__(self) -> Any:
        if "node" not in self.__dict__:
            raise TypeError(
                f"{type(self).__name__}.__init__ must call super().__init__(node, enabled)"
            )
        if self.enabled:
            return self.hook()
        return self.node()
