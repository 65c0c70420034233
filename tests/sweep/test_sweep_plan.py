"""The [__sweep__] table: checked by the one checker (exact positions), ignored by load/build,
and `excore sweep plan`, which checks every grid trial's resolved config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sweep_toy import subprocess_env, write

from excore import config
from excore.cli.main import main

GOOD = """__base__ = ["base.toml"]

[__sweep__]
name = "lr_width"
sampler = "grid"
objective = "val_loss"
[__sweep__.axes]
"Optimizer.ToySGD.lr" = [0.1, 0.05, 0.01]
"Model.ToyMLP.width" = {int = [4, 8], step = 4}
"&epochs" = [1, 2]
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def positions(out: str) -> list[tuple[int, int, str]]:
    found = []
    for line in out.splitlines():
        where, rest = line.split(": ", 1)
        _, row, col = where.rsplit(":", 2)
        found.append((int(row), int(col), rest.split()[1]))
    return found


def test_sweep_table_is_ignored_by_load_and_build(toy: Path) -> None:
    path = write(toy, "sweep.toml", GOOD)
    cfg = config.load(path)
    assert "__sweep__" not in cfg.to_dict()
    modules, info = config.build_all(cfg)
    assert modules.Optimizer.lr == 0.1 and info == {"epochs": 2, "batch_size": 8}


def test_check_reports_each_mistake_at_its_key_or_value(toy: Path, capsys) -> None:
    text = """__base__ = ["base.toml"]

[__sweep__]
objectve = "val_loss"
sampler = "grid"
[__sweep__.axes]
"Optimizer.ToySGD.lr" = [0.1, "fast"]
"Optimzer.ToySGD.momentum" = [0.9]
"Model.ToyMLP.widht" = [4]
"&epoks" = [1]
"Model.ToyMLP.depth" = {float = [1.5, 3], step = 0.5}
"Model.ToyMLP.act" = ["relu", "tanh"]
"Model.ToyMLP.!head" = ["ToyLinear", "ToyConv", "ToyLinaer"]
"Optimizer.ToySGD.momentum" = 0.9
"""
    path = write(toy, "bad.toml", text)
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1
    assert positions(out) == [
        (4, 1, "bad-sweep"),  # objectve
        (7, 31, "type-mismatch"),  # "fast", at the value
        (8, 2, "bad-axis"),  # Optimzer
        (9, 15, "bad-axis"),  # widht
        (10, 2, "bad-axis"),  # &epoks
        (11, 34, "type-mismatch"),  # the float bound 1.5 of an int parameter
        (12, 31, "type-mismatch"),  # "tanh" is not a Literal value
        (13, 39, "missing-param"),  # ToyConv has no section and needs 'kernel'
        (13, 50, "unknown-module"),  # ToyLinaer
        (14, 31, "bad-axis"),  # not a list
    ]
    assert "did you mean 'objective'?" in out
    assert "the config has no table 'Optimzer' (did you mean 'Optimizer'?)" in out
    assert "ToyMLP has no parameter 'widht' (did you mean 'width'?)" in out
    assert "no top-level variable 'epoks' (did you mean 'epochs'?)" in out
    assert "'width' in the sweep" not in out


def test_check_of_a_good_sweep_is_clean(toy: Path, capsys) -> None:
    code, out, _ = run(capsys, "check", str(write(toy, "sweep.toml", GOOD)))
    assert (code, out) == (0, "")


def test_sampler_needs_trials_and_a_grid_needs_steps(toy: Path, capsys) -> None:
    text = GOOD.replace('name = "lr_width"', 'sampler = "tpe"').replace(
        "{int = [4, 8], step = 4}", "{float = [4, 8], log = true}"
    )
    code, out, _ = run(capsys, "check", str(write(toy, "tpe.toml", text)))
    assert code == 1 and "sampler 'tpe' needs trials = N" in out
    text = (
        GOOD.replace("{int = [4, 8], step = 4}", "{float = [0.5, 0.9]}")
        .replace("Model.ToyMLP.width", "Optimizer.ToySGD.momentum")
        .replace('name = "lr_width"', 'sampler = "grid"')
    )
    code, out, _ = run(capsys, "check", str(write(toy, "grid.toml", text)))
    assert code == 1 and "a grid cannot enumerate the float range" in out


def test_plan_expands_and_checks_every_trial(toy: Path, capsys) -> None:
    path = write(toy, "sweep.toml", GOOD)
    code, out, err = run(capsys, "sweep", "plan", str(path))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "sweep 'lr_width': grid of 3 × 2 × 2 = 12 trial(s), minimize val_loss"
    assert lines[1].split() == ["grid", "Optimizer.ToySGD.lr", "Model.ToyMLP.width", "&epochs"]
    assert lines[2].split() == ["0", "0.1", "4", "1"]
    assert lines[13].split() == ["11", "0.01", "8", "2"]
    assert lines[-1] == "all 12 trial config(s) checked: no problems"


def test_plan_names_the_trial_and_the_axis_value_of_a_trial_problem(toy: Path, capsys) -> None:
    # Each value is fine on its own; only the trial that shares the head ('@') while another
    # module builds a new one ('!') breaks: a problem of the whole trial config.
    base = (toy / "configs" / "base.toml").read_text()
    (toy / "configs" / "base.toml").write_text(
        base
        + '\n[ToyLinear]\nwidth = 2\n\n[Model.ToyMLP2]\n"!head" = "ToyLinear"\n'.replace(
            "ToyMLP2", "ToyMLP"
        ).replace('[Model.ToyMLP]\n"!head" = "ToyLinear"\n', ""),
        encoding="utf-8",
    )
    text = """__base__ = ["base.toml"]
[__sweep__]
[__sweep__.axes]
"Optimizer.ToySGD.lr" = [0.1, 0.01]
"Optimizer.ToySGD.@momentum" = ["ToyLinear"]
"""
    # '@momentum' shares ToyLinear, which [Model.ToyMLP] builds new with '!head'
    code, _, err = run(capsys, "sweep", "plan", str(write(toy, "reuse.toml", text)))
    assert code == 1
    failed = [line for line in err.splitlines() if line.startswith("trial ")]
    where = 'Optimizer.ToySGD.lr = {}, Optimizer.ToySGD.@momentum = "ToyLinear"'
    assert failed == [
        line
        for n, lr in ((0, "0.1"), (1, "0.01"))
        for line in (
            f"trial {n} ({where.format(lr)}): configs/base.toml:6:12: error reuse-conflict "
            "'ToyLinear' is used both as a new module ('!') and as a shared one ('@')",
            f"trial {n} ({where.format(lr)}): configs/reuse.toml:5:34: note: 'ToyLinear' is "
            "used as a shared module here ('@momentum')",
        )
    ]
    assert "2 of 2 trial(s) have problems" in err


def test_plan_of_a_file_without_sweep_table(toy: Path, capsys) -> None:
    code, _, err = run(capsys, "sweep", "plan", str(toy / "configs" / "base.toml"))
    assert code == 1 and "has no [__sweep__] table" in err


def test_plan_of_a_sampler_shows_its_space(toy: Path, capsys) -> None:
    text = GOOD.replace(
        'name = "lr_width"\nsampler = "grid"', 'sampler = "random"\ntrials = 5'
    ).replace("{int = [4, 8], step = 4}", "{int = [4, 64], log = true}")
    code, out, err = run(capsys, "sweep", "plan", str(write(toy, "rand.toml", text)))
    assert code == 0, err
    assert out.splitlines() == [
        "sweep 'rand': random sampler, 5 trial(s), minimize val_loss",
        "  Optimizer.ToySGD.lr  0.1, 0.05, 0.01",
        "  Model.ToyMLP.width   int in [4, 64] (log)",
        "  &epochs              1, 2",
    ]


def test_import_excore_imports_neither_optuna_nor_submitit() -> None:
    code = (
        "import sys, excore; excore.report; from excore.cli import sweep_cmd; "
        "import excore.sweep.plan; "
        "print(sorted(m for m in ('optuna', 'submitit', 'plotly') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env()
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_constraints_rule_out_trials_and_are_checked(toy: Path, capsys) -> None:
    text = GOOD + '[__sweep__.constraints]\nexpr = "lr * width <= 0.4 and epochs >= 1"\n'
    code, out, err = run(capsys, "sweep", "plan", str(write(toy, "c.toml", text)))
    assert code == 0, err
    assert out.splitlines()[0] == (
        "sweep 'lr_width': grid of 3 × 2 × 2 = 12 trial(s), minimize val_loss; "
        "2 ruled out by constraints, 10 left"
    )
    rows = [line.split() for line in out.splitlines()[2:-2]]
    assert all(float(lr) * int(width) <= 0.4 for _, lr, width, _ in rows)
    # rows are labelled by their place in the full grid (as `sweep run` stores it: user attr
    # 'grid'), so the ruled-out points leave gaps, and they are named
    assert [int(row[0]) for row in rows] == [0, 1, 4, 5, 6, 7, 8, 9, 10, 11]
    assert out.splitlines()[-2] == "ruled out by the constraints: grid 2, 3"
    # a name that is neither a variable, a path of the config nor an axis: at the name
    bad = GOOD + '[__sweep__.constraints]\nexpr = "lr * widht <= Optimizer.ToySGD.lrr"\n'
    code, out, _ = run(capsys, "check", str(write(toy, "bad_c.toml", bad)))
    assert code == 1
    assert positions(out) == [(12, 14, "undefined-variable"), (12, 40, "undefined-variable")]
    assert "variable 'widht' is not defined at the top level" in out
    assert "the axes' names: epochs, lr, width" in out
    # a constraint that is not true or false is a problem of each trial
    text = GOOD + '[__sweep__.constraints]\nexpr = "lr * 2"\n'
    code, _, err = run(capsys, "sweep", "plan", str(write(toy, "num.toml", text)))
    assert code == 1
    assert "a constraint must be true or false, got float 0.2" in err
