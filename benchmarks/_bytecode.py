"""Compile the project's bytecode before a benchmark spawns processes.

An installed package ships its ``.pyc`` files; an editable checkout run with
``PYTHONDONTWRITEBYTECODE=1`` would otherwise recompile every module in every
measured process and time the compiler instead of ExCore.
"""

from __future__ import annotations

import compileall
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def compile_project() -> None:
    for package in ("excore", "excore_ls"):
        compileall.compile_dir(REPO / package, quiet=1)
