"""Helpers of the hostile-input tests: run ``excore`` in a fresh process and check its output."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def assert_clean(self) -> None:
        """No Python traceback reached the user."""
        assert "Traceback" not in self.err, self.err
        assert "Traceback" not in self.out, self.out


def run_excore(
    *argv: str, cwd: Path, timeout: float = 60, env: dict[str, str] | None = None
) -> Result:
    """``excore ARGV`` in a fresh process (a hang is a failure, not a stuck suite)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("EXCORE_WORKSPACE", None)
    done = subprocess.run(
        [sys.executable, "-m", "excore.cli.main", *argv],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    result = Result(done.returncode, done.stdout, done.stderr)
    result.assert_clean()
    return result
