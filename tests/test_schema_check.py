"""``excore schema dump`` on a small workspace without torch: ``--check`` naming what changed,
a bad entry reported (``--strict``), ``--editor-config`` merging user files, clear errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SMALL = Path(__file__).parent / "fixtures" / "schema" / "ws_small"


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def excore(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[..., Result]]:
    """Run ``excore`` in this process (fast), as a fresh process would: the toy package and
    its registries are forgotten before each run and restored afterwards."""
    from excore.registry import Registry

    monkeypatch.delenv("EXCORE_WORKSPACE", raising=False)
    # only the toy workspace's registries exist, as in a fresh process
    monkeypatch.setattr(Registry, "_pool", {})
    monkeypatch.setattr(Registry, "_globals", None)
    saved_path = list(sys.path)

    def forget() -> None:
        for name in [m for m in sys.modules if m == "toy" or m.startswith("toy.")]:
            del sys.modules[name]
        for name in ("ToyNet", "ToyPart", "ToyHook"):
            Registry.remove_registry(name)
        sys.path[:] = saved_path

    def run(*args: str, cwd: Path) -> Result:
        from excore.cli.main import main

        forget()
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    yield run
    forget()


@pytest.fixture
def small(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(SMALL, root, ignore=shutil.ignore_patterns(".excore", "__pycache__"))
    return root


@pytest.fixture
def dumped(small: Path, excore: Callable[..., Result]) -> Path:
    done = excore("schema", "dump", cwd=small)
    assert done.returncode == 0, done.stderr
    return small


def test_dump_writes_both_files_and_reports_the_bad_entry(
    dumped: Path, excore: Callable[..., Result]
) -> None:
    index = json.loads((dumped / ".excore" / "index.json").read_text())
    assert sorted(index["registries"]) == ["ToyHook", "ToyNet", "ToyPart"]
    assert index["primary_fields"] == {"Net": "ToyNet"}
    encoder = index["registries"]["ToyPart"]["modules"]["Encoder"]
    assert encoder["file"] == "src/toy/parts.py" and encoder["extra_info"] == {"role": "encoder"}
    assert index["registries"]["ToyHook"]["modules"]["Double"]["kind"] == "hook"
    lib = index["registries"]["ToyPart"]["modules"]["toy.lib"]
    assert lib["kind"] == "module" and lib["target"] == "toy.lib"
    assert sorted(index["python_modules"]) == [
        "toy.lib.Scale",
        "toy.lib.layers",
        "toy.lib.layers.Dense",
    ]
    (problem,) = index["problems"]
    assert (problem["registry"], problem["name"]) == ("ToyPart", "Ghost")
    assert "toy.missing" in problem["reason"]
    odd = index["registries"]["ToyPart"]["modules"]["Odd"]  # its signature raises: kept
    assert odd["signature_known"] is False and odd["summary"].startswith("Its signature")
    assert odd["file"] == "src/toy/parts.py" and odd["line"] > 0
    ghost = index["registries"]["ToyPart"]["modules"]["Ghost"]  # still known by name
    assert ghost["signature_known"] is False
    assert sorted(index["sources"]) == [
        "excore.toml",
        "src/toy/__init__.py",
        "src/toy/lib/__init__.py",
        "src/toy/lib/layers.py",
        "src/toy/parts.py",
    ]
    import jsonschema

    index_schema = json.loads((REPO / "schemas" / "index.schema.json").read_text())
    jsonschema.Draft7Validator(index_schema).validate(index)  # placeholders and problems too
    schema = json.loads((dumped / ".excore" / "config.schema.json").read_text())
    assert schema["definitions"]["ToyPart.Anything"]["additionalProperties"] is True  # **kwargs
    assert schema["definitions"]["ToyPart.Encoder"]["properties"]["mode"]["enum"] == [
        "same",
        "valid",
    ]


def test_the_bad_entry_is_a_warning_and_an_error_with_strict(
    small: Path, excore: Callable[..., Result]
) -> None:
    done = excore("schema", "dump", cwd=small)
    assert done.returncode == 0
    assert "warning: ToyPart.Ghost could not be described" in done.stderr
    assert "Traceback" not in done.stderr
    strict = excore("schema", "dump", "--strict", cwd=small)
    assert strict.returncode == 1
    assert "1 entry could not be described (--strict)" in strict.stderr


def test_check_passes_when_up_to_date_and_writes_nothing(
    dumped: Path, excore: Callable[..., Result]
) -> None:
    before = {p: p.stat().st_mtime_ns for p in (dumped / ".excore").iterdir()}
    done = excore("schema", "dump", "--check", cwd=dumped)
    assert done.returncode == 0, done.stderr
    assert ".excore/ is up to date" in done.stdout
    assert {p: p.stat().st_mtime_ns for p in (dumped / ".excore").iterdir()} == before


def test_check_names_a_changed_signature_and_a_new_class(
    dumped: Path, excore: Callable[..., Result]
) -> None:
    parts = dumped / "src" / "toy" / "parts.py"
    text = parts.read_text()
    text = text.replace("depth: int = 2,", "depth: int = 3, width: float = 1.0,")
    text += '\n\n@NETS.register()\nclass Tiny:\n    """A tiny net."""\n'
    parts.write_text(text)
    done = excore("schema", "dump", "--check", cwd=dumped)
    assert done.returncode == 1
    assert ".excore/index.json: out of date:" in done.stderr
    assert (
        "changed signature of ToyPart.Encoder: depth: int = 2 -> depth: int = 3; "
        "added width: float = 1.0\n" in done.stderr
    )
    assert "new class ToyNet.Tiny (toy.parts:Tiny)" in done.stderr
    assert "run `excore schema dump` to update it" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_on_a_workspace_never_dumped(small: Path, excore: Callable[..., Result]) -> None:
    done = excore("schema", "dump", "--check", cwd=small)
    assert done.returncode == 1
    assert ".excore/index.json: out of date:\n  missing (never dumped)" in done.stderr
    assert not (small / ".excore").exists()


def test_out_and_index_dir(small: Path, tmp_path: Path, excore: Callable[..., Result]) -> None:
    workspace_file = small / "excore.toml"
    workspace_file.write_text(
        workspace_file.read_text().replace(
            'import = ["toy.parts"]', 'import = ["toy.parts"]\nindex_dir = "build/index"'
        )
    )
    done = excore("schema", "dump", cwd=small / "configs")
    assert done.returncode == 0, done.stderr
    assert (small / "build" / "index" / "index.json").is_file()
    out = tmp_path / "elsewhere"
    done = excore("schema", "dump", "--workspace", str(small), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (out / "index.json").read_bytes() == (small / "build/index/index.json").read_bytes()
    from excore.schema.index import load_index

    index = load_index(small / "build" / "index" / "index.json")
    assert index.index_dir == "build/index" and index.root == str(small)


def test_editor_config_merges_without_overwriting_user_settings(
    small: Path, excore: Callable[..., Result]
) -> None:
    (small / ".taplo.toml").write_text(
        "# my settings\n[formatting]\nalign_entries = true\n\n"
        '[[rule]]\nname = "excore"\ninclude = ["mine/*.toml"]\n'
    )
    (small / "tombi.toml").write_text('toml-version = "v1.0.0"  # keep\n')
    done = excore("schema", "dump", "--editor-config", cwd=small)
    assert done.returncode == 0, done.stderr
    taplo = (small / ".taplo.toml").read_text()
    assert taplo.startswith("# my settings\n[formatting]\nalign_entries = true\n")
    assert 'include = ["mine/*.toml"]' in taplo  # the user's include is kept
    assert 'path = ".excore/config.schema.json"' in taplo  # only the missing schema is added
    tombi = (small / "tombi.toml").read_text()
    assert tombi.startswith('toml-version = "v1.0.0"  # keep\n')
    assert "[[schemas]]" in tombi and 'include = ["configs/**/*.toml"]' in tombi
    again = excore("schema", "dump", "--editor-config", cwd=small)
    assert again.returncode == 0
    assert (small / ".taplo.toml").read_text() == taplo  # idempotent
    assert (small / "tombi.toml").read_text() == tombi


def test_taplo_accepts_the_small_workspace_config(
    dumped: Path, excore: Callable[..., Result]
) -> None:
    taplo = shutil.which("taplo", path=str(Path(sys.executable).parent)) or "taplo"
    schema = (dumped / ".excore" / "config.schema.json").as_uri()
    done = subprocess.run(
        [taplo, "lint", "--schema", schema, "configs/net.toml"],
        cwd=dumped,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_errors_are_messages_not_tracebacks(
    tmp_path: Path, small: Path, excore: Callable[..., Result]
) -> None:
    done = excore("schema", "dump", cwd=tmp_path)
    assert done.returncode == 1
    assert "no workspace found" in done.stderr and "Traceback" not in done.stderr
    workspace_file = small / "excore.toml"
    workspace_file.write_text(workspace_file.read_text().replace('"toy.parts"', '"toy.nope"'))
    done = excore("schema", "dump", cwd=small)
    assert done.returncode == 1
    assert f"{workspace_file}:4:" in done.stderr and "toy.nope" in done.stderr
    assert "Traceback" not in done.stderr


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from excore.schema.dump import TerminalProgress

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    quiet = TerminalProgress(delay=0.0)
    quiet(1, 10, "Model.FCN")
    assert quiet._bar is None  # CI logs stay clean
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    shown = TerminalProgress(delay=0.0)
    shown(1, 10, "Model.FCN")
    assert shown._bar is not None
    shown.close()
    assert shown._bar is None
    monkeypatch.setenv("CI", "true")
    assert TerminalProgress(delay=0.0)._enabled is False
