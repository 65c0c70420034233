"""The language server (the checker over the workspace index) refuses every escape attempt at
the same place and with the same message as ``excore check`` (the checker over the live
registries)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from escapes import ATTEMPTS, Attempt

from excore import config
from excore.cli.main import main
from excore_ls.analysis.documents import path_to_uri
from excore_ls.analysis.session import Analyzer
from excore_ls.features.diagnostics import diagnostics

WS = Path(__file__).parent / "fixtures" / "ws"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sec") / "ws"
    shutil.copytree(WS, root)
    assert main(["schema", "dump", "--workspace", str(root)]) == 0
    (root / "configs").mkdir()
    return root


def _unsafe(problems: list) -> list[tuple[int, int, str]]:
    return sorted((p.start, p.end, p.message) for p in problems if p.code == "unsafe-reference")


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda a: a.id)
def test_server_and_check_agree(
    attempt: Attempt, indexed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EXCORE_WORKSPACE", raising=False)
    canary = indexed / "canary"
    path = indexed / "configs" / f"{attempt.id}.toml"
    text = attempt.render(str(canary))
    path.write_text(text)
    live = _unsafe(config.check_file(path, workspace=indexed))
    analyzer = Analyzer()
    uri = path_to_uri(path)
    analyzer.documents.open(uri, text, 1)
    fa = analyzer.analysis(uri)
    assert fa is not None and fa.index is not None
    served = _unsafe(diagnostics(fa, analyzer.documents.read_text, None))
    assert live and served == live
    assert served[0][0] == text.index(attempt.at)
    assert not canary.exists()
