"""Go to definition reads the engine's model: on every fixture config, at every reference and
every ``&variable`` of the file, the server's answer is the place the engine gives.

For a module reference the engine's ``resolve`` names the target: a section (its file and the
offsets of its header's name in the merged config), every section of a field (``$Field::*``),
or a registered class (its Python source, from the index). For ``"&name"`` the engine's merged
config names the write that counts (``ConfigModel.variables``); the answer lists every file of
the family that wrote ``name``, in merge order, that one last.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ls_helpers import CASES, read_case

from excore.config.loader import Leaf, Section
from excore.config.model import ConfigModel, resolve
from excore.syntax.grammar import MODULE_PREFIXES, Reference, parse_variable_value
from excore_ls.analysis.documents import path_to_uri
from excore_ls.analysis.results import Place
from excore_ls.analysis.session import Analyzer, FileAnalysis
from excore_ls.features.definition import definition

WS_CONFIGS = Path(__file__).parent / "fixtures" / "ws" / "configs"
EXAMPLE_CONFIGS = Path(__file__).resolve().parents[2] / "examples" / "configs"

CASE_FILES = sorted(p.name for p in CASES.glob("*.toml"))
WS_FILES = sorted(p.relative_to(WS_CONFIGS.parent).as_posix() for p in WS_CONFIGS.rglob("*.toml"))
EXAMPLE_FILES = sorted(
    p.relative_to(EXAMPLE_CONFIGS.parent).as_posix() for p in EXAMPLE_CONFIGS.rglob("*.toml")
)


@dataclass(frozen=True)
class Probe:
    what: str  # for the failure message
    offset: int
    expected: list[Place]


def _open(analyzer: Analyzer, path: Path, text: str) -> FileAnalysis:
    uri = path_to_uri(path)
    analyzer.documents.open(uri, text, 1)
    analyzer.forget(uri)
    fa = analyzer.analysis(uri)
    assert fa is not None
    return fa


def _section_place(section: Section) -> Place:
    return Place(section.file, section.start, section.end)


def _python_place(fa: FileAnalysis, info: object) -> Place | None:
    from excore.signatures import ModuleInfo

    if not isinstance(info, ModuleInfo) or fa.loaded is None:
        return None
    path = fa.loaded.source_path(info)
    return Place(str(path), line=max(info.line, 1)) if path is not None else None


def _references(model: ConfigModel, file: str) -> Iterator[Reference]:
    """Every module reference the engine's model read from ``file``."""
    for module in [*model.modules, *model.hooks.values(), *model.fine.values()]:
        params = [*module.params.values(), *module.conflicts]
        for table in module.ref_tables.values():
            params.extend(table.entries.values())
        for param in params:
            if param.prefix not in MODULE_PREFIXES:
                continue
            for use in param.refs:
                if use.file == file and use.ref.head is not None:
                    yield use.ref


def _leaves(table: Section) -> Iterator[Leaf]:
    for node in table.items.values():
        if isinstance(node, Section):
            yield from _leaves(node)
        else:
            yield node


def reference_probes(fa: FileAnalysis) -> list[Probe]:
    """Where the engine's ``resolve`` says each reference of the open file leads."""
    model, source = fa.model, fa.source
    seen: set[int] = set()
    probes: list[Probe] = []
    for ref in _references(model, fa.engine_path):
        head = ref.head
        assert head is not None
        if head.start in seen or (not ref.dollar and head.text in model.variables):
            continue  # a name the config also uses as a variable: not a module reference
        seen.add(head.start)
        target, _ = resolve(model, ref, source)
        text = f"{ref.text!r} at {head.start}"
        if target is None:
            probes.append(Probe(f"{text} (unresolved)", head.start, []))
            continue
        if target.kind == "field-all":
            places = [_section_place(m.section) for m in target.modules]
            probes.append(Probe(f"{text} -> every module of the field", head.start, places))
        elif target.kind == "field" and target.module is not None:
            place = _section_place(target.module.section)
            probes.append(Probe(f"{text} -> field section", head.start, [place]))
            if ref.member is not None:
                probes.append(Probe(f"{text} member -> section", ref.member.start, [place]))
        elif target.kind == "section" and target.module is not None:
            python = _python_place(fa, target.info)
            section = _section_place(target.module.section)
            probes.append(Probe(f"{text} -> section", head.start, [python or section]))
        elif target.kind in ("implicit", "python"):
            python = _python_place(fa, target.info)
            name = ref.dotted_names[target.consumed - 1] if target.kind == "python" else head
            where = name.start
            probes.append(Probe(f"{text} -> registered", where, [python] if python else []))
    return probes


def variable_probes(fa: FileAnalysis) -> list[Probe]:
    """Where the engine's merged config says each ``"&name"`` of the open file was written."""
    model = fa.model
    own = fa.merged.trees.get(fa.engine_path)
    if own is None:
        return []
    probes: list[Probe] = []
    for leaf in _leaves(own):
        if leaf.key.prefix != "&":
            continue
        values = leaf.value.items if leaf.value.kind == "array" else [leaf.value]
        for value in values:
            if value.kind != "string" or not isinstance(value.data, str):
                continue
            var = parse_variable_value(value.data, value.content_start)
            if var.name is None or var.expr is not None:
                continue
            counts = model.variables.get(var.name.text)
            if not isinstance(counts, Leaf) or counts.key.prefix:
                continue
            writers = [  # each file's own tree, in the engine's merge order
                Place(node.file, node.key.start, node.key.end)
                for file in fa.merged.order
                for node in [fa.merged.trees[file].items.get(var.name.text)]
                if isinstance(node, Leaf) and not node.key.prefix
            ]
            # the write that counts is the last one
            assert writers[-1] == Place(counts.file, counts.key.start, counts.key.end)
            probes.append(Probe(f"&{var.name.text} -> variable", var.name.start, writers))
    return probes


def _check(fa: FileAnalysis) -> int:
    probes = [*reference_probes(fa), *variable_probes(fa)]
    for probe in probes:
        got = definition(fa, probe.offset)
        assert got == probe.expected, (probe.what, got)
    return len(probes)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.mark.parametrize("name", CASE_FILES)
def test_definition_is_the_engines_on_each_case(
    analyzer: Analyzer, workspace: Path, name: str
) -> None:
    expect, text, _ = read_case(name)
    _check(_open(analyzer, workspace / expect.get("at", f"cases/{name}"), text))


@pytest.mark.parametrize("rel", WS_FILES)
def test_definition_is_the_engines_on_the_workspace(
    analyzer: Analyzer, workspace: Path, rel: str
) -> None:
    path = workspace / rel
    _check(_open(analyzer, path, path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("rel", EXAMPLE_FILES)
def test_definition_is_the_engines_on_the_example(
    analyzer: Analyzer, example: Path, rel: str
) -> None:
    path = example / rel
    _check(_open(analyzer, path, path.read_text(encoding="utf-8")))


def test_the_fixtures_have_references_and_variables_to_compare(
    analyzer: Analyzer, workspace: Path, example: Path
) -> None:
    """The comparison above is not vacuous: the fixtures reach every kind of target."""
    kinds: set[str] = set()
    total = 0
    for root, files in ((workspace, WS_FILES), (example, EXAMPLE_FILES)):
        for rel in files:
            path = root / rel
            fa = _open(analyzer, path, path.read_text(encoding="utf-8"))
            probes = [*reference_probes(fa), *variable_probes(fa)]
            total += _check(fa)
            kinds |= {p.what.split(" -> ")[-1].split(" (")[0] for p in probes if " -> " in p.what}
    assert total >= 20
    assert {"section", "registered", "variable", "field section"} <= kinds, kinds


def test_an_unsaved_buffer_is_its_own_family(analyzer: Analyzer) -> None:
    """A buffer without a file: the engine loads its text under a path of its own, and every
    place it gives is reported in the buffer (its URI), not at that path."""
    from excore_ls.features.hover import hover
    from excore_ls.features.inlay_hints import inlay_hints
    from excore_ls.features.references import references

    uri = "untitled:Untitled-1"
    text = 'size = 3\n[Model.FCN]\n"&x" = "size"\n'
    analyzer.documents.open(uri, text, 1)
    fa = analyzer.analysis(uri)
    assert fa is not None
    use = text.index('"size"') + 2
    assert definition(fa, use) == [Place(uri, 0, 4)]
    assert [p.file for p in references(fa, use)] == [uri, uri]
    shown = hover(fa, use)
    assert shown is not None and "defined in this file, line 1" in shown.markdown
    assert [h.label for h in inlay_hints(fa, 0, len(text))] == ["= 3"]
    analyzer.documents.close(uri)
