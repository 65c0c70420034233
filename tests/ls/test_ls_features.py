"""Features end to end through pytest-lsp, with VS Code and Neovim client capabilities."""

from __future__ import annotations

from pathlib import Path

from ls_helpers import Docs, column, encoding_of, ident, item_edit, split_cursor
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient


async def open_marked(docs: Docs, rel: str, marked: str) -> tuple[str, lsp.Position, str]:
    text, _, pos = split_cursor(marked)
    uri = await docs.open(rel, text)
    return uri, pos, text


def apply(text: str, edits: list[lsp.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(p: lsp.Position) -> int:
        return starts[p.line] + p.character  # ASCII fixtures

    for e in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
    return text


async def test_completion_of_module_names_in_a_value(client: LanguageClient, docs: Docs) -> None:
    uri, pos, _ = await open_marked(docs, "cases/c1.toml", '[Model.FCN]\n"@backbone" = "<|>"\n')
    result = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=ident(uri), position=pos)
    )
    assert result is not None
    items = result.items if isinstance(result, lsp.CompletionList) else result
    resnet = next(i for i in items if i.label == "ResNet")
    assert resnet.detail and "Backbone" in resnet.detail
    assert resnet.kind == lsp.CompletionItemKind.Class
    _, new_text = item_edit(result, resnet)
    assert new_text == "ResNet"
    resolved = await client.completion_item_resolve_async(resnet)
    assert isinstance(resolved.documentation, lsp.MarkupContent)
    assert "A small ResNet." in resolved.documentation.value
    await docs.close(uri)


async def test_completion_of_a_header_typed_at_the_end_of_the_file(
    client: LanguageClient, docs: Docs
) -> None:
    uri, pos, _ = await open_marked(docs, "cases/c2.toml", "x = 1\n\n[Model.<|>")
    result = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=ident(uri), position=pos)
    )
    assert result is not None
    items = result.items if isinstance(result, lsp.CompletionList) else result
    assert [i.label for i in items] == ["FCN"]
    # the server is still alive and answers
    again = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=ident(uri), position=pos)
    )
    assert again is not None
    await docs.close(uri)


async def test_key_completion_uses_snippets_only_when_supported(
    client: LanguageClient, docs: Docs
) -> None:
    uri, pos, _ = await open_marked(docs, "cases/c3.toml", "[Backbone.ResNet]\nbase<|>\n")
    result = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=ident(uri), position=pos)
    )
    assert result is not None
    items = result.items if isinstance(result, lsp.CompletionList) else result
    item = next(i for i in items if i.label == "base_channels")
    caps = client.capabilities
    assert caps is not None
    snippets = bool(caps.text_document.completion.completion_item.snippet_support)  # type: ignore[union-attr]
    _, new_text = item_edit(result, item)
    if snippets:
        assert item.insert_text_format == lsp.InsertTextFormat.Snippet
        assert new_text == "base_channels = ${1:8}"
    else:
        assert new_text == "base_channels = 8"
    await docs.close(uri)


async def test_hover_on_a_parameter_key_shows_its_description(
    client: LanguageClient, docs: Docs
) -> None:
    uri, pos, _ = await open_marked(docs, "cases/h1.toml", "[Backbone.ResNet]\nlay<|>ers = [1]\n")
    result = await client.text_document_hover_async(
        lsp.HoverParams(text_document=ident(uri), position=pos)
    )
    assert result is not None
    assert isinstance(result.contents, lsp.MarkupContent)
    assert "Blocks per stage." in result.contents.value
    assert result.range == lsp.Range(
        start=lsp.Position(line=1, character=0), end=lsp.Position(line=1, character=6)
    )
    await docs.close(uri)


async def test_definition_of_a_module_name_is_the_python_line(
    client: LanguageClient, docs: Docs, workspace: Path
) -> None:
    uri, pos, _ = await open_marked(
        docs, "cases/d1.toml", '[Model.FCN]\n"@backbone" = "R<|>esNet"\n'
    )
    result = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=ident(uri), position=pos)
    )
    assert isinstance(result, list) and len(result) == 1
    loc = result[0]
    assert isinstance(loc, lsp.Location)
    source = workspace / "src/toy/models.py"
    assert loc.uri == source.as_uri()
    assert source.read_text().splitlines()[loc.range.start.line].startswith("class ResNet")
    await docs.close(uri)


async def test_did_you_mean_quick_fix(client: LanguageClient, docs: Docs) -> None:
    text = '[Model.FCN]\n"@backbone" = "ResNt"\n"!head" = "FCNHead"\n[Head.FCNHead]\nin_channels = 1\nnum_classes = 2\n'
    uri = await docs.open("cases/q1.toml", text)
    diags = await docs.diagnostics(uri)
    assert [d.code for d in diags] == ["unknown-module"]
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=ident(uri),
            range=diags[0].range,
            context=lsp.CodeActionContext(diagnostics=diags),
        )
    )
    assert actions
    fix = next(
        a for a in actions if isinstance(a, lsp.CodeAction) and a.title == "Did you mean 'ResNet'?"
    )
    assert fix.kind == lsp.CodeActionKind.QuickFix and fix.is_preferred
    assert fix.diagnostics and fix.diagnostics[0].code == "unknown-module"
    assert fix.edit is not None and fix.edit.changes is not None
    assert apply(text, list(fix.edit.changes[uri])) == text.replace("ResNt", "ResNet")
    await docs.close(uri)


async def test_code_actions_filtered_by_kind(client: LanguageClient, docs: Docs) -> None:
    """Editors ask for quick fixes only (``context.only``): the fix is there, and kinds that
    were not asked for are not (the 'create a section' refactor, the 'refresh' source action)."""
    text = '[Model.FCN]\n"!head" = "SimpleHead"\n"@backbone" = "ResNt"\n'
    uri = await docs.open("cases/q2.toml", text)
    diags = await docs.diagnostics(uri)
    typo = next(d for d in diags if d.code == "unknown-module")
    # from inside "SimpleHead" (no section yet: a refactor creates one) to the misspelt name
    start = lsp.Position(line=1, character=text.splitlines()[1].index("SimpleHead") + 1)

    async def titles(only: list[lsp.CodeActionKind | str] | None) -> dict[str, str]:
        actions = await client.text_document_code_action_async(
            lsp.CodeActionParams(
                text_document=ident(uri),
                range=lsp.Range(start=start, end=typo.range.end),
                context=lsp.CodeActionContext(diagnostics=diags, only=only),
            )
        )
        return {
            a.title: str(getattr(a.kind, "value", a.kind))
            for a in actions or []
            if isinstance(a, lsp.CodeAction)
        }

    everything = await titles(None)
    assert everything["Did you mean 'ResNet'?"] == "quickfix"
    assert everything["Create a [SimpleHead] section for this module"] == "refactor"
    fixes = await titles([lsp.CodeActionKind.QuickFix])
    assert "Did you mean 'ResNet'?" in fixes
    assert set(fixes.values()) == {"quickfix"}
    assert fixes == {t: k for t, k in everything.items() if k == "quickfix"}
    refactors = await titles([lsp.CodeActionKind.Refactor])
    assert refactors and set(refactors.values()) == {"refactor"}
    assert await titles([lsp.CodeActionKind.SourceFixAll]) == {}  # a sub-kind we do not offer
    both = await titles([lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.Refactor])
    assert both == {t: k for t, k in everything.items() if k in ("quickfix", "refactor")}
    await docs.close(uri)


async def test_positions_with_emoji_and_cjk(client: LanguageClient, docs: Docs) -> None:
    """Columns in the negotiated encoding (UTF-16 for VS Code, UTF-8 for Neovim 0.11)."""
    enc = encoding_of(client)
    text = (
        '[Model.FCN]\n"@backbone" = "ResNet"  # 模型 😀 x\n"!head" = "SimpleHead"   # 😀😀 头\n'
        '"&aux" = "n😀"\n[Head.SimpleHead]\nin_channels = 1 # 😀\nnum_classes = 2\n'
    )
    lines = text.splitlines()
    uri = await docs.open("cases/u1.toml", text)
    diags = await docs.diagnostics(uri)
    bad = next(d for d in diags if d.code == "bad-expression")  # "unexpected '😀'"
    start = lines[3].index("😀")
    assert bad.range.start == lsp.Position(line=3, character=column(lines[3], start, enc))
    assert bad.range.end == lsp.Position(line=3, character=column(lines[3], start + 1, enc))
    # replace "头" after the emoji by "h" with an incremental edit
    i = lines[2].index("头")
    docs.change(
        uri,
        lsp.Position(line=2, character=column(lines[2], i, enc)),
        lsp.Position(line=2, character=column(lines[2], i + 1, enc)),
        "h",
    )
    await docs.diagnostics(uri)
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=ident(uri))
    )
    assert symbols is not None
    head = symbols[0].children[1]  # type: ignore[union-attr,index]
    assert head.detail == '"SimpleHead"'
    # hover on a name after the CJK text and emoji of the same line
    text2 = text.replace("头", "h")
    line5 = text2.splitlines()[5]
    assert line5.startswith("in_channels")
    hover = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=ident(uri),
            position=lsp.Position(line=2, character=column(lines[2], 13, enc)),
        )
    )
    assert hover is not None and "SimpleHead" in str(hover.contents)
    # completion right after the emoji line still lands at the right place
    new_line = '"!x" = "Res'
    docs.change(uri, lsp.Position(line=7, character=0), lsp.Position(line=7, character=0), new_line)
    result = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=ident(uri), position=lsp.Position(line=7, character=len(new_line))
        )
    )
    assert result is not None
    items = result.items if isinstance(result, lsp.CompletionList) else result
    item = next(i for i in items if i.label == "ResNet")
    rng, _ = item_edit(result, item)
    assert rng.start == lsp.Position(line=7, character=8)
    await docs.close(uri)


async def test_references_rename_and_prepare_rename(
    client: LanguageClient, docs: Docs, workspace: Path
) -> None:
    uri = await docs.open("configs/_base_/model.toml")
    text = (workspace / "configs/_base_/model.toml").read_text()
    line = text.splitlines().index('"&num_classes" = "num_classes"')
    pos = lsp.Position(line=line, character=20)
    refs = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=ident(uri),
            position=pos,
            context=lsp.ReferenceContext(include_declaration=True),
        )
    )
    assert refs is not None and len(refs) == 2
    prepared = await client.text_document_prepare_rename_async(
        lsp.PrepareRenameParams(text_document=ident(uri), position=pos)
    )
    assert (
        isinstance(prepared, lsp.PrepareRenamePlaceholder) and prepared.placeholder == "num_classes"
    )
    edit = await client.text_document_rename_async(
        lsp.RenameParams(text_document=ident(uri), position=pos, new_name="n_classes")
    )
    assert edit is not None and edit.changes is not None
    expected = text.replace("num_classes = 3", "n_classes = 3").replace(
        '= "num_classes"', '= "n_classes"'
    )
    assert apply(text, list(edit.changes[uri])) == expected
    await docs.close(uri)


async def test_symbols_tokens_links_hints(
    client: LanguageClient, docs: Docs, workspace: Path
) -> None:
    uri = await docs.open("configs/_base_/model.toml")
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=ident(uri))
    )
    assert symbols is not None
    names = [s.name for s in symbols]
    assert names == ["num_classes", "Model.FCN", "Backbone.ResNet", "Head.FCNHead"]
    fcn = symbols[1]
    assert isinstance(fcn, lsp.DocumentSymbol) and [c.name for c in fcn.children or []] == [
        "@backbone",
        "!head",
    ]
    tokens = await client.text_document_semantic_tokens_full_async(
        lsp.SemanticTokensParams(text_document=ident(uri))
    )
    assert tokens is not None and len(tokens.data) % 5 == 0 and len(tokens.data) >= 5 * 10
    hints = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(
            text_document=ident(uri),
            range=lsp.Range(
                start=lsp.Position(line=0, character=0), end=lsp.Position(line=100, character=0)
            ),
        )
    )
    assert hints is not None and [h.label for h in hints] == ["= 3"]
    await docs.close(uri)
    main = await docs.open("configs/main.toml")
    links = await client.text_document_document_link_async(
        lsp.DocumentLinkParams(text_document=ident(main))
    )
    assert links is not None
    assert [link.target for link in links] == [
        (workspace / "configs/_base_/model.toml").as_uri(),
        (workspace / "configs/_base_/data.toml").as_uri(),
    ]
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="resn"))
    assert found is not None and [s.name for s in found] == ["ResNet"]
    await docs.close(main)


async def quick_fixes(
    client: LanguageClient, uri: str, diag: lsp.Diagnostic, diags: list[lsp.Diagnostic]
) -> list[lsp.CodeAction]:
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=ident(uri),
            range=diag.range,
            context=lsp.CodeActionContext(diagnostics=diags, only=[lsp.CodeActionKind.QuickFix]),
        )
    )
    return [a for a in actions or [] if isinstance(a, lsp.CodeAction)]


async def test_unknown_member_of_a_walked_python_module(client: LanguageClient, docs: Docs) -> None:
    text = '[Backbone.ResNet]\n"$block" = "BasicBlock"\nlayers = [1]\n"!act" = "torch.nn.GELLU"\n'
    uri = await docs.open("cases/gellu.toml", text)
    diags = await docs.diagnostics(uri)
    assert [(d.code, d.range.start.line, d.range.start.character) for d in diags] == [
        ("unknown-module", 3, 19)
    ]
    assert "did you mean 'GELU'?" in diags[0].message
    fixes = await quick_fixes(client, uri, diags[0], diags)
    fix = next(a for a in fixes if a.title == "Did you mean 'GELU'?")
    assert fix.edit is not None and fix.edit.changes is not None
    assert apply(text, list(fix.edit.changes[uri])) == text.replace("GELLU", "GELU")
    # a member the module has: nothing to say
    other = text.replace("torch.nn.GELLU", "torch.nn.ReLU")
    uri2 = await docs.open("cases/relu.toml", other)
    assert await docs.diagnostics(uri2) == []
    await docs.close(uri)
    await docs.close(uri2)


async def test_forgotten_dollar_quick_fix(client: LanguageClient, docs: Docs) -> None:
    text = '[Backbone.ResNet]\nblock = "BasicBlock"\nlayers = [1]\n'
    uri = await docs.open("cases/lost_dollar.toml", text)
    diags = await docs.diagnostics(uri)
    assert [(d.code, d.range.start.line, d.range.start.character) for d in diags] == [
        ("type-mismatch", 1, 8)
    ]
    fixes = await quick_fixes(client, uri, diags[0], diags)
    fix = next(a for a in fixes if a.title == 'Write "$block"')
    assert fix.is_preferred and fix.edit is not None and fix.edit.changes is not None
    assert apply(text, list(fix.edit.changes[uri])) == text.replace("block =", '"$block" =')
    await docs.close(uri)
