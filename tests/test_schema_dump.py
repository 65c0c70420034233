"""``excore schema dump`` on the example workspace: the index, its JSON Schema, determinism and
the exported ``config.schema.json`` checked by taplo and tombi (strict) on every valid config.

The example workspace imports torch, so it is dumped once per session into a temporary copy.
Set ``EXCORE_UPDATE_SNAPSHOTS=1`` to rewrite ``tests/snapshots/example_index.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SNAPSHOT = Path(__file__).parent / "snapshots" / "example_index.json"
BIN = Path(sys.executable).parent
CLI = "import sys; from excore.cli.main import main; sys.exit(main())"

pytestmark = pytest.mark.torch


def excore_command(*args: str) -> list[str]:
    return [sys.executable, "-c", CLI, *args]


def excore_env(seed: str = "0") -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    env.pop("EXCORE_WORKSPACE", None)
    return env


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (pip install -e '.[dev]')")
    return found


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of examples/ with `excore schema dump --editor-config` run in it, and (in
    parallel, with another hash seed) a second dump into ``<copy>/../second`` for determinism."""
    pytest.importorskip("torch")
    base = tmp_path_factory.mktemp("example")
    root = base / "examples"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".excore", "__pycache__"))
    for name in (".taplo.toml", "tombi.toml"):
        (root / name).unlink(missing_ok=True)
    runs = [
        subprocess.Popen(
            excore_command("schema", "dump", "--workspace", str(root), *extra),
            cwd=root,
            env=excore_env(seed),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for extra, seed in (
            (["--editor-config"], "0"),
            (["--out", str(base / "second")], "12345"),
        )
    ]
    outputs = [run.communicate() for run in runs]
    for run, (stdout, stderr) in zip(runs, outputs):
        assert run.returncode == 0, stderr
        assert stdout.startswith("wrote "), stdout
    return root


def valid_configs(root: Path) -> list[Path]:
    configs = root / "configs"
    return sorted([*configs.glob("*.toml"), *configs.glob("_base_/*.toml")])


def load(root: Path, name: str) -> Any:
    return json.loads((root / ".excore" / name).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------ index


def snapshot_view(index: dict[str, Any]) -> dict[str, Any]:
    """The workspace's own entries in full; torch's entries by kind and target only (their
    paths depend on where torch is installed)."""
    registries = {}
    for registry_name, registry in sorted(index["registries"].items()):
        modules = {
            name: entry
            if entry["target"].startswith("seg.")
            else {"kind": entry["kind"], "target": entry["target"]}
            for name, entry in sorted(registry["modules"].items())
        }
        registries[registry_name] = {"extra_field": registry["extra_field"], "modules": modules}
    below = index["python_modules"]
    return {
        "version": index["version"],
        "workspace": index["workspace"],
        "primary_fields": index["primary_fields"],
        "problems": index["problems"],
        "sources": sorted(index["sources"]),
        "registries": registries,
        "python_modules (torch.nn.ReLU)": {
            k: v for k, v in below["torch.nn.ReLU"].items() if k != "file"
        },
        "python_modules (count)": len(below),
    }


def test_index_matches_snapshot(example: Path) -> None:
    view = snapshot_view(load(example, "index.json"))
    text = json.dumps(view, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("EXCORE_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert SNAPSHOT.is_file(), "no snapshot: run with EXCORE_UPDATE_SNAPSHOTS=1"
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert view == expected, "index changed: review, then rerun with EXCORE_UPDATE_SNAPSHOTS=1"


def test_index_validates_against_its_schema(example: Path) -> None:
    import jsonschema

    schema = json.loads((REPO / "schemas" / "index.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(load(example, "index.json")))
    assert [e.message for e in errors[:3]] == []


def test_index_content_an_editor_needs(example: Path) -> None:
    from excore.schema.index import load_index

    index = load_index(example / ".excore" / "index.json")
    assert index.root == str(example)
    fcn = index.lookup("FCN", "Model")
    assert fcn is not None and fcn.kind == "class" and fcn.file == "src/seg/models.py"
    assert fcn.extra_info == {"task": "segmentation"}
    assert "torch.nn.modules.module:Module" in fcn.bases
    parameters = fcn.member("parameters")  # `$Model.parameters()` is checkable offline
    assert parameters is not None and parameters.kind == "method"
    hook = index.lookup("BnWeightDecayHook")
    assert hook is not None and hook.kind == "hook"
    assert [p.name for p in hook.params][:1] == ["enabled"]
    torch_module = index.lookup("torch", "Module")
    assert torch_module is not None and torch_module.kind == "module"
    relu = index.lookup("torch.nn.ReLU")
    assert relu is not None and relu.kind == "class" and relu.param("inplace") is not None
    assert index.lookup("torch.nn.NoSuchLayer") is None
    # no absolute path inside the workspace
    text = (example / ".excore" / "index.json").read_text(encoding="utf-8")
    assert str(example) not in text


def test_dump_is_deterministic(example: Path) -> None:
    second = example.parent / "second"  # dumped by another process with another hash seed
    for name in ("index.json", "config.schema.json"):
        first = (example / ".excore" / name).read_bytes()
        assert (second / name).read_bytes() == first, f"{name} differs between two dumps"


# ------------------------------------------------------------------------------ JSON Schema


def test_config_schema_is_valid_draft7(example: Path) -> None:
    import jsonschema

    schema = load(example, "config.schema.json")
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    sgd = schema["definitions"]["Optimizer.SGD"]
    assert sgd["additionalProperties"] is False
    assert sgd["properties"]["momentum"]["type"] == "number"
    assert sgd["properties"]["lr"]["default"] == 0.001
    assert "^[!@\\$]params$" in sgd["patternProperties"]
    resnet = schema["definitions"]["Backbone.ResNet"]
    assert resnet["properties"]["in_channels"]["type"] == "integer"
    assert "Channels of the input images." in resnet["properties"]["in_channels"]["description"]
    assert schema["properties"]["__base__"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": schema["properties"]["__base__"]["description"],
    }


def test_config_schema_describes_the_sweep_table(example: Path) -> None:
    import jsonschema

    schema = load(example, "config.schema.json")
    validator = jsonschema.Draft7Validator(schema)
    good = {
        "__sweep__": {
            "name": "s",
            "sampler": "grid",
            "axes": {"Optimizer.SGD.lr": [0.1, 0.01], "&size": {"int": [8, 64], "step": 8}},
            "constraints": {"expr": "size <= 64"},
        }
    }
    assert [e.message for e in validator.iter_errors(good)] == []
    bad = {"__sweep__": {"sampler": "grd", "axes": {"x": {"float": [1, 2], "stp": 1}}}}
    messages = sorted(e.message for e in validator.iter_errors(bad))
    assert any("'grd' is not one of" in m for m in messages)
    assert any("is not valid under any of the given schemas" in m for m in messages)


def test_taplo_accepts_every_valid_example_config(example: Path) -> None:
    schema = (example / ".excore" / "config.schema.json").as_uri()
    files = [str(p) for p in valid_configs(example)]
    assert len(files) >= 4
    done = subprocess.run(
        [tool("taplo"), "lint", "--schema", schema, *files],
        cwd=example,
        capture_output=True,
        text=True,
    )
    diagnostics = [line for line in done.stderr.splitlines() if "error" in line.lower()]
    assert done.returncode == 0 and diagnostics == [], done.stderr


def write_wrong_configs(root: Path) -> tuple[Path, Path]:
    folder = root / "wrong"
    folder.mkdir(exist_ok=True)
    unknown = folder / "unknown_param.toml"
    unknown.write_text('[Backbone.ResNet]\nlayer = [2, 2]\n"$block" = "BasicBlock"\n')
    wrong_type = folder / "wrong_type.toml"
    wrong_type.write_text('__base__ = ["x.toml"]\n[Optimizer.SGD]\nlr = "fast"\n')
    return unknown, wrong_type


def test_taplo_flags_unknown_parameter_and_wrong_type(example: Path) -> None:
    schema = (example / ".excore" / "config.schema.json").as_uri()
    for path, expected in zip(write_wrong_configs(example), ("'layer'", '"fast"')):
        done = subprocess.run(
            [tool("taplo"), "lint", "--schema", schema, str(path)],
            cwd=example,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 1 and expected in done.stderr, done.stderr


def _strict_tombi_config(root: Path) -> None:
    """The tombi.toml written by --editor-config, with strict mode spelled out (as a user may)."""
    import tomlkit

    path = root / "tombi.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    (entry,) = [e for e in document["schemas"] if e["path"] == ".excore/config.schema.json"]
    entry["strict"] = True
    entry["include"] = ["configs/**/*.toml", "wrong/*.toml"]
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


def tombi(root: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("tombi"), "lint", "--offline", "--error-on-warnings", *map(str, files)],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_tombi_strict_accepts_every_valid_example_config(example: Path) -> None:
    _strict_tombi_config(example)
    done = tombi(example, *valid_configs(example))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stderr and "Error" not in done.stderr


def test_tombi_flags_unknown_parameter_and_wrong_type(example: Path) -> None:
    _strict_tombi_config(example)
    unknown, wrong_type = write_wrong_configs(example)
    done = tombi(example, unknown)
    assert done.returncode == 1 and "unknown_param.toml:2:1" in done.stderr, done.stderr
    done = tombi(example, wrong_type)
    assert done.returncode == 1 and "wrong_type.toml:3:6" in done.stderr, done.stderr


def test_editor_configs_point_at_the_schema(example: Path) -> None:
    import tomlkit

    taplo = tomlkit.parse((example / ".taplo.toml").read_text(encoding="utf-8")).unwrap()
    (rule,) = [r for r in taplo["rule"] if r["name"] == "excore"]
    assert rule["schema"]["path"] == ".excore/config.schema.json"
    assert rule["include"] == ["configs/**/*.toml"]


def test_taplo_finds_the_schema_through_the_generated_taplo_toml(example: Path) -> None:
    unknown, _ = write_wrong_configs(example)
    target = example / "configs" / "unknown_param_copy.toml"
    shutil.copy(unknown, target)
    try:
        done = subprocess.run(
            [tool("taplo"), "lint", str(target.relative_to(example))],
            cwd=example,
            capture_output=True,
            text=True,
        )
    finally:
        target.unlink()
    assert done.returncode == 1 and "'layer' was unexpected" in done.stderr, done.stderr


def test_required_parameters_any_form_and_only_without_base(example: Path) -> None:
    folder = example / "wrong"
    folder.mkdir(exist_ok=True)
    missing = folder / "missing.toml"
    missing.write_text("[Head.FCNHead]\nchannels = 16\n")
    prefixed = folder / "prefixed.toml"  # both required parameters given in prefixed forms
    prefixed.write_text('[Head.FCNHead]\n"&in_channels" = "c"\n"&num_classes" = "n"\n')
    inherited = folder / "inherited.toml"  # the bases may give them
    inherited.write_text(
        '__base__ = ["../configs/_base_/model.toml"]\n[Head.FCNHead]\nchannels = 8\n'
    )
    schema = (example / ".excore" / "config.schema.json").as_uri()
    taplo = [tool("taplo"), "lint", "--schema", schema]
    done = subprocess.run([*taplo, str(missing)], cwd=example, capture_output=True, text=True)
    assert done.returncode == 1 and "missing.toml:1:1" in done.stderr, done.stderr
    _strict_tombi_config(example)
    done = tombi(example, missing)
    assert done.returncode == 1 and '"in_channels" is required' in done.stderr, done.stderr
    for path in (prefixed, inherited):
        done = subprocess.run([*taplo, str(path)], cwd=example, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        done = tombi(example, path)
        assert done.returncode == 0, done.stderr
