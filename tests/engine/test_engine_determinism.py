"""Results never depend on the order of sections or keys (hypothesis shuffles the text)."""

from __future__ import annotations

import os
from pathlib import Path

from engine_paths import CONFIGS, cfg_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from excore import config, errors


def split_config(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """(top-level lines, [(header, key lines)]) of a simple config (one key per line)."""
    top: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("["):
            sections.append((line, []))
        elif sections:
            sections[-1][1].append(line)
        else:
            top.append(line)
    return top, sections


def join_config(top: list[str], sections: list[tuple[str, list[str]]]) -> str:
    parts = ["\n".join(top)]
    parts += [header + "\n" + "\n".join(lines) for header, lines in sections]
    return "\n\n".join(parts) + "\n"


@st.composite
def shuffled(draw: st.DrawFn, text: str) -> str:
    top, sections = split_config(text)
    top = draw(st.permutations(top))
    order = draw(st.permutations(range(len(sections))))
    shuffled_sections = []
    for index in order:
        header, lines = sections[index]
        shuffled_sections.append((header, list(draw(st.permutations(lines)))))
    return join_config(list(top), shuffled_sections)


def outcome(path: Path) -> object:
    """What a user sees: the built objects (as reprs, plus sharing), or the problems."""
    lazy = config.load(path, workspace=CONFIGS.parent)
    problems = sorted((p.code, p.message, p.key) for p in lazy.check())
    try:
        modules, run_info = config.build_all(lazy)
    except errors.ModuleValidateError as exc:
        return problems, sorted((p.code, p.message, p.key) for p in exc.problems)
    shared = modules.Model.backbone is modules.Backbone
    return problems, sorted((k, repr(v)) for k, v in modules.items()), run_info, shared


SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(text=shuffled(cfg_path("determinism.toml").read_text()))
def test_shuffled_valid_config_builds_the_same(tmp_path_factory, text: str) -> None:
    reference = outcome(cfg_path("determinism.toml"))
    path = tmp_path_factory.mktemp("shuffled") / "c.toml"
    path.write_text(text)
    assert outcome(path) == reference


@SETTINGS
@given(text=shuffled(cfg_path("determinism_problems.toml").read_text()))
def test_shuffled_broken_config_reports_the_same_problems(tmp_path_factory, text: str) -> None:
    reference = outcome(cfg_path("determinism_problems.toml"))
    codes = {code for code, _, _ in reference[0]}
    assert {"reuse-conflict", "type-mismatch", "unknown-param", "undefined-variable"} <= codes
    path = tmp_path_factory.mktemp("shuffled") / "c.toml"
    path.write_text(text)
    assert outcome(path) == reference


def _with_base_from(text: str, folder: Path) -> str:
    """``text`` naming its base from ``folder`` (relative: an absolute base is refused)."""
    base = os.path.relpath(cfg_path("compose/expr_base.toml"), folder)
    return text.replace('["expr_base.toml"]', f"[{base!r}]".replace("'", '"'))


@SETTINGS
@given(text=shuffled(cfg_path("compose/determinism_compose.toml").read_text()))
def test_shuffled_delete_and_expressions_build_the_same(tmp_path_factory, text: str) -> None:
    reference = outcome(cfg_path("compose/determinism_compose.toml"))
    assert reference[0] == []  # type: ignore[index]
    path = tmp_path_factory.mktemp("shuffled") / "c.toml"
    path.write_text(_with_base_from(text, path.parent))
    assert outcome(path) == reference


@SETTINGS
@given(text=shuffled(cfg_path("compose/determinism_compose_problems.toml").read_text()))
def test_shuffled_delete_and_expressions_report_the_same(tmp_path_factory, text: str) -> None:
    reference = outcome(cfg_path("compose/determinism_compose_problems.toml"))
    codes = {code for code, _, _ in reference[0]}  # type: ignore[index]
    assert {"bad-delete", "variable-cycle", "type-mismatch", "undefined-variable"} <= codes
    path = tmp_path_factory.mktemp("shuffled") / "c.toml"
    path.write_text(_with_base_from(text, path.parent))
    assert outcome(path) == reference
