"""The server on the example workspace (its index dumped by `excore schema dump`): zero
diagnostics on its valid configs, fragments included, and the engine's codes on the broken ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest_lsp
from ls_helpers import Docs, cli_truth, ident
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def _accept(params: lsp.RegistrationParams) -> None:
    return None


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "excore_ls"]), scope="session"
)
async def ex_client(lsp_client: LanguageClient, example: Path):  # type: ignore[no-untyped-def]
    lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)(_accept)
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), root_uri=example.as_uri()
        )
    )
    yield
    await lsp_client.shutdown_session()


def configs(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / "configs").rglob("*.toml"))


_RUN_CLI = """
import contextlib, io, json, sys
from excore.cli.main import main
out = {}
for rel in sys.argv[1:]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main(["check", "--format", "json", rel])
    out[rel] = json.loads(buf.getvalue())
print(json.dumps(out))
"""


async def test_example_workspace(ex_client: LanguageClient, example: Path) -> None:
    docs = Docs(ex_client, example)
    result = subprocess.run(
        [sys.executable, "-c", _RUN_CLI, *configs(example)],
        cwd=example,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    truth = cli_truth(example, json.loads(result.stdout))
    for rel in configs(example):
        uri = await docs.open(rel)
        found = await docs.diagnostics(uri)
        pairs = {(d.range.start.line, str(d.code)) for d in found}
        if "/broken/" not in rel:
            assert pairs == set(), rel  # valid configs and fragments: zero diagnostics
        else:
            assert any(d.severity == lsp.DiagnosticSeverity.Error for d in found), rel
        assert pairs == truth[rel], rel  # one truth with `excore check`
        await docs.close(uri)


async def test_example_navigation(ex_client: LanguageClient, example: Path) -> None:
    docs = Docs(ex_client, example)
    rel = "configs/_base_/model.toml"
    uri = await docs.open(rel)
    lines = (example / rel).read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith('"@backbone"'))
    col = lines[row].index('"ResNet"') + 2
    found = await ex_client.text_document_definition_async(
        lsp.DefinitionParams(
            text_document=ident(uri), position=lsp.Position(line=row, character=col)
        )
    )
    assert isinstance(found, list) and len(found) == 1 and isinstance(found[0], lsp.Location)
    target = Path(found[0].uri.removeprefix("file://"))
    assert target.name == "backbones.py"
    assert target.read_text().splitlines()[found[0].range.start.line].startswith("class ResNet")
    row = next(i for i, line in enumerate(lines) if line.startswith('"!act"'))
    col = lines[row].index("torch.nn.") + len("torch.nn.")
    result = await ex_client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=ident(uri), position=lsp.Position(line=row, character=col)
        )
    )
    assert result is not None
    items = result.items if isinstance(result, lsp.CompletionList) else result
    assert {"ReLU", "GELU", "Conv2d"} <= {i.label for i in items}
    await docs.close(uri)
