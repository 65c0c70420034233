"""Every error code, raised or reported with its exact file, line and column."""

from __future__ import annotations

import pytest
from engine_paths import CONFIGS, cfg_path

from excore import config, errors
from excore.errors import error_from_problem, format_problem, problem_position
from excore.problems import make_problem

# config -> (code, line, column) of the first error validation reports before building
VALIDATION = {
    "unknown_module.toml": ("unknown-module", 2, 16),
    "unknown_field.toml": ("unknown-field", 4, 2),
    "unknown_param.toml": ("unknown-param", 3, 1),
    "missing_param.toml": ("missing-param", 1, 8),
    "type_mismatch.toml": ("type-mismatch", 3, 15),
    "undefined_variable.toml": ("undefined-variable", 3, 19),
    "reuse_conflict.toml": ("reuse-conflict", 5, 16),
    "ambiguous_name.toml": ("ambiguous-name", 2, 17),
    "name_conflict.toml": ("name-conflict", 2, 2),
    "bad_reference.toml": ("bad-reference", 3, 21),
    "unknown_hook.toml": ("unknown-hook", 5, 43),
    "bad_prefix_value.toml": ("bad-prefix-value", 2, 15),
}

# config -> (exception class, code, file written in, line, column) raised by config.load
LOAD = {
    "toml_syntax.toml": (errors.CoreConfigParseError, "toml-syntax", "toml_syntax.toml", 3, 15),
    "base_not_found.toml": (
        errors.CoreConfigParseError,
        "base-not-found",
        "base_not_found.toml",
        1,
        14,
    ),
    # the cycle closes in the base's __base__ entry
    "base_cycle.toml": (errors.CoreConfigParseError, "base-cycle", "base_cycle.toml", 1, 13),
}


@pytest.mark.parametrize("name", sorted(VALIDATION))
def test_validation_error_position(name: str) -> None:
    code, line, column = VALIDATION[name]
    path = cfg_path(f"errors/{name}")
    with pytest.raises(errors.ModuleValidateError) as info:
        config.build_all(config.load(path))
    error = info.value
    assert error.problems[0].code == code
    assert (error.file, error.line, error.column, error.code) == (str(path), line, column, code)
    assert f"{path}:{line}:{column}: error {code} " in str(error)


@pytest.mark.parametrize("name", sorted(LOAD))
def test_load_error_position(name: str) -> None:
    cls, code, written_in, line, column = LOAD[name]
    with pytest.raises(cls) as info:
        config.load(cfg_path(f"errors/{name}"))
    error = info.value
    path = cfg_path(f"errors/{written_in}")
    assert (error.file, error.line, error.column, error.code) == (str(path), line, column, code)
    assert str(error).startswith(f"{path}:{line}:{column}: {code}: ")


def test_all_problems_are_collected() -> None:
    with pytest.raises(errors.ModuleValidateError) as info:
        config.build_all(config.load(cfg_path("errors/name_conflict.toml")))
    codes = [p.code for p in info.value.problems]
    assert codes == ["name-conflict", "reuse-conflict"]
    assert len(str(info.value).splitlines()) == 3  # the summary, then one line per problem


def test_undefined_env_is_a_warning_in_check_and_an_error_when_built() -> None:
    lazy = config.load(cfg_path("errors/undefined_env.toml"))
    (problem,) = lazy.check()
    assert (problem.code, problem.severity.value) == ("undefined-env", "warning")
    with pytest.raises(errors.EnvVarParseError) as info:
        config.build_all(lazy)
    assert (info.value.line, info.value.column) == (5, 12)


def test_unquoted_prefix_is_a_hint_with_its_position() -> None:
    lazy = config.load(cfg_path("bare_keys.toml"))
    text = cfg_path("bare_keys.toml").read_text()
    positions = [problem_position(p, text)[:2] for p in lazy.check()]
    assert positions == [(3, 1), (4, 1)]


def test_value_inherited_through_two_bases_points_at_the_grandparent() -> None:
    child = cfg_path("inherit/sub/child.toml")
    with pytest.raises(errors.ModuleValidateError) as info:
        config.build_all(config.load(child))
    error = info.value
    assert error.file == str(CONFIGS / "inherit" / "grand.toml")
    assert (error.line, error.column, error.code) == (6, 9, "type-mismatch")
    assert error.key == "Backbone.EResNet.depth"


def test_error_from_problem_maps_codes_to_upstream_classes() -> None:
    text = "a = 1\n[Model.EFCN]\nx = 2\n"
    cases = {
        "toml-syntax": errors.CoreConfigParseError,
        "undefined-env": errors.EnvVarParseError,
        "unknown-module": errors.StrToClassError,
        "unknown-hook": errors.HookBuildError,
        "unknown-param": errors.ModuleValidateError,
    }
    for code, cls in cases.items():
        start = text.index("x = 2")
        problem = make_problem(code, "msg", "c.toml", start, start + 1, "Model.EFCN.x")
        error = error_from_problem(problem, text)
        assert isinstance(error, cls) and isinstance(error, errors.ExcoreError)
        assert (error.file, error.line, error.column, error.key) == ("c.toml", 3, 1, "Model.EFCN.x")
    assert format_problem(problem, text) == "c.toml:3:1: error unknown-param msg"


def test_errors_are_exceptions_with_location() -> None:
    error = errors.ModuleBuildError("failed", file="a.toml", line=2, column=5, key="Model.X")
    assert isinstance(error, Exception)
    assert str(error) == "a.toml:2:5: failed"
    assert str(errors.ExcoreError("plain")) == "plain"
    for name in (
        "CoreConfigParseError",
        "CoreConfigSupportError",
        "ModuleValidateError",
        "ModuleBuildError",
        "EnvVarParseError",
        "StrToClassError",
        "HookBuildError",
        "WorkspaceError",
    ):
        assert issubclass(getattr(errors, name), errors.ExcoreError)


def test_errors_survive_pickling() -> None:
    import pickle

    problem = make_problem("unknown-param", "no such parameter", "c.toml", 6, 7, "Model.X.y")
    error = errors.ModuleValidateError([problem], "[x]\ny = 1\n")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) is errors.ValidateBuildError
    assert isinstance(again, errors.ModuleValidateError) and isinstance(
        again, errors.ModuleBuildError
    )
    assert (again.file, again.line, again.column, again.key) == ("c.toml", 2, 3, "Model.X.y")
    assert again.problems == [problem] and str(again) == str(error)
