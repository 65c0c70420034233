"""Shared helpers of the editor end-to-end tests (Neovim and VS Code through code-server).

Each test session copies the example workspace to a temporary directory, writes the index with
`excore schema dump`, and derives a *scenario* from the workspace's own configs and index: which
line holds a module reference, what a typo of it is, which parameter has a documented description,
where the module's class is defined. The editors are then driven on that copy and must show those
facts. Nothing is hard-coded about the example beyond the ExCore grammar.

Environment:
- EXCORE_SKIP_EDITOR_TESTS=1: skip every editor test (the only way to skip them in CI).
- EXCORE_E2E_WORKSPACE: workspace to copy (default: examples/).
- EXCORE_E2E_SERVER_CMD: JSON list, the server command given to the editors (default: each
  editor's own resolution, with this virtualenv's bin/ first on PATH so `excore-ls` is found).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "editors"
VENV_BIN = Path(sys.executable).parent

HEADER = re.compile(r"^\s*\[\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*\]\s*(#.*)?$")
REFERENCE = re.compile(r'^\s*"@(\w+)"\s*=\s*"([A-Za-z_]\w*)"\s*(#.*)?$')
PLAIN_KEY = re.compile(r"^(\s*)([A-Za-z_]\w*)\s*=")


def skip_reason() -> str | None:
    if os.environ.get("EXCORE_SKIP_EDITOR_TESTS") == "1":
        return "editor tests disabled by EXCORE_SKIP_EDITOR_TESTS=1"
    return None


def missing_dependency(what: str) -> None:
    """Skip outside CI (telling how to install), fail in CI: there the deps must be installed."""
    message = f"{what} (install with: bash scripts/install-editor-deps.sh)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Scenario:
    workspace: str
    diagnostics: dict[str, Any] = field(default_factory=dict)
    completion: dict[str, Any] = field(default_factory=dict)
    hover: dict[str, Any] = field(default_factory=dict)
    definition: dict[str, Any] = field(default_factory=dict)
    quickfix: dict[str, Any] = field(default_factory=dict)
    dump_index: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def excore_cli() -> list[str]:
    exe = shutil.which("excore", path=str(VENV_BIN))
    return [exe] if exe else [sys.executable, "-m", "excore"]


def dump_index(workspace: Path) -> None:
    cmd = [*excore_cli(), "schema", "dump", "--workspace", str(workspace)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=workspace)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )


def load_modules(workspace: Path) -> dict[str, dict[str, Any]]:
    index = json.loads((workspace / ".excore" / "index.json").read_text(encoding="utf-8"))
    modules: dict[str, dict[str, Any]] = {}
    for registry in index["registries"].values():
        for name, info in registry["modules"].items():
            modules.setdefault(name, info)
    return modules


def config_files(workspace: Path) -> list[Path]:
    """The workspace's configs, without the deliberately broken ones."""
    return [p for p in sorted(workspace.glob("configs/**/*.toml")) if "broken" not in p.parts]


def find_reference(workspace: Path, modules: dict[str, dict[str, Any]]) -> tuple[Path, int, str]:
    """The first `"@backbone" = "<registered class>"` line (else any `"@x" = "<registered>"`)."""
    candidates: list[tuple[int, Path, int, str]] = []
    for path in config_files(workspace):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            match = REFERENCE.match(line)
            if match and match.group(2) in modules and modules[match.group(2)].get("line"):
                rank = 0 if match.group(1) == "backbone" else 1
                candidates.append((rank, path, number, match.group(2)))
    if not candidates:
        pytest.fail(f'no `"@field" = "<registered module>"` line in {workspace}/configs')
    _, path, number, name = min(candidates, key=lambda c: (c[0], str(c[1]), c[2]))
    return path, number, name


def find_documented_param(
    workspace: Path, modules: dict[str, dict[str, Any]]
) -> tuple[Path, int, int, str]:
    """A `key = value` line inside `[Field.Module]` whose parameter has a docstring description."""
    for path in config_files(workspace):
        module: str | None = None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            header = HEADER.match(line)
            if header:
                module = header.group(2)
                continue
            if line.lstrip().startswith("["):
                module = None
                continue
            key = PLAIN_KEY.match(line)
            if module in modules and key:
                for param in modules[module].get("params", []):
                    if param["name"] == key.group(2) and param.get("description", "").strip():
                        first = param["description"].strip().splitlines()[0].strip()
                        return path, number, len(key.group(1)), first
    pytest.fail(f"no parameter with a documented description is set in {workspace}/configs")


def find_header(
    workspace: Path, modules: dict[str, dict[str, Any]], prefer: str
) -> tuple[Path, int, int, str]:
    """A `[Field.Module]` header naming a registered module whose source line is known."""
    found: list[tuple[bool, Path, int, int, str]] = []
    for path in config_files(workspace):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            header = HEADER.match(line)
            if header and modules.get(header.group(2), {}).get("line"):
                name = header.group(2)
                found.append((name != prefer, path, number, header.start(2), name))
    if not found:
        pytest.fail(f"no [Field.Module] header of a registered module in {workspace}/configs")
    _, path, number, character, name = min(found, key=lambda f: (f[0], str(f[1]), f[2]))
    return path, number, character, name


def typo_of(name: str, modules: dict[str, dict[str, Any]]) -> str:
    """`ResNet` -> `ResNt`: one letter dropped, still close enough for a did-you-mean."""
    for cut in range(len(name) - 2, 0, -1):
        candidate = name[:cut] + name[cut + 1 :]
        if candidate not in modules:
            return candidate
    return name + "x"


def qualname_leaf(info: dict[str, Any]) -> str:
    return str(info["target"]).split(":")[-1].split(".")[-1]


def build_scenario(workspace: Path) -> Scenario:
    modules = load_modules(workspace)
    config, line_no, name = find_reference(workspace, modules)
    lines = config.read_text(encoding="utf-8").splitlines()
    original = lines[line_no]
    start = original.index(f'"{name}"') + 1
    rel = lambda p: p.relative_to(workspace).as_posix()  # noqa: E731

    typo = typo_of(name, modules)
    typo_file = config.with_name(f"{config.stem}_e2e_typo.toml")
    typo_lines = list(lines)
    typo_lines[line_no] = original[:start] + typo + original[start + len(name) :]
    typo_file.write_text("\n".join(typo_lines) + "\n", encoding="utf-8")

    complete_file = config.with_name(f"{config.stem}_e2e_complete.toml")
    complete_lines = list(lines)
    complete_lines[line_no] = original[:start] + original[start + len(name) :]
    complete_file.write_text("\n".join(complete_lines) + "\n", encoding="utf-8")

    hover_file, hover_line, hover_char, description = find_documented_param(workspace, modules)
    def_file, def_line, def_char, def_name = find_header(workspace, modules, prefer=name)
    target = modules[def_name]
    keyword = "def" if target.get("kind") == "function" else "class"
    return Scenario(
        workspace=str(workspace),
        diagnostics={"file": rel(typo_file), "line": line_no, "name": typo},
        completion={
            "file": rel(complete_file),
            "line": line_no,
            "character": start,
            "expected": [name],
            # what the server's detail says about it: its registry and its signature
            "expected_detail": {
                name: [str(modules[name]["registry"]), f"{qualname_leaf(modules[name])}("]
            },
            "registered": sorted(modules),
        },
        hover={
            "file": rel(hover_file),
            "line": hover_line,
            "character": hover_char,
            "expected": description,
        },
        definition={
            "file": rel(def_file),
            "line": def_line,
            "character": def_char + 1,
            "target_file": str(target["file"]),
            "target_line": int(target["line"]),
            "target_text": f"{keyword} {qualname_leaf(target)}",
        },
        quickfix={
            "file": rel(typo_file),
            "line": line_no,
            "character": start + 1,
            "title": f"Did you mean '{name}'?",
            "expected_line": original,
        },
        dump_index={"file": rel(config)},
    )


def fresh_workspace(tmp_root: Path) -> Path:
    source = Path(os.environ.get("EXCORE_E2E_WORKSPACE") or REPO / "examples")
    if not (source / "excore.toml").is_file() and not (source / "pyproject.toml").is_file():
        pytest.fail(f"example workspace not found: {source}")
    workspace = tmp_root / "workspace"
    shutil.copytree(
        source,
        workspace,
        ignore=shutil.ignore_patterns("__pycache__", "*_e2e_*.toml", "node_modules"),
    )
    if os.environ.get("EXCORE_E2E_DUMP", "1") != "0":
        dump_index(workspace)
    return workspace
