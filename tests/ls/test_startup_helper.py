"""The start-up helper checks the files opened while the server starts: it must answer exactly
what the server computes itself, and hand the job back whenever it cannot."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import ls_fixture_index
import pytest
import pytest_lsp
from ls_helpers import Docs, initialize_in
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from excore.problems import Problem
from excore_ls import startup_helper
from excore_ls.analysis.documents import OpenDocument
from excore_ls.server import ExcoreLanguageServer
from excore_ls.startup_helper import StartupHelper

WORKSPACE = Path(__file__).parent / "fixtures" / "ws"
SERVER = [sys.executable, "-m", "excore_ls"]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root)
    ls_fixture_index.write(root)
    return root


@pytest.fixture
async def helper() -> AsyncIterator[StartupHelper]:
    spawned = StartupHelper.spawn()
    assert spawned is not None
    assert spawned.attach(asyncio.get_running_loop())
    yield spawned
    spawned.stop()


async def check(
    helper: StartupHelper, uri: str, docs: list[tuple[str, int, str]]
) -> list[Problem] | None:
    done: asyncio.Future[list[Problem] | None] = asyncio.get_running_loop().create_future()
    assert helper.check(uri, docs, None, done.set_result)
    return await asyncio.wait_for(done, 30)


def server_problems(uri: str, docs: list[tuple[str, int, str]]) -> list[Problem]:
    ls = ExcoreLanguageServer()
    for doc_uri, version, text in docs:
        ls.documents.open(doc_uri, text, version)
    return ls.compute_problems(uri)


def facts(problems: list[Problem]) -> list[tuple[object, ...]]:
    return [
        (p.code, p.message, p.file, p.start, p.end, p.key, p.severity, p.data) for p in problems
    ]


async def test_every_fixture_config_gets_what_the_server_computes(
    helper: StartupHelper, workspace: Path
) -> None:
    helper.prepare([workspace], None)
    configs = sorted((workspace / "configs").rglob("*.toml"))
    assert len(configs) >= 8
    seen_codes: set[str] = set()
    for path in configs:
        docs = [(path.as_uri(), 1, path.read_text(encoding="utf-8"))]
        got = await check(helper, path.as_uri(), docs)
        assert got is not None, path
        expected = server_problems(path.as_uri(), docs)
        assert facts(got) == facts(expected), path
        seen_codes.update(p.code for p in got)
    assert {"unknown-module", "missing-param", "base-cycle", "toml-syntax"} <= seen_codes


async def test_unsaved_buffers_of_the_family_are_what_the_helper_reads(
    helper: StartupHelper, workspace: Path
) -> None:
    main = workspace / "configs" / "main.toml"
    base = workspace / "configs" / "_base_" / "model.toml"
    # typed in the editor, not saved: main.toml's `$Model` now names no module
    edited = base.read_text(encoding="utf-8").replace("[Model.FCN]", "[Mdl.FCN]")
    docs = [
        (main.as_uri(), 3, main.read_text(encoding="utf-8")),
        (base.as_uri(), 7, edited),
    ]
    got = await check(helper, main.as_uri(), docs)
    assert got is not None
    assert facts(got) == facts(server_problems(main.as_uri(), docs))
    assert [p.code for p in got] == ["bad-reference"]
    # the buffer closed again: the file on disk counts
    assert await check(helper, main.as_uri(), docs[:1]) == []


async def test_modules_in_the_working_directory_do_not_shadow_the_helpers(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # editors start the server in the user's workspace, which may hold any module name
    shadows = tmp_path / "cwd"
    shadows.mkdir()
    for name in ("json", "logging", "excore_ls"):
        (shadows / f"{name}.py").write_text("raise SystemExit(3)\n", encoding="utf-8")
    monkeypatch.chdir(shadows)
    spawned = StartupHelper.spawn()
    assert spawned is not None and spawned.attach(asyncio.get_running_loop())
    try:
        typo = workspace / "configs" / "broken" / "typo.toml"
        found = await check(spawned, typo.as_uri(), [(typo.as_uri(), 1, typo.read_text())])
        assert found is not None and len(found) == 3
    finally:
        spawned.stop()


async def test_what_needs_the_server_itself_is_handed_back(
    helper: StartupHelper, tmp_path: Path
) -> None:
    untitled = "untitled:Untitled-1"
    assert await check(helper, untitled, [(untitled, 1, '[Model.X]\n"@a" = "B"\n')]) is None
    bare = tmp_path / "no_index"
    (bare / "configs").mkdir(parents=True)
    (bare / "excore.toml").write_text('name = "bare"\n', encoding="utf-8")
    config = bare / "configs" / "a.toml"
    config.write_text("[Model.X]\n", encoding="utf-8")  # no index: the server says how to dump
    assert await check(helper, config.as_uri(), [(config.as_uri(), 1, "[Model.X]\n")]) is None
    assert helper.alive  # declining is not failing


async def test_a_helper_that_does_not_answer_is_given_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(startup_helper, "CHECK_TIMEOUT", 0.3)
    silent = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    stuck = StartupHelper(silent)
    assert stuck.attach(asyncio.get_running_loop())
    assert await check(stuck, "file:///x.toml", []) is None
    assert not stuck.alive
    assert not stuck.check("file:///x.toml", [], None, lambda found: None)
    silent.kill()
    silent.wait()


async def test_a_helper_that_dies_hands_its_jobs_back(
    helper: StartupHelper, workspace: Path
) -> None:
    config = workspace / "configs" / "main.toml"
    helper.process.kill()
    found = await check(helper, config.as_uri(), [(config.as_uri(), 1, config.read_text())])
    assert found is None
    assert not helper.alive


async def test_a_retired_helper_exits_once_it_has_answered(
    helper: StartupHelper, workspace: Path
) -> None:
    config = workspace / "configs" / "broken" / "typo.toml"
    done: asyncio.Future[list[Problem] | None] = asyncio.get_running_loop().create_future()
    assert helper.check(
        config.as_uri(), [(config.as_uri(), 1, config.read_text())], None, done.set_result
    )
    helper.retire()
    assert helper.alive  # one job still open
    found = await asyncio.wait_for(done, 30)
    assert found is not None and {p.code for p in found} == {
        "undefined-variable",
        "unknown-module",
        "unknown-param",
    }
    assert not helper.alive
    assert await asyncio.to_thread(helper.process.wait, 10) == 0
    assert not helper.check(config.as_uri(), [], None, lambda found: None)


# -- in the server ---------------------------------------------------------------------------


class Published(list[tuple[str, int | None, list[str]]]):
    def __call__(self, params: lsp.PublishDiagnosticsParams) -> None:
        self.append((params.uri, params.version, sorted(str(d.code) for d in params.diagnostics)))


async def typo_published_with(
    helper: StartupHelper, root: Path
) -> tuple[ExcoreLanguageServer, Published, OpenDocument]:
    """A server (not started) using ``helper``, that has just published typo.toml (version 1)."""
    ls = ExcoreLanguageServer()
    ls.helper = helper
    helper.prepare([root], None)
    published = Published()
    ls.text_document_publish_diagnostics = published  # type: ignore[method-assign]
    typo = root / "configs" / "broken" / "typo.toml"
    doc = ls.documents.open(typo.as_uri(), typo.read_text(encoding="utf-8"), 1)
    ls.publish(typo.as_uri())
    return ls, published, doc


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def test_the_server_publishes_the_helpers_answer_while_it_warms_up(
    helper: StartupHelper, workspace: Path
) -> None:
    ls, published, doc = await typo_published_with(helper, workspace)
    assert helper.pending and published == []  # answered later, by the helper
    await until(lambda: bool(published))
    assert published == [(doc.uri, 1, ["undefined-variable", "unknown-module", "unknown-param"])]
    expected = server_problems(doc.uri, [(doc.uri, 1, doc.text)])
    assert facts(ls.problems[doc.uri][1]) == facts(expected)
    ls.checks_ready = True  # the warm-up is done: the server checks by itself
    ls.publish(doc.uri)
    assert not helper.pending and len(published) == 2


async def test_an_answer_overtaken_by_an_edit_is_not_published(
    helper: StartupHelper, workspace: Path
) -> None:
    _ls, published, doc = await typo_published_with(helper, workspace)
    doc.replace(0, 0, "# edited\n")  # the editor typed before the answer came
    doc.version = 2
    await until(lambda: bool(published))
    await asyncio.sleep(0.2)
    # the server checked version 2 itself, version 1's answer was dropped
    assert [(uri, version) for uri, version, _ in published] == [(doc.uri, 2)]


async def test_a_closed_document_gets_no_late_answer(
    helper: StartupHelper, workspace: Path
) -> None:
    ls, published, doc = await typo_published_with(helper, workspace)
    ls.documents.close(doc.uri)
    await until(lambda: not helper.pending)
    assert published == []


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def with_helper(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[*SERVER, "--no-helper"]))
async def without_helper(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


async def _first_diagnostics(
    client: LanguageClient, root: Path, rel: str
) -> list[tuple[int, int, str, str]]:
    await initialize_in(client, root)
    docs = Docs(client, root)
    found = await docs.diagnostics(await docs.open(rel, wait=False))
    return sorted(
        (d.range.start.line, d.range.start.character, str(d.code), d.message) for d in found
    )


async def test_a_file_opened_at_once_gets_the_same_diagnostics_with_or_without_the_helper(
    with_helper: LanguageClient, without_helper: LanguageClient, workspace: Path
) -> None:
    rel = "configs/broken/typo.toml"
    helped = await _first_diagnostics(with_helper, workspace, rel)
    alone = await _first_diagnostics(without_helper, workspace, rel)
    assert helped == alone
    assert {code for _, _, code, _ in helped} == {
        "undefined-variable",
        "unknown-module",
        "unknown-param",
    }
