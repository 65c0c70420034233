"""Roots and fragments: a fragment is known by its name (or a workspace glob), a root is checked
as itself, and what a root's combination of bases causes is reported in the root."""

from __future__ import annotations

from pathlib import Path

from excore.config.family import FragmentRule, check_in_context, fragment_rule
from excore.problems import Problem, Related
from excore.schema.index import WorkspaceIndex
from excore.syntax.text import LineIndex

RULE = Path(__file__).parent / "fixtures" / "rule"


def where(p: Problem | Related, root: Path = RULE) -> str:
    file, start = p.file, p.start
    line, col = LineIndex(Path(file).read_text()).position(start)
    return f"{Path(file).relative_to(root).as_posix()}:{line + 1}:{col + 1}"


def shown(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(where(p), p.code) for p in problems]


def test_fragments_are_known_by_name_and_globs(tmp_path: Path) -> None:
    rule = FragmentRule(str(RULE))
    assert rule.is_fragment(RULE / "_base_" / "model.toml")
    assert rule.is_fragment(RULE / "_data.toml")
    assert not rule.is_fragment(RULE / "standalone.toml")
    (tmp_path / "excore.toml").write_text('fragments = ["configs/parts/*.toml"]\n')
    from_workspace = fragment_rule(tmp_path)
    assert from_workspace.globs == ("configs/parts/*.toml",)
    assert from_workspace.is_fragment(tmp_path / "configs" / "parts" / "data.toml")
    assert not from_workspace.is_fragment(tmp_path / "configs" / "main.toml")
    # a folder above the workspace root starting with `_` does not count
    nested = tmp_path / "_outer"
    nested.mkdir()
    (nested / "excore.toml").write_text("")
    assert not fragment_rule(nested).is_fragment(nested / "main.toml")


def test_a_fragment_never_shows_what_its_includers_forgot(index: WorkspaceIndex) -> None:
    head = check_in_context(RULE / "_base_" / "head.toml", index, env={})
    # `width` is not defined in the fragment: not its problem; the wrong literal is
    assert shown(head) == [("_base_/head.toml:3:8", "type-mismatch")]
    assert check_in_context(RULE / "_base_" / "model.toml", index, env={}) == []


def test_a_broken_root_reports_its_mistake_at_its_base_entry(index: WorkspaceIndex) -> None:
    found = check_in_context(RULE / "wip.toml", index, env={})
    assert shown(found) == [
        ("_base_/head.toml:3:8", "type-mismatch"),  # the base's own mistake, in the base
        ("wip.toml:2:34", "undefined-variable"),  # at "_base_/head.toml" in __base__
    ]
    moved = found[1]
    assert moved.key == "__base__"
    assert "'width'" in moved.message and "_base_/head.toml:2:19" in moved.message
    assert [where(r) for r in moved.related] == ["_base_/head.toml:2:19"]
    assert "'width' is not defined" in moved.related[0].message
    # a valid root including the same fragments: only the base's own mistake
    good = check_in_context(RULE / "good.toml", index, env={})
    assert shown(good) == [("_base_/head.toml:3:8", "type-mismatch")]


def test_a_runnable_config_included_elsewhere_is_still_checked_as_itself(
    index: WorkspaceIndex,
) -> None:
    standalone = check_in_context(RULE / "standalone.toml", index, env={})
    assert shown(standalone) == [("standalone.toml:3:16", "missing-param")]
    # the config that includes it and gives `depth` builds: nothing to report there
    assert check_in_context(RULE / "child.toml", index, env={}) == []


def test_as_fragment_overrides_the_rule(index: WorkspaceIndex) -> None:
    found = check_in_context(RULE / "standalone.toml", index, env={}, as_fragment=True)
    assert found == []
