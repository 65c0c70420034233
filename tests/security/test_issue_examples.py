"""The two escapes of the issue, on the example workspace (torch registered as a module)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from excore import config
from excore.cli.main import main
from excore.errors import ExcoreError

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BASE = EXAMPLES / "configs" / "_base_" / "model.toml"


def _config(tmp_path: Path, key: str, value: str) -> tuple[Path, Path, str]:
    canary = tmp_path / "canary"
    text = (
        # relative: an absolute __base__ is refused (base-outside); this one lies in the workspace
        f"__base__ = [{json.dumps(os.path.relpath(BASE, tmp_path))}]\n\n"
        "[Backbone.ResNet]\n"
        f"{key} = {json.dumps(value.replace('{C}', str(canary)))}\n"
    )
    path = tmp_path / "hostile.toml"
    path.write_text(text)
    return path, canary, text


CASES = [
    (
        '"$act"',
        "FCNHead.forward.__globals__.get('__builtins__').get('exec')"
        "(\"import os; os.system('touch {C}')\")",
        "__globals__",
    ),
    ('"!act"', "torch.os.system('touch {C}')", "os.system"),
    ('"!act"', "torch.nn.modules.activation.F.torch.os.system('touch {C}')", "os.system"),
]


@pytest.mark.parametrize(("key", "value", "at"), CASES, ids=["dunder", "torch-os", "deep"])
def test_issue_examples_refused(
    key: str, value: str, at: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("EXCORE_WORKSPACE", str(EXAMPLES))
    path, canary, text = _config(tmp_path, key, value)
    assert main(["check", "--format", "json", str(path)]) == 1
    problems = [p for p in json.loads(capsys.readouterr().out) if p["code"] == "unsafe-reference"]
    offset = text.index(at)
    assert problems and problems[0]["line"] == text.count("\n", 0, offset) + 1
    assert problems[0]["column"] == offset - text.rfind("\n", 0, offset)
    assert main(["build", str(path)]) == 1
    assert "unsafe-reference" in capsys.readouterr().err
    for validate in ("1", "0"):
        monkeypatch.setenv("EXCORE_VALIDATE", validate)
        with pytest.raises(ExcoreError, match="unsafe-reference"):
            config.build_all(config.load(path))
    assert not canary.exists()
