"""What a user installs: the server's dependencies are ordinary ones, the torch extra never
replaces a project's torch, and no document or client sends users to upstream's package."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parents[1]


def test_the_language_server_needs_no_extra() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = {
        dep.split(">")[0].split("=")[0].split("<")[0].strip() for dep in project["dependencies"]
    }
    assert {"pygls", "lsprotocol"} <= names
    torch = [d for d in project["optional-dependencies"]["torch"] if d.startswith("torch")]
    assert torch == ["torch>=2.1"]
    setup = (REPO / "scripts" / "setup.sh").read_text()
    pinned = setup.index('pip_install "torch==2.13.0"')
    assert pinned < setup.index('pip_install -e ".[dev,torch')


def test_no_document_or_client_points_at_upstream() -> None:
    suffixes = {".md", ".lua", ".ts", ".json", ".sh", ".toml"}
    skipped = {"node_modules", ".git", ".venv", "tests"}
    offenders = []
    for path in REPO.rglob("*"):
        if not path.is_file() or path.suffix not in suffixes:
            continue
        if skipped & set(path.relative_to(REPO).parts) or path.name == "package-lock.json":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "excore[ls]" in text:  # upstream's package is what the package index has
            offenders.append(f"{path.relative_to(REPO)}: excore[ls]")
        in_editors = path.relative_to(REPO).parts[0] == "editors"
        if in_editors and "Asthestarsfalll" in text:  # the clients name this project
            offenders.append(f"{path.relative_to(REPO)}: upstream's repository")
    assert offenders == []
    package = json.loads((REPO / "editors" / "vscode" / "package.json").read_text())
    assert "bugs" not in package and "Asthestarsfalll" not in json.dumps(package)


def test_a_healthy_server_exits_cleanly_when_its_input_closes() -> None:
    """What `:checkhealth excore` and the VS Code client rely on to tell a server that cannot
    start (non-zero exit, its reason on stderr) from one that can."""
    result = subprocess.run(
        [sys.executable, "-m", "excore_ls", "--stdio"],
        input=b"",
        capture_output=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr.decode()
