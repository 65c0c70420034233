"""The ``excore`` command, in-process (``main([...])``) and once as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import tomllib
from engine_paths import CONFIGS, cfg_path

from excore.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_json_lists_every_problem_with_positions(capsys) -> None:
    path = cfg_path("errors/name_conflict.toml")
    code, out, _ = run(capsys, "check", str(path), "--format", "json")
    assert code == 1
    records = json.loads(out)
    assert [(r["code"], r["line"], r["column"]) for r in records] == [
        ("name-conflict", 2, 2),
        ("reuse-conflict", 3, 16),
    ]
    first = records[0]
    assert set(first) >= {
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "severity",
        "code",
        "message",
    }
    assert (first["end_line"], first["end_column"]) == (2, 11)
    assert first["severity"] == "error" and first["file"].endswith("name_conflict.toml")


def test_check_text_format(capsys) -> None:
    path = cfg_path("errors/unknown_param.toml")
    code, out, err = run(capsys, "check", str(path))
    assert code == 1
    (line,) = out.splitlines()
    assert line.endswith(
        "unknown_param.toml:3:1: error unknown-param EFCN has no parameter 'num_clases' "
        "(did you mean 'num_classes'?)"
    )
    assert "1 error(s)" in err


def test_check_github_annotations(capsys) -> None:
    code, out, _ = run(
        capsys, "check", str(cfg_path("errors/type_mismatch.toml")), "--format", "github"
    )
    assert code == 1
    assert out.startswith("::error file=")
    assert ",line=3,col=15,endLine=3,endColumn=22,title=excore type-mismatch::" in out


def test_check_clean_config_exits_zero(capsys) -> None:
    code, out, _ = run(capsys, "check", str(cfg_path("determinism.toml")), "--format", "json")
    assert code == 0 and json.loads(out) == []


def test_check_hints_and_warnings_do_not_fail(capsys) -> None:
    code, out, _ = run(capsys, "check", str(cfg_path("bare_keys.toml")))
    assert code == 0
    assert [line.split(": ")[1].split()[:2] for line in out.splitlines()] == [
        ["hint", "unquoted-prefix"],
        ["hint", "unquoted-prefix"],
    ]
    code, out, _ = run(capsys, "check", str(cfg_path("bare_keys.toml")), "--no-hints")
    assert code == 0 and out == ""


def test_build_prints_the_objects(capsys) -> None:
    code, out, _ = run(capsys, "build", str(cfg_path("determinism.toml")))
    assert code == 0
    assert "Built modules" in out and "EFCN" in out and "Dataset" in out
    assert "Run info" in out


def test_override_with_toml_literal(capsys) -> None:
    path = str(cfg_path("determinism.toml"))
    code, out, _ = run(capsys, "build", path, "-o", "Model.EFCN.num_classes=7", "-o", "size=4")
    assert code == 0 and "│ size │ 4 " in out
    code, out, _ = run(
        capsys,
        "print",
        "--toml",
        path,
        "-o",
        "Model.EFCN.num_classes=7",
        "-o",
        'Backbone.EResNet."$block"="EResNet"',
    )
    assert code == 0
    data = tomllib.loads(out)
    assert data["Model"]["EFCN"]["num_classes"] == 7
    assert data["Backbone"]["EResNet"]["$block"] == "EResNet"
    code, _, err = run(capsys, "build", path, "-o", "Model.EFCN.num_classes=seven")
    assert code == 1 and "<overrides>:" in err


def test_build_override_unknown_key_suggests(capsys) -> None:
    code, _, err = run(
        capsys, "build", str(cfg_path("determinism.toml")), "-o", "Model.EFCN.num_clases=7"
    )
    assert code == 1
    assert "has no key 'num_clases' (did you mean 'num_classes'?)" in err
    code, _, err = run(capsys, "build", str(cfg_path("determinism.toml")), "-o", "Modle.EFCN.x=1")
    assert code == 1 and "(did you mean 'Model'?)" in err
    assert "Traceback" not in err


def test_build_reports_validation_errors_without_traceback(capsys) -> None:
    code, out, err = run(capsys, "build", str(cfg_path("errors/unknown_module.toml")))
    assert code == 1
    assert "unknown_module.toml:2:16: error unknown-module" in err
    assert "Traceback" not in err and out == ""


def test_build_not_toml(capsys, tmp_path) -> None:
    (tmp_path / "c.yaml").write_text("a: 1\n")
    code, _, err = run(capsys, "build", str(tmp_path / "c.yaml"))
    assert code == 1 and "only .toml configs are supported" in err


def test_print_shows_values_and_origins(capsys) -> None:
    code, out, _ = run(capsys, "print", str(cfg_path("merge/child.toml")))
    assert code == 0
    assert "Backbone.EResNet" in out and "base_b.toml:4" in out and "base_a.toml:11" in out


def test_print_toml(capsys) -> None:
    code, out, _ = run(capsys, "print", "--toml", str(cfg_path("merge/child.toml")))
    assert code == 0
    assert tomllib.loads(out)["Backbone"]["EResNet"] == {"depth": 20, "width": 1.5}


def test_registry_list(capsys) -> None:
    code, out, _ = run(capsys, "registry", "list", "--workspace", str(CONFIGS.parent))
    assert code == 0 and "EModel" in out and "ELayer" in out
    code, out, _ = run(
        capsys,
        "registry",
        "list",
        "EBackbone",
        "--filter",
        "ERes*",
        "--workspace",
        str(CONFIGS.parent),
    )
    assert code == 0 and "EResNet" in out and "EBlock" not in out
    code, _, err = run(capsys, "registry", "list", "Nope", "--workspace", str(CONFIGS.parent))
    assert code == 1 and "no registry named 'Nope'" in err


def test_quote_keeps_every_other_byte(capsys, tmp_path) -> None:
    source = cfg_path("bare_keys.toml").read_text()
    target = tmp_path / "bare.toml"
    target.write_text(source)
    code, _, err = run(capsys, "quote", "--in-place", str(target))
    assert code == 0 and "quoted 2 keys" in err
    quoted = target.read_text()
    assert quoted == source.replace("@backbone =", '"@backbone" =').replace("!head =", '"!head" =')
    assert "# shared" in quoted and quoted.startswith("# Upstream style")
    tomllib.loads(quoted)
    code, out, _ = run(capsys, "quote", str(target))  # already quoted: unchanged
    assert code == 0 and out == quoted


def test_quote_reports_other_syntax_errors(capsys, tmp_path) -> None:
    (tmp_path / "bad.toml").write_text("!x = [1,\n")
    code, _, err = run(capsys, "quote", "-i", str(tmp_path / "bad.toml"))
    assert code == 1 and "bad.toml:1:" in err
    assert (tmp_path / "bad.toml").read_text() == "!x = [1,\n"


def test_init_writes_a_valid_workspace(capsys, tmp_path) -> None:
    from excore.workspace import load_workspace

    code, _, _ = run(capsys, "init", str(tmp_path), "--name", "demo")
    assert code == 0
    workspace = load_workspace(tmp_path / "excore.toml")
    assert workspace.name == "demo"
    code, _, err = run(capsys, "init", str(tmp_path))
    assert code == 1 and "already exists" in err


def test_version_and_help(capsys) -> None:
    from excore import __version__

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"excore {__version__}"
    code, out, _ = run(capsys)
    assert code == 2 and "check" in out and "build" in out


def test_console_script_in_a_subprocess() -> None:
    path = cfg_path("errors/unknown_module.toml")
    result = subprocess.run(
        [sys.executable, "-m", "excore.cli.main", "check", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    (record,) = json.loads(result.stdout)
    assert (record["code"], record["line"], record["column"]) == ("unknown-module", 2, 16)


def test_check_a_fragment_through_the_configs_that_include_it(capsys) -> None:
    # grand.toml is a fragment: its type mismatch is found through sub/child.toml
    grand = cfg_path("inherit/grand.toml")
    code, out, _ = run(capsys, "check", str(grand), "--format", "json")
    assert code == 1
    assert [(r["code"], r["line"], r["column"]) for r in json.loads(out)] == [
        ("type-mismatch", 6, 9)
    ]
    # the root config reports what it inherits, in the file where it is written
    code, out, _ = run(capsys, "check", str(cfg_path("inherit/sub/child.toml")), "--format", "json")
    (record,) = json.loads(out)
    assert record["file"].endswith("grand.toml") and (record["line"], record["column"]) == (6, 9)


def test_check_refuses_missing_and_non_toml_files(capsys, tmp_path) -> None:
    code, out, err = run(capsys, "check", str(tmp_path / "missing.toml"))
    assert (code, out) == (1, "")
    assert err.strip() == f"{tmp_path / 'missing.toml'}: no such config file"
    other = tmp_path / "config.yaml"
    other.write_text("a: 1\n")
    code, _, err = run(capsys, "check", str(other))
    assert code == 1
    assert err.strip() == f"{other}: only .toml configs are supported, got '.yaml'"
    assert "Traceback" not in err


def test_check_a_folder_checks_every_config_below_it(capsys) -> None:
    folder = cfg_path("rule")
    code, out, err = run(capsys, "check", str(folder), "--format", "json")
    assert code == 1
    records = json.loads(out)
    # the fragment shows nothing; the root that forgot `depth` is told at its __base__ entry
    assert [
        (r["file"].rsplit("/", 2)[-2:], r["code"], r["line"], r["column"]) for r in records
    ] == [(["rule", "wip.toml"], "undefined-variable", 1, 13)]
    assert records[0]["related"] == [
        {
            "file": records[0]["file"].replace("wip.toml", "_base_/model.toml"),
            "line": 5,
            "column": 13,
            "message": "variable 'depth' is not defined at the top level",
        }
    ]
    _, _, err = run(capsys, "check", str(folder))
    assert "in 3 config(s)" in err


def test_check_text_prints_a_note_line_for_the_other_place(capsys) -> None:
    path = cfg_path("errors/reuse_conflict.toml")
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1
    first, note = out.splitlines()
    assert first.endswith(
        "reuse_conflict.toml:5:16: error reuse-conflict 'EResNet' is used both as a new module "
        "('!') and as a shared one ('@')"
    )
    assert note.endswith(
        "reuse_conflict.toml:2:16: note: 'EResNet' is used as a shared module here ('@backbone')"
    )
    code, out, _ = run(capsys, "check", str(path), "--format", "json")
    (record,) = json.loads(out)
    assert [(r["line"], r["column"]) for r in record["related"]] == [(2, 16)]
