"""`excore sweep run` with real subprocesses, read back through Optuna's own API; `sweep show`;
`excore run`; `excore.report`.

Each trial is a real `python train.py` process of the toy workspace (a fraction of a second).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomllib
from sweep_toy import subprocess_env, write

optuna = pytest.importorskip("optuna")

from optuna.trial import TrialState  # noqa: E402

from excore.cli.main import main  # noqa: E402

GRID = """__base__ = ["base.toml"]

[__sweep__]
name = "toy"
objective = "val_loss"
[__sweep__.axes]
"Optimizer.ToySGD.lr" = [0.1, 0.05]
"Model.ToyMLP.width" = [4, 8]
"""
TRAIN = [sys.executable, "train.py", "--cfg", "{config}", "--dir", "{run_dir}"]


def loss(lr: float, width: int) -> float:
    return (lr - 0.05) ** 2 + 1.0 / width


def excore(
    root: Path, *argv: str, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "excore.cli.main", *argv],
        cwd=root,
        env=env or subprocess_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def load_study(root: Path, name: str = "toy") -> optuna.Study:
    return optuna.load_study(
        study_name=name, storage=f"sqlite:///{root / 'runs' / name / 'study.db'}"
    )


def git(root: Path, *argv: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *argv],
        cwd=root,
        check=True,
        capture_output=True,
    )


def test_grid_sweep_end_to_end_with_two_jobs_gpus_and_a_failing_trial(toy: Path, capsys) -> None:
    write(toy, "sweep.toml", GRID)
    git(toy, "init", "-q")
    git(toy, "add", ".")
    git(toy, "commit", "-qm", "toy")
    (toy / "train.py").write_text((toy / "train.py").read_text() + "# changed\n")
    # a fake nvidia-smi: GPUs 0 and 2 idle, GPU 1 busy
    bin_dir = toy.parent / "bin"
    bin_dir.mkdir()
    smi = bin_dir / "nvidia-smi"
    smi.write_text("#!/bin/sh\nprintf '0, 10, 0\\n1, 20000, 95\\n2, 3, 1\\n'\n")
    smi.chmod(0o755)
    env = subprocess_env()
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env["TOY_FAIL"] = "4-0.1"
    done = excore(
        toy,
        "sweep",
        "run",
        "configs/sweep.toml",
        "--jobs",
        "2",
        "--gpus-per-trial",
        "1",
        "--",
        *TRAIN,
        env=env,
    )
    assert done.returncode == 1, done.stderr  # one trial failed
    assert "diverged: loss is nan" in done.stderr  # its stderr tail is shown
    study = load_study(toy)
    trials = study.get_trials()
    assert len(trials) == 4
    by_params = {
        (t.params["Optimizer.ToySGD.lr"], t.params["Model.ToyMLP.width"]): t for t in trials
    }
    assert set(by_params) == {(0.1, 4), (0.1, 8), (0.05, 4), (0.05, 8)}
    # each trial carries its grid index, the label `sweep plan` prints for these values
    grid = {(0.1, 4): 0, (0.1, 8): 1, (0.05, 4): 2, (0.05, 8): 3}
    assert {k: t.user_attrs["grid"] for k, t in by_params.items()} == grid
    failed = by_params[(0.1, 4)]
    assert failed.state == TrialState.FAIL
    assert failed.user_attrs["failure"] == "exit" and failed.user_attrs["exit_code"] == 3
    assert "diverged: loss is nan" in failed.user_attrs["stderr_tail"]
    for (lr, width), trial in by_params.items():
        if (lr, width) != (0.1, 4):
            assert trial.state == TrialState.COMPLETE
            assert trial.value == pytest.approx(loss(lr, width))
            assert trial.intermediate_values == {
                0: pytest.approx(loss(lr, width)),
                1: pytest.approx(loss(lr, width) + 1),
            }
    assert study.best_trial.params == {"Optimizer.ToySGD.lr": 0.05, "Model.ToyMLP.width": 8}
    # runs/toy/ holds the study and one folder per trial, nothing else
    runs = toy / "runs" / "toy"
    assert sorted(p.name for p in runs.iterdir()) == ["0000", "0001", "0002", "0003", "study.db"]
    gpus = set()
    for trial in trials:
        folder = runs / f"{trial.number:04d}"
        assert trial.user_attrs["run_dir"] == str(folder)
        assert {
            "config.toml",
            "stdout.log",
            "stderr.log",
            "metrics.jsonl",
            "git.json",
            "git.diff",
        } <= {p.name for p in folder.iterdir()}
        resolved = tomllib.loads((folder / "config.toml").read_text())
        assert resolved["Optimizer"]["ToySGD"]["lr"] == trial.params["Optimizer.ToySGD.lr"]
        assert resolved["Model"]["ToyMLP"]["width"] == trial.params["Model.ToyMLP.width"]
        assert "__sweep__" not in resolved and "__base__" not in resolved
        first = (folder / "stdout.log").read_text().splitlines()[0]
        assert first.endswith(f"args: --cfg {folder / 'config.toml'} --dir {folder}")
        gpus.add(first.split()[1])
        record = json.loads((folder / "git.json").read_text())
        assert len(record["commit"]) == 40 and record["dirty"] is True
        assert "+# changed" in (folder / "git.diff").read_text()
    assert gpus == {"0", "2"}  # one idle GPU per trial, never the busy one

    code = main(["sweep", "show", "toy", "--format", "json", "--runs-dir", str(toy / "runs")])
    out = capsys.readouterr().out
    assert code == 0
    records = json.loads(out)
    assert [r["state"] for r in records] == ["complete", "complete", "complete", "fail"]
    assert [r["params"]["Model.ToyMLP.width"] for r in records[:3]] == [8, 8, 4]
    assert records[0]["value"] == pytest.approx(loss(0.05, 8))
    assert set(records[0]) >= {"number", "grid", "state", "value", "params", "run_dir"}
    assert [r["grid"] for r in records] == [3, 1, 2, 0]
    code = main(["sweep", "show", "toy", "--format", "csv"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("number,grid,state,val_loss,Optimizer.ToySGD.lr,Model.ToyMLP.width,run_dir")
    assert len(lines) == 5 and lines[-1].split(",")[1:3] == ["0", "fail"]
    code = main(["sweep", "show", "toy"])
    text = capsys.readouterr().out.splitlines()
    assert text[0] == "sweep 'toy': 4 trial(s), minimize val_loss"
    assert text[1].split()[:3] == ["trial", "grid", "state"]
    assert text[2].split()[1:6] == ["3", "complete", "0.125", "0.05", "8"]

    # --plot: Optuna's own plots when plotly is installed (the sweep extra), else a clear error
    page = toy / "plots.html"
    code = main(["sweep", "show", "toy", "--plot", str(page)])
    err = capsys.readouterr().err
    if optuna.visualization.is_available():
        assert code == 0 and "optimization history, parallel coordinates" in err
        html = page.read_text()
        assert "<h2>optimization history</h2>" in html and "Plotly.newPlot" in html
    else:
        assert code == 1 and "--plot needs plotly" in err and "excore[sweep]" in err

    # run again: every trial is finished, nothing runs
    again = excore(toy, "sweep", "run", "configs/sweep.toml", "--", *TRAIN, env=env)
    assert "has all its 4 trial(s); nothing to run" in again.stderr
    assert len(load_study(toy).get_trials()) == 4


def test_a_killed_sweep_continues_where_it_stopped(toy: Path) -> None:
    write(
        toy, "sweep.toml", GRID.replace("[0.1, 0.05]", "[0.1, 0.05, 0.01]").replace("[4, 8]", "[8]")
    )
    env = subprocess_env()
    env["TOY_SLEEP"] = "1.5"
    runner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "excore.cli.main",
            "sweep",
            "run",
            "configs/sweep.toml",
            "--",
            *TRAIN,
        ],
        cwd=toy,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    runs = toy / "runs" / "toy"
    deadline = time.monotonic() + 120
    while not (runs / "0001" / "config.toml").exists():  # trial 0 done, trial 1 started
        assert runner.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    first = (runs / "0000" / "stdout.log").read_text()
    done = excore(toy, "sweep", "run", "configs/sweep.toml", "--", *TRAIN, env=env)
    assert done.returncode == 0, done.stderr
    assert "1 interrupted trial(s) marked failed" in done.stderr
    trials = load_study(toy).get_trials()
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert sorted(t.params["Optimizer.ToySGD.lr"] for t in complete) == [0.01, 0.05, 0.1]
    assert complete[0].number == 0  # the finished trial was not run again
    assert (runs / "0000" / "stdout.log").read_text() == first
    (interrupted,) = [t for t in trials if t.state == TrialState.FAIL]
    assert interrupted.number == 1 and interrupted.user_attrs["failure"] == "interrupted"
    retry = [t for t in complete if t.user_attrs.get("retry_of") == 1]
    assert len(retry) == 1 and retry[0].params == interrupted.params


def test_submitit_local_executor(toy: Path) -> None:
    pytest.importorskip("submitit")
    write(toy, "sweep.toml", GRID.replace("[4, 8]", "[8]"))
    done = excore(
        toy,
        "sweep",
        "run",
        "configs/sweep.toml",
        "--launcher",
        "slurm",
        "--submitit-cluster",
        "local",
        "--slurm",
        "timeout_min=5",
        "--",
        *TRAIN,
    )
    assert done.returncode == 0, done.stderr
    trials = load_study(toy).get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2
    assert sorted(t.value for t in trials) == pytest.approx([loss(0.05, 8), loss(0.1, 8)])
    for trial in trials:
        folder = toy / "runs" / "toy" / f"{trial.number:04d}"
        assert "done 8" in (folder / "stdout.log").read_text()
        assert any(p.name.endswith("_result.pkl") for p in (folder / "submitit").iterdir())


def test_a_sweep_with_problems_runs_nothing(toy: Path) -> None:
    write(toy, "sweep.toml", GRID.replace("[4, 8]", '[4, "wide"]'))
    done = excore(toy, "sweep", "run", "configs/sweep.toml", "--", *TRAIN)
    assert done.returncode == 1
    assert "sweep.toml:8:28: error type-mismatch 'width' expects int" in done.stderr
    assert "no trial was run" in done.stderr
    assert not (toy / "runs").exists()


def test_excore_run_makes_a_run_folder(toy: Path) -> None:
    done = excore(toy, "run", "configs/base.toml", "--", *TRAIN)
    assert done.returncode == 0, done.stderr
    (folder,) = (toy / "runs" / "base").iterdir()
    assert "done 8 0.1" in done.stdout  # the output is shown and kept
    assert "done 8 0.1" in (folder / "stdout.log").read_text()
    metrics = [json.loads(x) for x in (folder / "metrics.jsonl").read_text().splitlines()]
    assert metrics[-1] == {"val_loss": pytest.approx(loss(0.1, 8))}
    assert tomllib.loads((folder / "config.toml").read_text())["Model"]["ToyMLP"]["width"] == 8
    env = subprocess_env()
    env["TOY_FAIL"] = "8-0.1"
    failed = excore(toy, "run", "configs/base.toml", "--", *TRAIN, env=env)
    assert failed.returncode == 3 and "diverged" in failed.stderr
    write(toy, "broken.toml", '__base__ = ["base.toml"]\n[Model.ToyMLP]\nwidth = "x"\n')
    broken = excore(toy, "run", "configs/broken.toml", "--", *TRAIN)
    assert broken.returncode == 1 and "broken.toml:3:9: error type-mismatch" in broken.stderr
    assert not (toy / "runs" / "broken").exists()


def test_report_writes_the_run_folder_metrics_only_inside_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import excore

    class Scalar:
        def item(self) -> float:
            return 0.5

    monkeypatch.delenv("EXCORE_RUN_DIR", raising=False)
    assert excore.report(loss=1.0) is None
    monkeypatch.setenv("EXCORE_RUN_DIR", str(tmp_path))
    assert excore.report(loss=Scalar(), step=3, tag="a") == {"loss": 0.5, "step": 3, "tag": "a"}
    excore.report(loss=float("nan"))
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x) for x in lines] == [{"loss": 0.5, "step": 3, "tag": "a"}, {"loss": "nan"}]
    with pytest.raises(TypeError, match="is not a number"):
        excore.report(loss=object())


def test_show_of_an_unknown_sweep(toy: Path, capsys) -> None:
    assert main(["sweep", "show", "nope"]) == 1
    assert "no sweep 'nope' here" in capsys.readouterr().err


def test_random_sampler_runs_its_trials_in_the_space(toy: Path) -> None:
    text = (
        GRID.replace(
            'objective = "val_loss"',
            'objective = "val_loss"\nsampler = "random"\ntrials = 3\nseed = 7',
        )
        .replace("[0.1, 0.05]", "{float = [0.001, 0.5], log = true}")
        .replace("[4, 8]", "{int = [2, 16], step = 2}")
    )
    write(toy, "sweep.toml", text)
    done = excore(toy, "sweep", "run", "configs/sweep.toml", "--quiet", "--", *TRAIN)
    assert done.returncode == 0, done.stderr
    trials = load_study(toy).get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
    for trial in trials:
        lr, width = trial.params["Optimizer.ToySGD.lr"], trial.params["Model.ToyMLP.width"]
        assert 0.001 <= lr <= 0.5 and width in range(2, 17, 2)
        assert trial.value == pytest.approx(loss(lr, width))
        assert trial.distributions["Optimizer.ToySGD.lr"].log


def test_a_drawn_trial_with_a_problem_is_failed_without_running(toy: Path) -> None:
    # each value is fine alone; the trial's config is not: '@momentum' shares ToyLinear, which
    # [Model.ToyMLP] builds new with '!head' (a problem of the whole config)
    text = GRID.replace(
        'objective = "val_loss"', 'objective = "val_loss"\nsampler = "random"\ntrials = 2'
    ).replace('"Model.ToyMLP.width" = [4, 8]', '"Optimizer.ToySGD.@momentum" = ["ToyLinear"]')
    write(toy, "sweep.toml", text)
    done = excore(toy, "sweep", "run", "configs/sweep.toml", "--", *TRAIN)
    assert done.returncode == 1
    assert "not run (Optimizer.ToySGD.lr = " in done.stderr
    assert "reuse-conflict" in done.stderr
    trials = load_study(toy).get_trials()
    assert [t.state for t in trials] == [TrialState.FAIL] * 2
    assert all(t.user_attrs["failure"] == "check" for t in trials)
    assert all("reuse-conflict" in t.user_attrs["stderr_tail"] for t in trials)
    assert sorted(p.name for p in (toy / "runs" / "toy").iterdir()) == ["study.db"]


def test_an_interrupted_sweep_queues_its_running_trial_again(toy: Path) -> None:
    write(toy, "sweep.toml", GRID.replace("[4, 8]", "[8]"))
    env = subprocess_env()
    env["TOY_SLEEP"] = "30"
    runner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "excore.cli.main",
            "sweep",
            "run",
            "configs/sweep.toml",
            "--",
            *TRAIN,
        ],
        cwd=toy,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout = toy / "runs" / "toy" / "0000" / "stdout.log"
    deadline = time.monotonic() + 120
    while not (stdout.exists() and stdout.read_text()):  # trial 0's process is running
        assert runner.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    runner.send_signal(signal.SIGTERM)
    _, err = runner.communicate(timeout=60)
    assert runner.returncode == 128 + signal.SIGTERM
    assert "interrupted: running trials marked failed" in err
    (first,) = [t for t in load_study(toy).get_trials() if t.state == TrialState.FAIL]
    assert first.user_attrs["failure"] == "interrupted"
    env["TOY_SLEEP"] = "0"
    done = excore(toy, "sweep", "run", "configs/sweep.toml", "--", *TRAIN, env=env)
    assert done.returncode == 0, done.stderr
    trials = load_study(toy).get_trials()
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert sorted(t.params["Optimizer.ToySGD.lr"] for t in complete) == [0.05, 0.1]
    assert [t.user_attrs.get("retry_of") for t in complete].count(first.number) == 1
