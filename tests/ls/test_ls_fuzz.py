"""Random edits (hypothesis) to real configs, with requests at random positions after each edit.

~1,000 edits in the regular suite; ``pytest --long`` (or ``EXCORE_FUZZ_LONG=1``) runs 10,000. The server must answer
every request (no error response, within the timeout) and report no error of its own.

After every edit, the document as the server updated it (incrementally: only the sections an
edit touched are parsed again in files of 4 KiB or more) must equal a fresh parse of the same
text: the same symbols, semantic tokens and diagnostics. The texts are made at least that large.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ls_helpers import Docs, column, encoding_of, ident
from lsprotocol import types as lsp
from lsprotocol.converters import get_converter
from pytest_lsp import LanguageClient

from excore.syntax.incremental import INCREMENTAL_MIN
from excore.syntax.text import LineIndex
from excore_ls import convert
from excore_ls.analysis.documents import DocumentStore, path_to_uri
from excore_ls.analysis.fragments import FamilyScanner
from excore_ls.analysis.index_state import IndexState
from excore_ls.analysis.session import Analyzer, FileAnalysis
from excore_ls.features import (
    code_actions,
    completion,
    definition,
    diagnostics,
    hover,
    inlay_hints,
    references,
    semantic_tokens,
    symbols,
)

LONG = os.environ.get("EXCORE_FUZZ_LONG") == "1"
EDITS = 10_000 if LONG else 1_000
PER_SCRIPT = 20
REPO = Path(__file__).resolve().parents[2]
TOKENS = [
    "[", "]", "[[", "]]", '"', "'", '"""', "=", ",", "{", "}", ".", "!", "@", "$", "&", "${",
    "::", "#", "\r\n", "\n", "\t", " ", "😀", "模型", "é", "[Model.", '"!head" = "',
    "__base__ = [", "$Model.", "@Bn", "torch.nn.", "0.5", "true", "\\", "*", "()", "::*",
    '"&x" = "${HOME', "[Backbone.ResNet]\n", '"@backbone" = ["ResNet", ',
]  # fmt: skip
INSERT_OR_DELETE = st.one_of(
    st.tuples(st.just("insert"), st.floats(0, 1), st.sampled_from(TOKENS)),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 12)),
)
EDIT = st.one_of(INSERT_OR_DELETE, st.tuples(st.just("truncate"), st.floats(0, 1), st.just(0)))
SCRIPT = st.tuples(
    st.integers(0, 10_000),
    st.lists(st.tuples(EDIT, st.floats(0, 1)), min_size=1, max_size=PER_SCRIPT),
)


def sources() -> list[str]:
    files = sorted((REPO / "examples" / "configs").rglob("*.toml"))
    files += sorted((REPO / "tests/ls/fixtures/ws/configs").rglob("*.toml"))
    return [f.read_text(encoding="utf-8") for f in files]


def large_sources() -> list[str]:
    """Each source, followed by the next ones until it is large enough to be re-parsed
    incrementally (and a little more, so that edits deleting text keep it so for a while)."""
    texts = sources()
    out = []
    for i, text in enumerate(texts):
        j = i
        while len(text) < INCREMENTAL_MIN * 1.5:
            j = (j + 1) % len(texts)
            text += "\n" + texts[j]
        out.append(text)
    return out


def draw_scripts(count: int) -> list[tuple[int, list]]:  # type: ignore[type-arg]
    """Hypothesis-generated edit scripts (derandomized: the same scripts every run)."""
    out: list[tuple[int, list]] = []  # type: ignore[type-arg]

    @settings(max_examples=count, database=None, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(SCRIPT)
    def collect(script: tuple[int, list]) -> None:  # type: ignore[type-arg]
        out.append(script)

    collect()
    return out[:count]


def apply_edit(text: str, edit: tuple[str, float, object]) -> tuple[int, int, str]:
    """(start, end, new text) of one edit on ``text``."""
    kind, where, arg = edit
    pos = int(where * len(text))
    if kind == "insert":
        return pos, pos, str(arg)
    if kind == "delete":
        return pos, min(len(text), pos + int(arg)), ""  # type: ignore[call-overload]
    return pos, len(text), ""


def position(text: str, offset: int, encoding: str) -> lsp.Position:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return lsp.Position(line=line, character=column(text[start:offset], offset - start, encoding))


async def test_random_edits_every_request_answered(client: LanguageClient, workspace: Path) -> None:
    if (
        client.capabilities
        and client.capabilities.general
        and client.capabilities.general.position_encodings
    ):
        encodings = "neovim"
    else:
        encodings = "vscode"
    if encodings == "neovim" and not LONG:
        return  # the regular suite fuzzes through one client; the long run through both
    enc = encoding_of(client)
    docs = Docs(client, workspace)
    texts = sources()
    texts += large_sources()[: len(texts) // 2]  # re-parsed incrementally by the server
    scripts = draw_scripts(EDITS // 2)
    fresh_indexes = IndexState()
    with_problems = 0  # scripts whose last version has diagnostics (the comparison is not vacuous)
    edits = 0
    for n, (pick, script) in enumerate(scripts):
        if edits >= EDITS:
            break
        text = texts[pick % len(texts)]
        rel = f"configs/fuzz_{n % 3}.toml"
        uri = await docs.open(rel, text, wait=False)
        for edit, where in script:
            if edits >= EDITS:
                break
            start, end, new = apply_edit(text, edit)
            if "\r" in text[max(0, start - 1) : start + 1] and not new.startswith("\n"):
                start = end = (
                    start + 1 if text[start : start + 1] == "\n" else start
                )  # keep \r\n whole
            docs.change(uri, position(text, start, enc), position(text, end, enc), new)
            text = text[:start] + new + text[end:]
            edits += 1
            at = position(text, int(where * len(text)), enc)
            doc = ident(uri)
            rng = lsp.Range(start=at, end=at)
            answers = await asyncio.wait_for(
                asyncio.gather(
                    client.text_document_document_symbol_async(
                        lsp.DocumentSymbolParams(text_document=doc)
                    ),
                    client.text_document_semantic_tokens_full_async(
                        lsp.SemanticTokensParams(text_document=doc)
                    ),
                    client.text_document_completion_async(
                        lsp.CompletionParams(text_document=doc, position=at)
                    ),
                    client.text_document_hover_async(
                        lsp.HoverParams(text_document=doc, position=at)
                    ),
                    client.text_document_definition_async(
                        lsp.DefinitionParams(text_document=doc, position=at)
                    ),
                    client.text_document_references_async(
                        lsp.ReferenceParams(
                            text_document=doc,
                            position=at,
                            context=lsp.ReferenceContext(include_declaration=True),
                        )
                    ),
                    client.text_document_code_action_async(
                        lsp.CodeActionParams(
                            text_document=doc,
                            range=rng,
                            context=lsp.CodeActionContext(diagnostics=[]),
                        )
                    ),
                ),
                timeout=20,
            )
            # the server's copy of the text, updated edit by edit, is the client's: what it
            # shows of it is what a fresh parse of the client's text shows
            want_symbols, want_tokens = fresh_view(workspace / rel, text, enc, fresh_indexes)
            assert as_json(answers[0]) == as_json(want_symbols), f"symbols, edit {edits}: {edit}"
            assert as_json(answers[1]) == as_json(want_tokens), f"tokens, edit {edits}: {edit}"
        # and the diagnostics of the last version are those of a fresh check of its text
        want = fresh_diagnostics(workspace / rel, text, enc, fresh_indexes)
        got = await published(client, uri, want)
        assert got == want, f"diagnostics after the edits {script} of {rel}"
        with_problems += bool(want)
        await docs.close(uri)
    assert edits == EDITS
    assert with_problems > 0
    errors = [m.message for m in client.messages if m.type == lsp.MessageType.Error]
    errors += [m.message for m in client.log_messages if m.type == lsp.MessageType.Error]
    assert errors == []


_CONVERTER = get_converter()


def as_json(value: object) -> object:
    """A protocol value as the JSON that travels (tuples and lists alike)."""
    return json.loads(json.dumps(_CONVERTER.unstructure(value)))


def fresh_view(
    path: Path, text: str, encoding: str, indexes: IndexState
) -> tuple[list[lsp.DocumentSymbol], lsp.SemanticTokens]:
    """The symbols and semantic tokens of ``text`` parsed whole, as the server sends them."""
    store = DocumentStore()
    uri = path_to_uri(path)
    store.open(uri, text, 1)
    fa = Analyzer(documents=store, indexes=indexes).analysis(uri)
    assert fa is not None
    codec = convert.Codec(LineIndex(text), encoding)
    return (
        [convert.document_symbol(s, codec) for s in symbols.document_symbols(fa)],
        convert.semantic_tokens(semantic_tokens.tokens(fa), codec),
    )


def fresh_diagnostics(
    path: Path, text: str, encoding: str, indexes: IndexState
) -> list[tuple[object, ...]]:
    """(range, code, severity, message) of each problem a fresh check of ``text`` reports, in
    the server's way (the open text, the workspace's index and its fragment rule)."""
    store = DocumentStore()
    uri = path_to_uri(path)
    doc = store.open(uri, text, 1)
    loaded = indexes.for_file(doc.path)
    family = FamilyScanner(store).family(loaded.root) if loaded is not None else None
    found = diagnostics.problems_of(
        doc.key,
        text,
        loaded,
        store.read_text,
        family,
        lambda: Analyzer(documents=store, indexes=indexes).analysis(uri),
    )
    codec = convert.Codec(LineIndex(text), encoding)
    return [_diagnostic_row(convert.diagnostic(p, codec)) for p in found]


def _diagnostic_row(d: lsp.Diagnostic) -> tuple[object, ...]:
    return (as_json(d.range), d.code, as_json(d.severity), d.message)


async def published(
    client: LanguageClient, uri: str, want: list[tuple[object, ...]]
) -> list[tuple[object, ...]]:
    """The diagnostics the server publishes for ``uri``, once they equal ``want`` or after a
    few seconds (publishing waits for the edits to pause, and runs off the request path)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + 10.0
    got: list[tuple[object, ...]] = []
    while loop.time() < end:
        got = [_diagnostic_row(d) for d in client.diagnostics.get(uri, [])]
        if got == want:
            break
        await asyncio.sleep(0.02)
    return got


ANALYZER = Analyzer()


@settings(max_examples=300 if not LONG else 3000, deadline=None, database=None, derandomize=True)
@given(st.integers(0, 100), st.lists(EDIT, min_size=1, max_size=8), st.floats(0, 1))
def test_analysis_survives_random_text(pick: int, script: list, where: float) -> None:  # type: ignore[type-arg]
    """The features as plain functions over mangled configs: never an exception."""
    texts = sources()
    text = texts[pick % len(texts)]
    for edit in script:
        start, end, new = apply_edit(text, edit)
        text = text[:start] + new + text[end:]
    path = REPO / "examples" / "configs" / "fuzz_in_process.toml"
    uri = path_to_uri(path)
    ANALYZER.documents.open(uri, text, 1)
    fa = ANALYZER.analysis(uri)
    assert fa is not None
    offset = int(where * len(text))
    completion.complete(fa, offset)
    hover.hover(fa, offset)
    definition.definition(fa, offset)
    definition.declaration(fa, offset)
    references.references(fa, offset)
    references.prepare_rename(fa, offset)
    references.rename(fa, offset, "renamed")
    problems = diagnostics.diagnostics(fa, ANALYZER.documents.read_text, None)
    code_actions.code_actions(fa, offset, offset, problems)
    symbols.document_symbols(fa)
    semantic_tokens.tokens(fa)
    inlay_hints.inlay_hints(fa, 0, len(text))
    ANALYZER.documents.close(uri)
    ANALYZER.forget(uri)


def observed(fa: FileAnalysis, read_text: object) -> dict[str, object]:
    """What a user sees of one version of a document: its symbols, semantic tokens, syntax
    problems and diagnostics."""
    return {
        "symbols": symbols.document_symbols(fa),
        "tokens": semantic_tokens.tokens(fa),
        "syntax": diagnostics.syntax_problems(fa.config),
        "diagnostics": diagnostics.diagnostics(fa, read_text, None),  # type: ignore[arg-type]
    }


INCREMENTAL = Analyzer()
STEPS = 300 if not LONG else 3000


@pytest.mark.parametrize("where", ["examples", "indexed"])  # without and with an index
@settings(
    max_examples=STEPS // 20,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.integers(0, 100),
    st.lists(INSERT_OR_DELETE, min_size=5, max_size=25),  # a truncated file is parsed whole
)
def test_incremental_updates_equal_a_fresh_parse(
    where: str,
    workspace: Path,
    pick: int,
    script: list,  # type: ignore[type-arg]
) -> None:
    """Each edit as the server applies it (``OpenDocument.replace``, then the cached analysis
    updated), compared after every step with a new analyzer that parses the text whole."""
    texts = large_sources()
    text = texts[pick % len(texts)]
    folder = REPO / "examples" if where == "examples" else workspace
    path = folder / "configs" / "fuzz_incremental.toml"
    uri = path_to_uri(path)
    INCREMENTAL.documents.open(uri, text, 1)
    INCREMENTAL.forget(uri)
    first = INCREMENTAL.analysis(uri)
    assert first is not None
    doc = first.doc
    for version, edit in enumerate(script, 2):
        start, end, new = apply_edit(doc.text, edit)
        doc.replace(start, end, new)
        doc.version = version
        updated = INCREMENTAL.analysis(uri)
        assert updated is not None and updated.config.text == doc.text
        fresh_docs = DocumentStore()
        fresh_docs.open(uri, doc.text, version)
        fresh = Analyzer(documents=fresh_docs, indexes=INCREMENTAL.indexes).analysis(uri)
        assert fresh is not None
        assert observed(updated, INCREMENTAL.documents.read_text) == observed(
            fresh, fresh_docs.read_text
        ), f"after edit {version - 1} of {script}"
    INCREMENTAL.documents.close(uri)
    INCREMENTAL.forget(uri)
