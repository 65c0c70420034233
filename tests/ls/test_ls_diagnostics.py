"""Diagnostics end to end: the engine's checker through the server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ls_helpers import Docs
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

VALID = [
    "configs/main.toml",
    "configs/chain.toml",
    "configs/_base_/model.toml",
    "configs/_base_/data.toml",
    "excore.toml",  # the workspace file is not a config: only its TOML syntax is checked
]


@pytest.mark.parametrize("rel", VALID)
async def test_valid_configs_and_fragments_have_no_diagnostics(docs: Docs, rel: str) -> None:
    uri = await docs.open(rel)
    found = await docs.diagnostics(uri)
    assert [(d.code, d.message) for d in found] == []
    await docs.close(uri)


async def test_typo_config_reports_engine_codes_at_the_names(docs: Docs) -> None:
    uri = await docs.open("configs/broken/typo.toml")
    found = await docs.diagnostics(uri)
    got = sorted((d.range.start.line, d.range.start.character, d.code) for d in found)
    assert got == [
        (3, 15, "unknown-module"),
        (7, 0, "unknown-param"),
        (10, 18, "undefined-variable"),
    ]
    assert all(d.source == "excore" for d in found)
    unknown = next(d for d in found if d.code == "unknown-module")
    assert unknown.severity == lsp.DiagnosticSeverity.Error
    assert "ResNt" in unknown.message
    await docs.close(uri)


async def test_syntax_problems_and_semantic_ones_together(docs: Docs) -> None:
    uri = await docs.open("configs/broken/syntax.toml")
    found = await docs.diagnostics(uri)
    codes = [d.code for d in found]
    assert codes[0] in ("toml-syntax", "unquoted-prefix")
    assert "unquoted-prefix" in codes and "toml-syntax" in codes and "type-mismatch" in codes
    hint = next(d for d in found if d.code == "unquoted-prefix")
    assert hint.severity == lsp.DiagnosticSeverity.Hint
    await docs.close(uri)


async def test_diagnostics_follow_edits(docs: Docs) -> None:
    uri = await docs.open("configs/chain.toml")
    assert await docs.diagnostics(uri) == []
    # momentum = 0.9  ->  momentum = "x"
    line = 4
    docs.change(
        uri, lsp.Position(line=line, character=11), lsp.Position(line=line, character=14), '"x"'
    )
    found = await docs.diagnostics(uri)
    assert [d.code for d in found] == ["type-mismatch"]
    assert found[0].range.start == lsp.Position(line=4, character=11)
    await docs.close(uri)


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


@pytest.fixture(scope="session")
def cli_truth(workspace: Path) -> dict[str, set[tuple[int, str]]]:
    """`excore check --format json` of every fixture config (one process, the CLI's code path)."""
    configs = _all_configs(workspace)
    result = subprocess.run(
        [sys.executable, "-c", _RUN_CLI, *configs],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    return {
        rel: {
            (p["line"] - 1, p["code"]) for p in found[rel] if Path(p["file"]).name == Path(rel).name
        }
        for rel in configs
    }


def _all_configs(workspace: Path) -> list[str]:
    return sorted(
        p.relative_to(workspace).as_posix() for p in (workspace / "configs").rglob("*.toml")
    )


async def test_one_truth_server_equals_excore_check(
    client: LanguageClient, workspace: Path, cli_truth: dict[str, set[tuple[int, str]]]
) -> None:
    """For every fixture config: the server's (line, code) pairs are `excore check`'s."""
    docs = Docs(client, workspace)
    for rel in _all_configs(workspace):
        uri = await docs.open(rel)
        server = {(d.range.start.line, str(d.code)) for d in await docs.diagnostics(uri)}
        await docs.close(uri)
        assert server == cli_truth[rel], rel


async def test_a_root_is_rechecked_when_its_fragment_changes(
    client: LanguageClient, workspace: Path
) -> None:
    """The fragment uses a variable its root defines: renaming the use in the fragment's buffer
    (unsaved) makes the root report it at its ``__base__`` entry, with related information in
    the fragment; the fragment itself shows nothing (what its includers define is theirs)."""
    folder = workspace / "cases" / "frag"
    folder.mkdir(parents=True, exist_ok=True)
    root_text = '__base__ = ["_base.toml"]\ndepth = [1, 1]\n'
    (folder / "root.toml").write_text(root_text)
    (folder / "_base.toml").write_text(
        '[Backbone.ResNet]\n"$block" = "BasicBlock"\n"&layers" = "depth"\n'
    )
    docs = Docs(client, workspace)
    base = await docs.open("cases/frag/_base.toml")
    root = await docs.open("cases/frag/root.toml")
    assert await docs.diagnostics(base) == []
    assert await docs.diagnostics(root) == []
    client.diagnostics.pop(root, None)
    docs.change(base, lsp.Position(line=2, character=13), lsp.Position(line=2, character=18), "dep")
    found = await docs.diagnostics(root)
    assert [(d.code, d.range.start.line, d.range.start.character) for d in found] == [
        ("undefined-variable", 0, 12)
    ]
    related = found[0].related_information or []
    assert [
        (r.location.uri, r.location.range.start.line, r.location.range.start.character)
        for r in related
    ] == [(base, 2, 13)]
    assert await docs.diagnostics(base) == []
    await docs.close(root)
    await docs.close(base)


async def test_reuse_conflict_has_related_information_at_the_shared_use(
    client: LanguageClient, workspace: Path
) -> None:
    folder = workspace / "cases" / "reuse"
    folder.mkdir(parents=True, exist_ok=True)
    text = '__base__ = ["../../configs/_base_/model.toml"]\n[Optimizer.SGD]\n"!params" = "ResNet"\n'
    (folder / "reuse.toml").write_text(text)
    docs = Docs(client, workspace)
    uri = await docs.open("cases/reuse/reuse.toml")
    found = [d for d in await docs.diagnostics(uri) if d.code == "reuse-conflict"]
    assert [(d.range.start.line, d.range.start.character) for d in found] == [(2, 13)]
    related = found[0].related_information or []
    assert [
        (r.location.uri, r.location.range.start.line, r.location.range.start.character)
        for r in related
    ] == [(docs.uri("configs/_base_/model.toml"), 4, 15)]
    assert "'@backbone'" in related[0].message
    await docs.close(uri)
