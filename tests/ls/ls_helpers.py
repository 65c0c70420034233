"""Helpers of the language-server tests (documents, cursor markers)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient, client_capabilities

CURSOR = "<|>"


def split_cursor(text: str) -> tuple[str, int, lsp.Position]:
    """Remove the cursor marker; return the text, the offset and the UTF-16 position."""
    offset = text.index(CURSOR)
    clean = text[:offset] + text[offset + len(CURSOR) :]
    before = clean[:offset]
    line = before.count("\n")
    col_text = before[before.rfind("\n") + 1 :]
    col = len(col_text.encode("utf-16-le")) // 2
    return clean, offset, lsp.Position(line=line, character=col)


async def initialize_in(client: LanguageClient, root: Path) -> None:
    """Start a fresh session (VS Code's capabilities) with ``root`` as its one workspace folder."""
    client.feature(lsp.CLIENT_REGISTER_CAPABILITY)(lambda params: None)
    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        )
    )


class Docs:
    """Open documents in a session server and wait for their diagnostics."""

    def __init__(self, client: LanguageClient, workspace: Path) -> None:
        self.client = client
        self.workspace = workspace
        self.versions: dict[str, int] = {}

    def uri(self, rel: str) -> str:
        return (self.workspace / rel).as_uri()

    async def open(self, rel: str, text: str | None = None, wait: bool = True) -> str:
        path = self.workspace / rel
        if text is None:
            text = path.read_text(encoding="utf-8")
        uri = path.as_uri()
        self.client.diagnostics.pop(uri, None)
        if uri in self.versions:
            self.client.text_document_did_close(
                lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
            )
        self.versions[uri] = 1
        self.client.diagnostics.pop(uri, None)
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(
                    uri=uri, language_id="toml", version=1, text=text
                )
            )
        )
        if wait:
            await self.diagnostics(uri)
        return uri

    async def diagnostics(self, uri: str, timeout: float = 10.0) -> list[lsp.Diagnostic]:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while uri not in self.client.diagnostics:
            if loop.time() > end:
                raise AssertionError(f"no diagnostics for {uri} within {timeout}s")
            await asyncio.sleep(0.01)
        return list(self.client.diagnostics[uri])

    def change(self, uri: str, start: lsp.Position, end: lsp.Position, text: str) -> None:
        self.versions[uri] += 1
        self.client.diagnostics.pop(uri, None)
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[
                    lsp.TextDocumentContentChangePartial(
                        range=lsp.Range(start=start, end=end), text=text
                    )
                ],
            )
        )

    async def close(self, uri: str) -> None:
        self.client.text_document_did_close(
            lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        )
        self.versions.pop(uri, None)


def encoding_of(client: LanguageClient) -> str:
    """The position encoding the server chose: the client's first preference it supports."""
    caps = client.capabilities
    general = caps.general if caps is not None else None
    for encoding in (general.position_encodings or []) if general is not None else []:
        if str(encoding) in ("utf-8", "utf-16", "utf-32"):
            return str(encoding)
    return "utf-16"


def column(line: str, index: int, encoding: str) -> int:
    """The LSP column of character ``index`` of ``line`` in ``encoding``."""
    prefix = line[:index]
    if encoding == "utf-8":
        return len(prefix.encode("utf-8"))
    if encoding == "utf-32":
        return len(prefix)
    return len(prefix.encode("utf-16-le")) // 2


def ident(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


# -- analysis without LSP ------------------------------------------------------------------------

CASES = Path(__file__).parent / "fixtures" / "cases"


def read_case(name: str) -> tuple[dict, str, int]:  # type: ignore[type-arg]
    """(expectation, text without the marker, cursor offset) of a case file.

    The first line is ``#! {json}``: what the case expects.
    """
    import json

    raw = (CASES / name).read_text(encoding="utf-8")
    first, _, rest = raw.partition("\n")
    assert first.startswith("#! "), f"{name}: first line must be '#! {{json}}'"
    text, offset, _ = split_cursor(rest)
    return json.loads(first[3:]), text, offset


def cli_truth(root: Path, cli: dict[str, list[dict]]) -> dict[str, set[tuple[int, str]]]:  # type: ignore[type-arg]
    """(line, code) pairs `excore check` reports for each config, under the fragment rule.

    ``cli`` maps each config (relative to ``root``) to its `excore check --format json` list. A
    config no other config includes gets its own problems. A fragment gets what checking the root
    configs that include it reports *in the fragment's text*, plus its own syntax problems.
    """
    from excore.config.family import config_files, scan_family

    family = scan_family(config_files(root))
    out: dict[str, set[tuple[int, str]]] = {}
    for rel in cli:
        full = str(root / rel)
        roots = family.roots_of(full)
        if not roots:
            found = [p for p in cli[rel] if (root / p["file"]).resolve() == Path(full).resolve()]
        else:
            found = [
                p
                for p in cli[rel]
                if p["code"] in ("toml-syntax", "unquoted-prefix")
                and (root / p["file"]).resolve() == Path(full).resolve()
            ]
            for other in roots:
                other_rel = Path(other).relative_to(root).as_posix()
                found += [
                    p
                    for p in cli[other_rel]
                    if (root / p["file"]).resolve() == Path(full).resolve()
                ]
        out[rel] = {(p["line"] - 1, p["code"]) for p in found}
    return out


def completion_items(result: object) -> list[lsp.CompletionItem]:
    if isinstance(result, lsp.CompletionList):
        return list(result.items)
    return list(result or [])  # type: ignore[call-overload]


def item_edit(result: object, item: lsp.CompletionItem) -> tuple[lsp.Range, str]:
    """The range and text a completion item inserts (its own textEdit or the list's defaults)."""
    if isinstance(item.text_edit, lsp.TextEdit):
        return item.text_edit.range, item.text_edit.new_text
    assert isinstance(result, lsp.CompletionList) and result.item_defaults is not None
    rng = result.item_defaults.edit_range
    assert isinstance(rng, lsp.Range)
    return rng, item.text_edit_text or item.label
