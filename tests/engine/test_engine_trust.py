"""What `excore check` says is what `excore build` does: names below a registered Python
module, a forgotten `$`, values read from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from engine_paths import REPO, cfg_path

from excore import config, errors
from excore.cli.main import main
from excore.config.build import Builder, Where
from excore.config.check import check_config
from excore.config.loader import load_config_files
from excore.config.model import build_model
from excore.syntax.text import LineIndex


def check_json(capsys: pytest.CaptureFixture[str], name: str) -> list[dict[str, object]]:
    main(["check", str(cfg_path(f"trust/{name}")), "--format", "json"])
    out, _ = capsys.readouterr()
    records: list[dict[str, object]] = json.loads(out)
    return records


def test_an_unknown_name_below_a_walked_python_module(capsys) -> None:
    (record,) = check_json(capsys, "python_member.toml")
    assert (record["code"], record["line"], record["column"]) == ("unknown-module", 4, 22)
    assert record["message"] == (
        "'Fractionn' is not a member of the Python module 'fractions' (did you mean 'Fraction'?)"
    )
    with pytest.raises(errors.ModuleValidateError) as info:
        config.build_all(config.load(cfg_path("trust/python_member.toml")))
    assert (info.value.line, info.value.column) == (4, 22)


def test_the_quick_fix_data_of_an_unknown_python_member() -> None:
    from excore.config import live_source, resolve_workspace

    path = cfg_path("trust/python_member.toml")
    source = live_source(resolve_workspace(path, None))
    (problem,) = check_config(path, source)
    assert problem.data["name"] == "Fractionn"
    assert problem.data["suggestions"] == ["Fraction"]


def test_the_builder_words_a_missing_member_without_broken_quotes() -> None:
    from excore.config import live_source, resolve_workspace

    path = cfg_path("trust/python_member.toml")
    source = live_source(resolve_workspace(path, None))
    builder = Builder(build_model(load_config_files(path), source), source)
    with pytest.raises(errors.StrToClassError) as info:
        builder.lookup_object("fractions.Fractionn", "ELib", Where(str(path), 0, 0))
    message = info.value.message
    assert message == (
        "cannot import 'fractions.Fractionn': 'fractions.Fractionn' is not found in Registry "
        "'ELib': 'fractions.Fractionn' does not exist below the registered module 'fractions'"
    )


def test_a_forgotten_dollar_is_a_type_mismatch_with_a_fix(capsys) -> None:
    records = check_json(capsys, "lost_prefix.toml")
    assert [(r["code"], r["line"], r["column"]) for r in records] == [
        ("type-mismatch", 5, 9),
        ("type-mismatch", 6, 8),
        ("type-mismatch", 7, 8),
    ]
    assert records[0]["message"] == (
        "'block' expects a class or a callable (type[EBlock]), got the string 'EBlock'; "
        "to pass 'EBlock' itself, write \"$block\""
    )
    assert str(records[2]["message"]).endswith("to build 'EBlock' here, write \"!stem\"")
    from excore.config import live_source, resolve_workspace

    path = cfg_path("trust/lost_prefix.toml")
    problems = check_config(path, live_source(resolve_workspace(path, None)))
    text = path.read_text()
    fix = problems[0].data["fix"]
    assert isinstance(fix, dict)
    fixed = text[: fix["start"]] + fix["text"] + text[fix["end"] :]
    assert '"$block" = "EBlock"' in fixed.splitlines()


def test_environment_values_are_converted_by_the_annotation(monkeypatch) -> None:
    monkeypatch.setenv("TRUST_CHANNELS", "16")
    monkeypatch.setenv("TRUST_PRETRAINED", "true")
    monkeypatch.delenv("TRUST_SCALE", raising=False)
    path = cfg_path("trust/env_values.toml")
    modules, _ = config.build_all(config.load(path))
    kwargs = modules.Model.kwargs["backbone"].kwargs
    assert (kwargs["channels"], kwargs["scale"], kwargs["pretrained"]) == (16, 0.5, True)
    monkeypatch.setenv("TRUST_SCALE", "2")
    modules, _ = config.build_all(config.load(path))
    assert modules.Model.kwargs["backbone"].kwargs["scale"] == 2


def test_an_environment_value_of_the_wrong_type_is_located(monkeypatch, capsys) -> None:
    monkeypatch.setenv("TRUST_CHANNELS", "sixteen")
    monkeypatch.setenv("TRUST_PRETRAINED", "yes")
    records = check_json(capsys, "env_values.toml")
    assert [(r["code"], r["line"], r["column"]) for r in records] == [
        ("type-mismatch", 1, 12),
        ("type-mismatch", 9, 17),
    ]
    assert records[0]["message"] == (
        "'channels' expects int: 'sixteen' is not a TOML literal of int "
        "(from the environment: ${TRUST_CHANNELS})"
    )
    assert records[1]["message"] == (
        "'pretrained' expects bool: 'yes' is not a TOML literal of bool "
        "(from the environment: ${TRUST_PRETRAINED})"
    )
    path = cfg_path("trust/env_values.toml")
    monkeypatch.setenv("EXCORE_VALIDATE", "0")
    with pytest.raises(errors.ExcoreError) as info:
        config.build_all(config.load(path))
    assert (info.value.line, info.value.column) == (1, 12)
    assert "'sixteen' is not a TOML literal of int" in str(info.value)


def test_an_unset_variable_without_default_is_reported_once(monkeypatch, capsys) -> None:
    monkeypatch.delenv("TRUST_CHANNELS", raising=False)
    monkeypatch.setenv("TRUST_PRETRAINED", "false")
    records = check_json(capsys, "env_values.toml")
    assert [(r["code"], r["line"], r["column"]) for r in records] == [("undefined-env", 1, 13)]
    text = cfg_path("trust/env_values.toml").read_text()
    assert LineIndex(text).offset(0, 12) == text.index("${TRUST_CHANNELS}")


def test_a_wrong_base_path_offers_the_close_file_and_hides_its_follow_ons(capsys) -> None:
    records = check_json(capsys, "wrong_base.toml")
    # `depth` (used by _base_/net.toml) is defined in the base that was not found: no
    # undefined-variable is reported as if it were a mistake of its own
    assert [(r["code"], r["line"], r["column"]) for r in records] == [("base-not-found", 1, 33)]
    message = str(records[0]["message"])
    assert message.startswith(
        "base file not found: _base_/modle.toml (did you mean '_base_/model.toml'?)"
    )
    assert message.endswith("; 1 problem that it may cause not shown")
    path = cfg_path("trust/wrong_base.toml")
    text = path.read_text()
    from excore.config import live_source, resolve_workspace

    (problem,) = check_config(path, live_source(resolve_workspace(path, None)))
    fix = problem.data["fix"]
    assert isinstance(fix, dict)
    fixed = text[: fix["start"]] + fix["text"] + text[fix["end"] :]
    assert fixed.splitlines()[0] == '__base__ = ["_base_/net.toml", "_base_/model.toml"]'


def _cli(cwd: object, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("EXCORE_WORKSPACE", None)
    return subprocess.run(
        [sys.executable, "-m", "excore.cli.main", *argv],
        cwd=str(cwd),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_dumped_config_loads_back_from_anywhere(tmp_path) -> None:
    cfg = config.load(cfg_path("all_forms.toml"))
    dumped = tmp_path / "out" / "resolved.toml"
    dumped.parent.mkdir()
    cfg.dump(dumped)
    assert (
        f"# excore workspace: {cfg_path('all_forms.toml').parents[1] / 'excore.toml'}"
        in (dumped.read_text().splitlines()[:3])
    )
    # a fresh process, in a folder that belongs to no workspace
    result = _cli(tmp_path, "check", str(dumped))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s)" in result.stderr
    result = _cli(tmp_path, "build", str(dumped))
    assert result.returncode == 0, result.stdout + result.stderr


def test_outside_any_workspace_the_current_folder_s_workspace_is_used(tmp_path) -> None:
    copy = tmp_path / "copy.toml"
    copy.write_text(cfg_path("all_forms.toml").read_text())
    result = _cli(cfg_path("all_forms.toml").parents[1], "check", str(copy))
    assert result.returncode == 0, result.stdout + result.stderr
    # and with none there either: one line naming where it looked
    result = _cli(tmp_path, "check", str(copy))
    assert result.returncode != 0
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"excore: error: no ExCore workspace for {copy}: ")
    assert f"in {tmp_path} or above, nor in the current folder {tmp_path} or above" in line
