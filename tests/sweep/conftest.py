"""The sweep tests' fixture: the toy workspace of :mod:`sweep_toy`."""

from __future__ import annotations

from sweep_toy import toy

__all__ = ["toy"]
