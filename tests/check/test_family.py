"""The fragment rule: a file other configs include is checked through those configs."""

from __future__ import annotations

from pathlib import Path

from excore.config.check import check_config
from excore.config.family import check_in_context, config_files, scan_family
from excore.schema.index import WorkspaceIndex

FAMILY = Path(__file__).parent / "fixtures" / "family"


def test_fragment_reports_only_what_its_includers_meet(index: WorkspaceIndex) -> None:
    family = scan_family(config_files(FAMILY))
    head = str(FAMILY / "_base_" / "head.toml")
    assert family.is_fragment(head)
    assert family.roots_of(head) == [str(FAMILY / "main.toml")]
    alone = {p.code for p in check_config(head, index, env={})}
    assert "undefined-variable" in alone  # `size` is not defined in the fragment itself
    in_context = check_in_context(head, index, family=family, env={})
    assert [(p.code, p.file) for p in in_context] == [("type-mismatch", head)]


def test_root_config_is_checked_on_its_own(index: WorkspaceIndex) -> None:
    family = scan_family(config_files(FAMILY))
    main = str(FAMILY / "main.toml")
    assert not family.is_fragment(main)
    assert check_in_context(main, index, family=family, env={}) == []
