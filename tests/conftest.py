"""Options of the whole suite."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="the long fuzz run of the language server: 10,000 random edits instead of ~1,000 "
        "(the same as EXCORE_FUZZ_LONG=1)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--long"):
        os.environ["EXCORE_FUZZ_LONG"] = "1"  # read when the fuzz module is imported
