"""``__base__`` chains that explode, loop deep or reach outside the workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile_helpers import run_excore

from excore.cli.main import main
from excore.config.loader import MAX_BASE_DEPTH, load_config_files

pytestmark = pytest.mark.timeout(120)  # a generous bound: a hang fails, not a slow run

SECRET = "aws_secret_access_key = 'AKIA-DO-NOT-PRINT'"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.timeout(30)
def test_base_bomb_of_25_files_finishes_and_reports_the_repeat(ws: Path) -> None:
    for i in range(24):
        _write(ws / f"f{i}.toml", f'__base__ = ["f{i + 1}.toml", "f{i + 1}.toml"]\nk{i} = {i}\n')
    _write(ws / "f24.toml", "last = 24\n")
    result = run_excore("check", "f0.toml", "--format", "json", cwd=ws, timeout=30)
    records = json.loads(result.out)
    repeats = [r for r in records if r["code"] == "base-repeat"]
    assert len(repeats) == 24
    first = next(r for r in repeats if r["file"] == "f0.toml")
    assert (first["line"], first["column"], first["severity"]) == (1, 25, "warning")
    assert "'f1.toml' is already listed" in first["message"]
    assert result.code == 0  # warnings only
    loaded = load_config_files(ws / "f0.toml")
    assert loaded.root.items["last"].value.data == 24
    assert loaded.root.items["k23"].value.data == 23


@pytest.mark.timeout(30)
def test_diamond_bomb_merges_each_file_once(ws: Path) -> None:
    # f_i includes a_i and b_i, both include f_{i+1}: 2**24 paths, 72 files.
    for i in range(24):
        _write(ws / f"f{i}.toml", f'__base__ = ["a{i}.toml", "b{i}.toml"]\nk{i} = {i}\n')
        _write(ws / f"a{i}.toml", f'__base__ = ["f{i + 1}.toml"]\nside = "a{i}"\n')
        _write(ws / f"b{i}.toml", f'__base__ = ["f{i + 1}.toml"]\nside = "b{i}"\n')
    _write(ws / "f24.toml", "last = 24\n")
    loaded = load_config_files(ws / "f0.toml")
    assert loaded.problems == []
    assert loaded.root.items["side"].value.data == "b0"  # the later base wins, as before
    assert loaded.root.items["last"].value.data == 24
    result = run_excore("check", "f0.toml", cwd=ws, timeout=30)
    assert result.code == 0
    assert "0 error(s)" in result.err


@pytest.mark.timeout(60)
def test_base_chain_of_1000_files_is_cut_at_the_depth_limit(ws: Path) -> None:
    for i in range(1000):
        _write(ws / f"c{i}.toml", f'__base__ = ["c{i + 1}.toml"]\nv{i} = {i}\n')
    _write(ws / "c1000.toml", "end = true\n")
    result = run_excore("check", "c0.toml", cwd=ws)
    assert result.code == 1
    # reported in the config checked, at its __base__ entry, pointing at where the chain is cut
    assert result.out.startswith(
        f"c0.toml:1:13: error base-depth __base__ chain deeper than {MAX_BASE_DEPTH} files "
        f"(from c0.toml); this base is not merged (in c{MAX_BASE_DEPTH - 1}.toml:1:14"
    )
    result = run_excore("print", "c0.toml", cwd=ws)
    assert result.code == 1
    assert f"c{MAX_BASE_DEPTH - 1}.toml:1:14: base-depth" in result.err


@pytest.fixture
def secrets_outside(tmp_path: Path) -> Path:
    """A fake home with credentials, and a file next to the workspace (both outside it)."""
    home = tmp_path / "home"
    _write(home / ".aws" / "credentials", f"[default]\n{SECRET}\n")
    _write(tmp_path / "outside.toml", f"[default]\n{SECRET}\n")
    return home


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_base_outside_the_workspace_is_refused_without_reading_it(
    ws: Path, secrets_outside: Path, fmt: str
) -> None:
    outside = ws.parent / "outside.toml"
    (ws / "link.toml").symlink_to(outside)
    _write(
        ws / "leak.toml",
        "__base__ = [\n"
        '  "~/.aws/credentials",\n'
        '  "../outside.toml",\n'
        f'  "{outside}",\n'
        '  "link.toml",\n'
        "]\n",
    )
    result = run_excore(
        "check", "leak.toml", "--format", fmt, cwd=ws, env={"HOME": str(secrets_outside)}
    )
    assert result.code == 1
    assert "AKIA" not in result.out + result.err
    assert "aws_secret_access_key" not in result.out + result.err
    if fmt == "json":
        records = json.loads(result.out)
        assert [(r["code"], r["line"], r["column"]) for r in records] == [
            ("base-outside", 2, 4),
            ("base-outside", 3, 4),
            ("base-outside", 4, 4),
            ("base-outside", 5, 4),
        ]
        assert "home folder" in records[0]["message"]
        assert "absolute" in records[2]["message"]
        assert "outside the workspace" in records[1]["message"]
    if fmt == "github":
        assert result.out.startswith("::error file=leak.toml,line=2,col=4,")
    for command in ("print", "build"):
        result = run_excore(command, "leak.toml", cwd=ws, env={"HOME": str(secrets_outside)})
        assert result.code == 1
        assert "leak.toml:2:4: base-outside" in result.err
        assert "AKIA" not in result.out + result.err


def test_base_roots_of_the_workspace_allow_a_shared_folder(ws: Path) -> None:
    shared = ws.parent / "shared"
    _write(shared / "model.toml", "width = 64\n")
    _write(ws / "excore.toml", 'name = "hostile"\nbase_roots = ["../shared"]\n')
    _write(ws / "exp.toml", '__base__ = ["../shared/model.toml"]\n')
    loaded = load_config_files(ws / "exp.toml")
    assert loaded.problems == []
    assert loaded.root.items["width"].value.data == 64


def test_nul_in_a_base_path_is_a_located_problem(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(ws / "nul.toml", 'x = 1\n__base__ = ["a\\u0000b.toml"]\n')
    assert main(["check", "nul.toml"]) == 1
    out = capsys.readouterr().out
    assert out == (
        "nul.toml:2:14: error base-outside a __base__ path cannot contain a NUL character\n"
    )


def test_check_with_workspace_option_lets_bases_reach_that_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    _write(project / "excore.toml", 'name = "p"\n')
    _write(project / "shared" / "base.toml", "width = 64\n")
    _write(project / "exps" / "a.toml", '__base__ = ["../shared/base.toml"]\n')
    elsewhere = tmp_path / "scratch" / "b.toml"  # outside the project, named with --workspace
    _write(elsewhere, '__base__ = ["../project/shared/base.toml"]\n')
    assert main(["check", str(project / "exps" / "a.toml")]) == 0
    assert main(["check", str(elsewhere)]) == 1
    assert "base-outside" in capsys.readouterr().out
    assert main(["check", str(elsewhere), "--workspace", str(project)]) == 0
