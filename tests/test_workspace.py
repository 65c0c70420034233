"""Workspace discovery, validation and registry import."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from excore.errors import ExcoreError, WorkspaceError
from excore.registry import Registry
from excore.workspace import find_workspace, load_workspace, workspace_schema

FIXTURES = Path(__file__).parent / "fixtures" / "workspace"
REPO = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXCORE_WORKSPACE", raising=False)


@pytest.fixture
def clean_imports() -> Iterator[None]:
    """Undo what import_registries does to sys.path, sys.modules and the registries."""
    path, modules = list(sys.path), set(sys.modules)
    registries = set(Registry.registries())
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:  # only our fixtures: torch cannot be re-imported
        file = getattr(sys.modules[name], "__file__", None) or ""
        if file.startswith((str(FIXTURES), str(REPO / "examples"))):
            del sys.modules[name]
    for name in set(Registry.registries()) - registries:
        Registry.remove_registry(name)


def error_of(start: Path) -> WorkspaceError:
    with pytest.raises(WorkspaceError) as info:
        find_workspace(start).import_registries()  # type: ignore[union-attr]
    return info.value


def test_found_walking_up_from_a_config_file() -> None:
    ws = find_workspace(FIXTURES / "ws_toml" / "configs" / "deep" / "model.toml")
    assert ws is not None
    root = FIXTURES / "ws_toml"
    assert ws.file == root / "excore.toml"
    assert ws.root == root
    assert ws.name == "fixture"
    assert ws.src_paths == [root / "src"]
    assert ws.imports == ["wsfix_models"]
    assert ws.primary_fields == {"Model": "WsFixModel", "TrainData": "WsFixData"}
    assert ws.index_dir == root / "build" / "index"
    assert ws.index_file == root / "build" / "index" / "index.json"


def test_pyproject_without_tool_excore_is_skipped() -> None:
    ws = find_workspace(FIXTURES / "ws_toml" / "nested_project" / "cfg" / "a.toml")
    assert ws is not None and ws.file == FIXTURES / "ws_toml" / "excore.toml"


def test_pyproject_tool_excore_table() -> None:
    ws = find_workspace(FIXTURES / "ws_pyproject" / "configs" / "train.toml")
    assert ws is not None
    assert ws.file == FIXTURES / "ws_pyproject" / "pyproject.toml"
    assert ws.name == "from-pyproject"
    assert ws.src_paths == [FIXTURES / "ws_pyproject" / "lib"]
    assert ws.primary_fields == {"Model": "Model", "Optimizer": "Optimizer"}
    assert ws.index_dir == FIXTURES / "ws_pyproject" / ".excore"


def test_defaults(tmp_path: Path) -> None:
    (tmp_path / "excore.toml").write_text("", encoding="utf-8")
    ws = find_workspace(tmp_path)
    assert ws is not None
    assert ws.name == tmp_path.name
    assert ws.src_paths == [tmp_path.resolve()]
    assert ws.imports == [] and ws.primary_fields == {}
    assert ws.index_dir == tmp_path.resolve() / ".excore"


def test_no_workspace_gives_none(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text("[Model.X]\n", encoding="utf-8")
    assert find_workspace(tmp_path / "a.toml") is None


def test_override_argument_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    config = FIXTURES / "ws_toml" / "configs" / "deep" / "model.toml"
    monkeypatch.setenv("EXCORE_WORKSPACE", str(FIXTURES / "ws_toml"))
    ws = find_workspace(config, override=FIXTURES / "ws_pyproject" / "pyproject.toml")
    assert ws is not None and ws.name == "from-pyproject"


def test_env_var_overrides_the_search(monkeypatch: pytest.MonkeyPatch) -> None:
    config = FIXTURES / "ws_toml" / "configs" / "deep" / "model.toml"
    monkeypatch.setenv("EXCORE_WORKSPACE", str(FIXTURES / "ws_pyproject"))  # a folder
    ws = find_workspace(config)
    assert ws is not None and ws.name == "from-pyproject"


def test_bad_override_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EXCORE_WORKSPACE", str(tmp_path / "missing.toml"))
    with pytest.raises(
        WorkspaceError, match=r"\$EXCORE_WORKSPACE: workspace file .* does not exist"
    ):
        find_workspace(FIXTURES / "ws_toml")
    with pytest.raises(WorkspaceError, match=r"no excore\.toml or pyproject\.toml with"):
        find_workspace(None, override=tmp_path)


def test_import_registries_fills_registries(clean_imports: None) -> None:
    ws = find_workspace(FIXTURES / "ws_toml" / "configs")
    assert ws is not None
    modules = ws.import_registries()
    assert [m.__name__ for m in modules] == ["wsfix_models"]
    assert str(FIXTURES / "ws_toml" / "src") in sys.path
    tiny = Registry.get_registry("WsFixModel").get_object("Tiny")
    assert tiny().width == 1


def test_unknown_key() -> None:
    err = error_of(FIXTURES / "bad_unknown_key")
    file = FIXTURES / "bad_unknown_key" / "excore.toml"
    assert (err.file, err.line, err.column, err.key) == (str(file), 3, 1, "improt")
    assert str(err) == (
        f"{file}:3:1: improt: unknown key 'improt'; "
        "expected one of base_roots, fragments, import, index_dir, name, primary_fields, src_paths"
    )
    assert isinstance(err, ExcoreError)


def test_wrong_types_first_problem_by_position() -> None:
    err = error_of(FIXTURES / "bad_type")
    assert (err.line, err.column, err.key) == (2, 1, "src_paths")
    assert err.message == "src_paths: expected an array, got a string (and 1 more problem)"


def test_wrong_type_inside_primary_fields(tmp_path: Path) -> None:
    file = tmp_path / "excore.toml"
    file.write_text('name = "x"\n\n[primary_fields]\nModel = "Model"\n  TrainData = 3\n')
    with pytest.raises(WorkspaceError) as info:
        load_workspace(file)
    err = info.value
    assert (err.line, err.column, err.key) == (5, 3, "primary_fields.TrainData")
    assert err.message == "primary_fields.TrainData: expected a string, got a number"


def test_pyproject_problems_point_into_pyproject() -> None:
    err = error_of(FIXTURES / "bad_pyproject")
    assert err.file == str(FIXTURES / "bad_pyproject" / "pyproject.toml")
    assert (err.line, err.column, err.key) == (6, 1, "index_dir")
    assert err.message == "index_dir: must not be empty (and 1 more problem)"


def test_bad_field_name(tmp_path: Path) -> None:
    file = tmp_path / "excore.toml"
    file.write_text('[primary_fields]\n"Model Field" = "Model"\n')
    with pytest.raises(WorkspaceError) as info:
        load_workspace(file)
    assert (info.value.line, info.value.column) == (2, 1)
    assert "'Model Field' is not a valid field name" in info.value.message


def test_invalid_toml() -> None:
    err = error_of(FIXTURES / "bad_toml")
    assert (err.line, err.column) == (2, 13)
    assert err.message == "invalid TOML: unterminated array: expected ']'"


def test_missing_import_names_file_and_entry(clean_imports: None) -> None:
    err = error_of(FIXTURES / "bad_import")
    assert err.file == str(FIXTURES / "bad_import" / "excore.toml")
    assert (err.line, err.column, err.key) == (4, 3, "import.1")
    assert "cannot import 'wsfix_no_such_module' listed in `import`" in err.message
    assert isinstance(err.__cause__, ModuleNotFoundError)


def test_module_raising_on_import(clean_imports: None) -> None:
    err = error_of(FIXTURES / "bad_module_raises")
    assert (err.line, err.column, err.key) == (2, 11, "import.0")
    module_file = FIXTURES / "bad_module_raises" / "src" / "wsfix_broken" / "__init__.py"
    assert err.message == (
        "importing 'wsfix_broken' (listed in `import`) failed: "
        f"RuntimeError: the GPU driver is missing (at {module_file}:3)"
    )


def test_missing_src_path(clean_imports: None) -> None:
    err = error_of(FIXTURES / "bad_src_path")
    assert (err.line, err.column, err.key) == (1, 19, "src_paths.1")
    assert "does_not_exist' does not exist" in err.message


def test_published_schema_is_the_packaged_one() -> None:
    published = json.loads((REPO / "schemas" / "workspace.schema.json").read_text("utf-8"))
    assert published == workspace_schema()
    assert published["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_example_workspace_is_valid() -> None:
    ws = find_workspace(REPO / "examples" / "configs" / "fcn_resnet.toml")
    assert ws is not None and ws.name == "seg"
    assert ws.primary_fields["TrainData"] == "Data"


@pytest.mark.torch
def test_example_workspace_imports_and_runs(clean_imports: None) -> None:
    torch = pytest.importorskip("torch")
    ws = find_workspace(REPO / "examples" / "configs" / "_base_" / "model.toml")
    assert ws is not None
    ws.import_registries()
    get = Registry.get_registry
    assert {"FCN"} <= set(get("Model")) and get("Model").extra_info["FCN"] == {
        "task": "segmentation"
    }
    assert {"ResNet", "BasicBlock", "Bottleneck"} <= set(get("Backbone"))
    assert {"SGD", "AdamW"} <= set(get("Optimizer")) and "Optimizer" not in get("Optimizer")
    assert "CosineAnnealingLR" in get("LRScheduler") and "LRScheduler" not in get("LRScheduler")
    assert "CrossEntropyLoss" in get("Loss")
    assert get("Module").get_object("torch.nn.ReLU") is torch.nn.ReLU
    for field, registry in ws.primary_fields.items():
        assert Registry.get_registry(registry) is not None, field

    backbone = get("Backbone")
    resnet = backbone.get_object("ResNet")(
        block=backbone.get_object("Bottleneck"), act=torch.nn.ReLU()
    )
    head = get("Head").get_object("FCNHead")(in_channels=resnet.out_channels, num_classes=3)
    model = get("Model").get_object("FCN")(backbone=resnet, head=head)
    transforms = get("Transform")
    data = get("Data").get_object("SyntheticSegmentation")(
        data_root="/nonexistent",
        num_samples=2,
        transforms=[
            transforms.get_object("Resize")(size=32),
            transforms.get_object("Pad")(size=32),
            transforms.get_object("Normalize")(),
        ],
    )
    image, mask = data[0]
    assert image.shape == (3, 32, 32) and mask.shape == (32, 32)
    assert set(mask.unique().tolist()) <= {0, 1, 2, 255}
    assert model(image[None]).shape == (1, 3, 32, 32)

    hook = get("ConfigHook").get_object("BnWeightDecayHook")(lambda: model, True)
    groups = hook()
    assert [g["weight_decay"] for g in groups] == [0.0, 1e-4]
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))
    norm_params = {
        id(p)
        for m in model.modules()
        if isinstance(m, torch.nn.BatchNorm2d)
        for p in m.parameters()
    }
    assert {id(p) for p in groups[0]["params"]} == norm_params
    disabled = get("ConfigHook").get_object("BnWeightDecayHook")(lambda: model, False)
    assert disabled() is model


@pytest.mark.torch
def test_example_parameters_are_annotated_and_documented(clean_imports: None) -> None:
    pytest.importorskip("torch")
    import inspect

    from docstring_parser import parse

    ws = find_workspace(REPO / "examples")
    assert ws is not None
    ws.import_registries()
    checked = 0
    for name in ["Model", "Backbone", "Head", "Data", "Transform", "ConfigHook"]:
        registry = Registry.get_registry(name)
        for module_name in registry:
            obj = registry.get_object(module_name)
            params = [p for p in inspect.signature(obj).parameters.values()]
            documented = {p.arg_name for p in parse(inspect.getdoc(obj) or "").params}
            for param in params:
                assert param.annotation is not inspect.Parameter.empty, (module_name, param.name)
                assert param.name in documented, (module_name, param.name)
            checked += 1
    assert checked >= 11


@pytest.mark.parametrize(
    "table",
    [
        {},
        {"name": "seg", "src_paths": ["src"], "import": ["a.b", "c"], "index_dir": "x"},
        {"primary_fields": {"Model": "Model", "TrainData": "Data"}},
        {"name": ""},
        {"name": 3},
        {"src_paths": "src"},
        {"src_paths": [""]},
        {"src_paths": ["a", 1]},
        {"import": ["seg-models"]},
        {"import": ["seg..models"]},
        {"import": ["seg.models."]},
        {"import": "seg"},
        {"primary_fields": []},
        {"primary_fields": {"Model Field": "Model"}},
        {"primary_fields": {"Model": "Mod el"}},
        {"primary_fields": {"Model": 1}},
        {"primary_fields": {"1Model": "Model"}},
        {"index_dir": ""},
        {"improt": []},
        {"tool": {"excore": {}}},
    ],
)
def test_fast_check_agrees_with_jsonschema(table: dict) -> None:
    import jsonschema

    from excore.workspace import _conforms

    valid = not list(jsonschema.Draft7Validator(workspace_schema()).iter_errors(table))
    assert _conforms(table) == valid


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        (
            "bad_unknown_key",
            ":3:1: improt: unknown key 'improt'; "
            "expected one of base_roots, fragments, import, index_dir, name, primary_fields, src_paths",
        ),
        (
            "bad_import",
            ":4:3: cannot import 'wsfix_no_such_module' listed in `import`: "
            "no module named 'wsfix_no_such_module' (is it below one of src_paths?)",
        ),
    ],
)
def test_cli_reports_a_bad_workspace_without_traceback(folder: str, expected: str) -> None:
    import os
    import subprocess

    cwd = FIXTURES / folder
    result = subprocess.run(
        [sys.executable, "-m", "excore.cli.main", "registry", "list"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "EXCORE_WORKSPACE"},
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"{cwd / 'excore.toml'}{expected}"
    assert "Traceback" not in result.stderr + result.stdout
