"""Where things were written in a config's family (``excore.config.origins``): file and offsets
of every write, in merge order, next to the merged tree."""

from __future__ import annotations

from pathlib import Path

from excore.config.loader import Leaf, Section, load_config_files
from excore.config.origins import (
    base_file,
    bases_tree,
    merged_table,
    section_names,
    sections_named,
    variable_definitions,
    variables,
    written,
)
from excore.syntax.toml import parse_toml

BASE_A = 'size = 8\nlr = 0.1\n\n[Model.FCN]\nx = 1\n"!head" = "H"\n'
BASE_B = '__base__ = ["a.toml"]\nsize = 16\n\n[Model."Seq*FinegrainedConfig"]\ny = 2\n'
MAIN = (
    '__base__ = ["b.toml"]\n__delete__ = ["lr"]\nsize = 32\n"&total" = "size * 2"\n\n'
    '[Model.FCN]\n"@head" = "G"\nz = 3\n\n[Scratch]\nw = 1\n'
)


def _family(tmp_path: Path) -> tuple[str, str, str]:
    (tmp_path / "a.toml").write_text(BASE_A)
    (tmp_path / "b.toml").write_text(BASE_B)
    (tmp_path / "main.toml").write_text(MAIN)
    return str(tmp_path / "a.toml"), str(tmp_path / "b.toml"), str(tmp_path / "main.toml")


def _at(text: str, node_start: int, needle: str) -> bool:
    return text[node_start : node_start + len(needle)] == needle


def test_each_write_of_a_variable_in_merge_order(tmp_path: Path) -> None:
    a, b, main = _family(tmp_path)
    loaded = load_config_files(main)
    assert loaded.order == [a, b, main]
    defs = variable_definitions(loaded, "size")
    assert [d.file for d in defs] == [a, b, main]
    assert [d.value.data for d in defs] == [8, 16, 32]
    assert _at(MAIN, defs[-1].key.start, "size")
    assert _at(BASE_B, defs[1].key.start, "size")
    # the write that counts is the merged one; a deleted variable is not one any more
    counts = variables(loaded)
    assert counts["size"] is defs[-1]
    assert "lr" not in counts and [d.file for d in variable_definitions(loaded, "lr")] == [a]
    assert "total" not in counts  # a computed value, not a plain variable
    assert "__base__" not in counts


def test_a_key_path_matches_whatever_its_prefix(tmp_path: Path) -> None:
    a, _, main = _family(tmp_path)
    loaded = load_config_files(main)
    heads = written(loaded, ("Model", "FCN", "head"))
    assert [(n.file, n.key.text) for n in heads if isinstance(n, Leaf)] == [
        (a, "!head"),
        (main, "@head"),
    ]
    assert written(loaded, ("Model", "Nope")) == []


def test_module_sections_with_the_offsets_of_their_name(tmp_path: Path) -> None:
    a, b, main = _family(tmp_path)
    loaded = load_config_files(main)
    names = section_names(loaded)
    assert [(s.file, s.table, s.name) for s in names] == [
        (a, "Model", "FCN"),
        (b, "Model", "Seq"),
        (main, "Model", "FCN"),
        (main, "", "Scratch"),
    ]
    fcn = sections_named(loaded, "FCN")
    assert [s.file for s in fcn] == [a, main]
    assert _at(MAIN, fcn[-1].start, "FCN") and fcn[-1].end - fcn[-1].start == 3
    seq = sections_named(loaded, "Seq")[0]  # inside the quotes, without the suffix
    assert _at(BASE_B, seq.start, "Seq*") and seq.key == "Seq*FinegrainedConfig"
    table = merged_table(loaded, "Model", "FCN")
    assert table is not None and set(table.items) == {"x", "@head", "z"}


def test_the_tree_of_a_config_without_bases_stays_as_written(tmp_path: Path) -> None:
    path = tmp_path / "alone.toml"
    path.write_text('__delete__ = ["x"]\nx = 1\n')
    loaded = load_config_files(path)
    assert "__delete__" not in loaded.root.items
    assert "__delete__" in loaded.trees[str(path)].items


def test_a_caller_s_parse_gives_the_same_load(tmp_path: Path) -> None:
    _, _, main = _family(tmp_path)
    doc = parse_toml(MAIN, main)
    tree, problems = doc.to_tree()
    given = load_config_files(main, parsed=(MAIN, tree, [*doc.problems, *problems]))
    read = load_config_files(main)
    assert given.order == read.order
    assert given.problems == read.problems
    assert repr(given.root) == repr(read.root)


def test_a_base_entry_follows_the_loader_s_rules(tmp_path: Path) -> None:
    _, b, main = _family(tmp_path)
    assert base_file("b.toml", main, (str(tmp_path),)) == b
    assert base_file("/etc/passwd", main, (str(tmp_path),)) is None
    assert base_file("../outside.toml", main, (str(tmp_path),)) is None


def test_what_the_bases_give_before_the_config_s_own_keys(tmp_path: Path) -> None:
    _, b, main = _family(tmp_path)
    bases = bases_tree(load_config_files(main))
    assert bases is not None
    size = bases.items["size"]
    assert isinstance(size, Leaf) and size.file == b and size.value.data == 16
    assert "lr" in bases.items  # what main deletes is still there: the bases define it
    model = bases.items["Model"]
    assert isinstance(model, Section) and set(model.items) == {"FCN", "Seq*FinegrainedConfig"}
    assert bases_tree(load_config_files(tmp_path / "a.toml")) is None
