"""Upstream ExCore's public names with upstream's meaning, and its exception classes."""

from __future__ import annotations

import argparse
import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from excore import Registry, config
from excore.cli.main import main

from .conftest import FIXTURES, write


def load(path: Path, **kwargs: object) -> config.LazyConfig:
    return config.load(path, workspace=FIXTURES, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- exceptions


def test_upstream_exception_module_and_hierarchy() -> None:
    from excore import _exceptions, errors

    for name in (
        "CoreConfigSupportError",
        "CoreConfigParseError",
        "StrToClassError",
        "EnvVarParseError",
        "ModuleBuildError",
        "HookManagerBuildError",
        "HookBuildError",
        "AnnotationsFutureError",
        "ModuleValidateError",
    ):
        cls = getattr(_exceptions, name)
        assert cls is getattr(errors, name) and issubclass(cls, errors.ExcoreError)


@pytest.mark.parametrize(
    ("text", "upstream"),
    [
        # a misspelt module section: upstream fails when it builds it
        ("[Model.Holdr]\n", "ModuleBuildError"),
        # a missing parameter: the constructor would fail
        ('[Model.Holder]\n"$cls1" = "Plain"\n', "ModuleBuildError"),
        # a reference to nothing registered
        ('[Model.Holder]\n"$cls" = "Nothing"\n', "CoreConfigParseError"),
        # `$` on a field that has no module: upstream's "Cannot find field"
        ('[Model.Holder]\n"$cls" = "$Headdd"\n', "CoreConfigParseError"),
        # `&` naming no top-level value
        ('[Model.Holder]\n"&cls" = "name"\n', "CoreConfigParseError"),
        ('[Backbone.Plain]\n"&x" = "${EXCORE_COMPAT_UNSET}"\n', "EnvVarParseError"),
    ],
)
def test_rejected_configs_raise_upstreams_class(tmp_path: Path, text: str, upstream: str) -> None:
    from excore import _exceptions, errors

    path = write(tmp_path, "c.toml", text)
    with pytest.raises(getattr(_exceptions, upstream)) as info:
        config.build_all(load(path))
    error = info.value
    # still the project's located error; validation problems come all together
    assert isinstance(error, errors.ModuleValidateError) == (upstream != "EnvVarParseError")
    assert error.file == str(path) and error.line >= 1 and error.column >= 1


def test_validation_off_gives_the_constructors_error(tmp_path: Path) -> None:
    from excore import workspace
    from excore._exceptions import ModuleBuildError, ModuleValidateError

    path = write(tmp_path, "c.toml", '[Model.Holder]\n"$cls1" = "Plain"\n')
    workspace.excore_validate = False
    with pytest.raises(ModuleBuildError) as info:
        config.build_all(load(path))
    assert not isinstance(info.value, ModuleValidateError)
    assert "cls" in str(info.value)


def test_workspace_switches_fail_loudly_when_unsupported() -> None:
    from excore import workspace

    with pytest.raises(AttributeError, match=r"primary_fields.*excore\.toml"):
        workspace.primary_fields = ["Model"]  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        workspace.excore_validate = "no"  # type: ignore[assignment]


# ---------------------------------------------------------------------------------- config API


def test_load_with_dump_path_update_dict_and_load_config(tmp_path: Path) -> None:
    base = write(tmp_path, "base.toml", "[Test.1]\nname = 1\ndata = [0, 1]\n")
    child = write(
        tmp_path, "child.toml", '__base__ = ["base.toml"]\nlr = 0.1\n[Test.1]\ndata = [0]\n'
    )
    dump = tmp_path / "out" / "dumped.toml"
    dump.parent.mkdir()
    cfg = load(child, dump_path=dump, update_dict={"Test": {"2": 1}}, parse_config=False)
    assert cfg.Test == {"1": {"name": 1, "data": [0]}, "2": 1}  # plain values read as upstream
    assert cfg.lr == 0.1
    assert config.load_config(dump) == {"lr": 0.1, "Test": {"1": {"name": 1, "data": [0]}, "2": 1}}
    assert config.load_config(child) == {"lr": 0.1, "Test": {"1": {"name": 1, "data": [0]}}}
    assert config.load_config(base)["Test"]["1"]["data"] == [0, 1]
    from excore.errors import CoreConfigSupportError

    with pytest.raises(CoreConfigSupportError, match="base_key"):
        config.load_config(child, base_key="__parent__")


def test_dict_action_parses_cfg_options() -> None:
    from excore import DictAction

    parser = argparse.ArgumentParser()
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    args = parser.parse_args(
        [
            "--cfg-options",
            "Test.1.data=[0,3]",
            "Test.2=1",
            'Test.3="(0)"',
            "Test.4=(1,2)",
            "flags=true",
            "names=a,b",
            "nested=[(1,2),[x,y],3.5]",
            "none=None",
            "TMP.1.2.3=7",
        ]
    )
    assert args.cfg_options == {
        "Test": {"1": {"data": [0, 3]}, "2": 1, "3": (0,), "4": (1, 2)},
        "flags": True,
        "names": ["a", "b"],
        "nested": [(1, 2), ["x", "y"], 3.5],
        "none": None,
        "TMP": {"1": {"2": {"3": 7}}},
    }
    with pytest.raises(SystemExit):
        parser.parse_args(["--cfg-options", "novalue"])


def test_silent_and_the_logger(tmp_path: Path) -> None:
    import excore
    from excore import workspace

    stream = io.StringIO()
    excore.add_logger("compat", stream, level=logging.INFO)
    try:
        excore.logger.info("lr={} wd={wd}", 0.1, wd=0)
        excore.logger.success("done")
        workspace.excore_log_build_message = True
        path = write(tmp_path, "c.toml", '[Model.Holder]\n"$cls" = "Plain"\n')
        config.build_all(load(path))
        config.silent()
        assert workspace.excore_log_build_message is False
        before = stream.getvalue()
        config.build_all(load(path))
        assert stream.getvalue() == before  # silent: nothing more is logged
    finally:
        excore.remove_logger("compat")
    text = stream.getvalue()
    assert "lr=0.1 wd=0" in text and "SUCCESS" in text and "building" in text


# ---------------------------------------------------------------------------------- registry


@pytest.fixture
def fresh() -> object:
    made: list[str] = []

    def make(name: str, **kwargs: object) -> Registry:
        made.append(name)
        return Registry(name, **kwargs)  # type: ignore[arg-type]

    yield make
    Registry.unlock_register()
    for name in made:
        Registry.remove_registry(name)


class Alpha:
    pass


class Beta:
    pass


def test_registry_upstream_signatures(fresh) -> None:  # type: ignore[no-untyped-def]
    reg = fresh("CompatReg", extra_field=["is_backbone"])
    # register_all(modules, extra_info, force) in upstream's positional order
    reg.register_all([Alpha, Beta], [{"is_backbone": True}, {"is_backbone": False}], False)
    assert reg.extra_info["Alpha"] == {"is_backbone": True}
    # Registry.find gives upstream's dotted path and the registry name
    assert Registry.find("Beta") == (f"{__name__}.Beta", "CompatReg")
    assert Registry.find("NotThere") == (None, None)
    # module_table(filter, select_info) in upstream's positional order
    text = str(reg.module_table("A*", ["is_backbone"]))
    assert "Alpha" in text and "Beta" not in text and "True" in text
    # match(base_module, match_func, force) with upstream's keyword name
    import types

    mod = types.ModuleType("compat_matched")
    mod.Alpha, mod.Gamma = Alpha, type("Gamma", (), {"__module__": "compat_matched"})
    other = fresh("CompatReg2")
    assert other.match(mod, match_func=lambda name, m: name.startswith("G")) == ["Gamma"]
    # lock_register: registrations are ignored until unlocked
    Registry.lock_register()
    locked = fresh("CompatReg3")
    locked.register_module(Alpha)
    assert "Alpha" not in locked
    Registry.unlock_register()
    locked.register_module(Alpha)
    assert "Alpha" in locked
    assert (
        "__global" not in Registry.registries() and Registry.make_global() is Registry.make_global()
    )


# ---------------------------------------------------------------------------------- CLI


@pytest.mark.parametrize(
    ("command", "replacement"),
    [
        (["auto-register"], "excore schema dump"),
        (["primary-fields"], "[primary_fields]"),
        (["generate-typehints", "temp_typing", "--config", "x.toml"], "excore schema dump"),
        (["config-extension"], "--editor-config"),
        (["cache-list"], ".excore"),
        (["clear-cache"], "excore schema dump"),
        (["generate-registries"], "excore init"),
        (["registries"], "excore registry list"),
        (["update"], "excore schema dump"),
    ],
)
def test_upstream_cli_commands_print_their_replacement(
    command: list[str], replacement: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(command) == 2
    err = capsys.readouterr().err
    assert replacement in err and "invalid choice" not in err


def test_upstream_cli_command_in_a_real_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "excore.cli.main", "auto-register"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "excore schema dump" in proc.stderr
    assert "Traceback" not in proc.stderr
