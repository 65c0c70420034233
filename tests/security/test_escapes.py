"""No config value runs code: every escape attempt of the corpus (``escapes.py``) is refused by
``excore check`` and by ``excore build`` / ``config.load`` + ``build_all``, and none runs.

"None runs" is shown with a canary file that each attempt would create if it ran (the control
test shows that the attempts' payloads do create it when run directly).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from escapes import ATTEMPTS, EXPRESSION_ATTEMPTS, SHELL, Attempt

from excore import config
from excore.cli.main import main
from excore.errors import ExcoreError

WS = Path(__file__).parent / "fixtures" / "ws"


@pytest.fixture(autouse=True)
def _workspace(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("EXCORE_WORKSPACE", str(WS))
    monkeypatch.delenv("EXCORE_VALIDATE", raising=False)
    config.set_primary_fields(None)
    yield
    config.set_primary_fields(None)


def write(tmp_path: Path, attempt: Attempt) -> tuple[Path, Path, str]:
    canary = tmp_path / "canary"
    text = attempt.render(str(canary))
    path = tmp_path / f"{attempt.id}.toml"
    path.write_text(text)
    return path, canary, text


def expected_position(text: str, attempt: Attempt) -> tuple[int, int]:
    offset = text.index(attempt.at)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def test_the_corpus_is_large_enough() -> None:
    assert len({a.id for a in ATTEMPTS}) == len(ATTEMPTS) >= 30


def test_control_the_payloads_do_create_the_canary(tmp_path: Path) -> None:
    """Without the rules, the payloads work: the canary is a real witness."""
    canary = tmp_path / "canary"
    os.system(SHELL.replace("{C}", str(canary)))
    assert canary.exists()
    canary.unlink()
    payload = b"cos\nsystem\n(S'touch " + str(canary).encode() + b"'\ntR."
    subprocess.run([sys.executable, "-c", f"import pickle; pickle.loads({payload!r})"], check=True)
    assert canary.exists()


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda a: a.id)
def test_check_refuses(attempt: Attempt, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path, canary, text = write(tmp_path, attempt)
    code = main(["check", "--format", "json", str(path)])
    out = capsys.readouterr().out
    assert code == 1, out
    problems = json.loads(out)
    unsafe = [p for p in problems if p["code"] == "unsafe-reference"]
    assert unsafe, problems
    line, column = expected_position(text, attempt)
    assert (unsafe[0]["line"], unsafe[0]["column"]) == (line, column), unsafe
    assert not canary.exists()


@pytest.mark.parametrize("validate", ["1", "0"], ids=["validated", "builder-only"])
@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda a: a.id)
def test_build_refuses(
    attempt: Attempt, validate: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``config.load`` + ``build_all`` refuse before anything runs; with validation off
    (``EXCORE_VALIDATE=0``) the builder's own rules refuse it, located."""
    monkeypatch.setenv("EXCORE_VALIDATE", validate)
    path, canary, text = write(tmp_path, attempt)
    with pytest.raises(ExcoreError) as caught:
        config.build_all(config.load(path))
    error = caught.value
    assert "unsafe-reference" in str(error) or error.code == "unsafe-reference", str(error)
    assert str(path) in str(error)
    if validate == "0":
        line, column = expected_position(text, attempt)
        assert (error.line, error.column) == (line, column), str(error)
    assert not canary.exists()


def test_excore_build_command_refuses_every_attempt(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    for attempt in ATTEMPTS:
        folder = tmp_path / attempt.id
        folder.mkdir()
        path, canary, _ = write(folder, attempt)
        assert main(["build", str(path)]) == 1, attempt.id
        err = capsys.readouterr().err
        assert "unsafe-reference" in err and "Traceback" not in err, (attempt.id, err)
        assert not canary.exists(), attempt.id


def test_allowed_references_still_build(tmp_path: Path) -> None:
    """The rules refuse only what they must: the package's own objects, plain values and
    chains on what the config built keep working."""
    path = tmp_path / "ok.toml"
    path.write_text('[Model.Net]\n"!act" = "zoo.make_safe(value=3)"\n"$width" = "zoo.ANSWER"\n')
    assert config.check_file(path) == []
    modules, _ = config.build_all(config.load(path))
    assert modules.Model.act.value == 3
    assert modules.Model.width == 42
    path.write_text('[Model.Net]\n"@act" = "Head.forward(5)"\n"$width" = "fractions.Fraction"\n')
    assert config.check_file(path) == []
    modules, _ = config.build_all(config.load(path))
    assert modules.Model.act == 5
    assert modules.Model.width.__name__ == "Fraction"


def test_instance_attribute_module_is_refused_at_build(tmp_path: Path) -> None:
    """An object's attribute that holds a module (set in ``__init__``: the checker cannot know
    its value) is refused when the chain is applied, at the attribute."""
    canary = tmp_path / "canary"
    path = tmp_path / "inst.toml"
    value = f"Tool.helper.system('touch {canary}')"
    text = '[Model.Net]\n"@act" = ' + json.dumps(value) + "\n"
    path.write_text(text)
    with pytest.raises(ExcoreError) as caught:
        config.build_all(config.load(path))
    error = caught.value
    assert error.code == "unsafe-reference", str(error)
    assert "'helper' is the Python module 'os'" in error.message
    assert (error.line, error.column) == (2, text.index("helper") - text.index("\n"))
    assert not canary.exists()


@pytest.mark.parametrize("expression", EXPRESSION_ATTEMPTS)
def test_expressions_refuse_code(
    expression: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    canary = tmp_path / "canary"
    path = tmp_path / "expr.toml"
    value = json.dumps(expression.replace("{C}", str(canary)))
    path.write_text(f'width = 2\n[Model.Net]\n"&width" = {value}\n')
    assert main(["check", "--format", "json", str(path)]) == 1
    problems = json.loads(capsys.readouterr().out)
    assert [p for p in problems if p["severity"] == "error" and p["line"] == 3], problems
    for validate in ("1", "0"):
        monkeypatch.setenv("EXCORE_VALIDATE", validate)
        with pytest.raises(ExcoreError) as caught:
            config.build_all(config.load(path))
        assert f"{path}:3:" in str(caught.value)
    assert not canary.exists()


KEYED = [a for a in ATTEMPTS if not a.text]


@pytest.mark.parametrize("attempt", KEYED, ids=lambda a: a.id)
def test_overrides_refuse(attempt: Attempt, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The same attempts given as overrides (``-o``, ``config.load(overrides=...)``)."""
    canary = tmp_path / "canary"
    path = tmp_path / "base.toml"
    path.write_text("[Model.Net]\nwidth = 1\n")
    key = attempt.key.strip('"')
    override = f"+Model.Net.{key}={json.dumps(attempt.value.replace('{C}', str(canary)))}"
    assert main(["check", "--format", "json", str(path), "-o", override]) == 1
    problems = json.loads(capsys.readouterr().out)
    assert [p for p in problems if p["code"] == "unsafe-reference"], problems
    assert main(["build", str(path), "-o", override]) == 1
    assert "unsafe-reference" in capsys.readouterr().err
    with pytest.raises(ExcoreError, match="unsafe-reference"):
        config.build_all(config.load(path, overrides=[override]))
    assert not canary.exists()
