"""``excore sweep run``: a sweep's trials through an Optuna study.

The study is named after the sweep and lives in ``sqlite:///runs/<name>/study.db`` unless
``--storage`` names another Optuna RDB URL (the same command on several machines then shares one
study). The sampler is Optuna's ``GridSampler``, ``RandomSampler`` or ``TPESampler``. Each trial:

1. is asked from the study (``study.ask``) and gets one value per axis;
2. is ruled out when it breaks the constraints (state PRUNED), or when the one checker finds a
   problem in its resolved config (FAIL; a grid's trials were all checked before the first one);
3. gets ``runs/<name>/<number>/`` (see :mod:`excore.sweep.rundir`) and runs ``CMD`` with
   ``{config}``/``{run_dir}`` substituted and ``EXCORE_CONFIG``, ``EXCORE_RUN_DIR`` (and
   ``CUDA_VISIBLE_DEVICES``) set, locally or as a submitit job;
4. is told its value, the last ``objective`` it reported, or FAIL with its stderr tail.

Started again after a kill, a sweep continues: finished trials are kept, trials that were
running in a runner that no longer exists (same host, dead process) are marked failed
(``interrupted``) and their values tried again.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from excore.errors import ExcoreError

if TYPE_CHECKING:
    from excore.sweep.plan import Plan
    from excore.sweep.spec import Axis, AxisPoint
    from excore.workspace import Workspace

STDERR_TAIL_LINES = 20


def import_optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise ExcoreError(
            "sweeps run on Optuna, which is not installed: pip install 'excore[sweep]'"
        ) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def default_storage(run_root: Path) -> str:
    return f"sqlite:///{run_root.resolve() / 'study.db'}"


def make_sampler(optuna: Any, plan: Plan) -> Any:
    spec = plan.spec
    assert spec is not None
    if spec.sampler == "grid":
        space = {axis.key: [p.label for p in axis.points] for axis in spec.axes}
        return optuna.samplers.GridSampler(space, seed=spec.seed)
    if spec.sampler == "random":
        return optuna.samplers.RandomSampler(seed=spec.seed)
    return optuna.samplers.TPESampler(seed=spec.seed)


def suggest(trial: Any, axis: Axis) -> object:
    if axis.kind == "list":
        return trial.suggest_categorical(axis.key, [p.label for p in axis.points])
    assert axis.low is not None and axis.high is not None
    low, high = axis.low.data, axis.high.data
    if axis.kind == "int":
        return trial.suggest_int(axis.key, low, high, step=int(axis.step or 1), log=axis.log)
    return trial.suggest_float(axis.key, float(low), float(high), step=axis.step, log=axis.log)  # type: ignore[arg-type]


def pid_alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Outcome:
    number: int
    state: str  # COMPLETE FAIL PRUNED
    value: float | None
    run_dir: Path | None
    seconds: float
    message: str = ""
    tail: str = ""


@dataclass
class _Slot:
    gpus: list[str] = field(default_factory=list)


class SweepRunner:
    def __init__(
        self,
        plan: Plan,
        command: list[str],
        args: argparse.Namespace,
        workspace: Workspace | None,
        source: Any,
    ) -> None:
        assert plan.spec is not None
        self.plan = plan
        self.spec = plan.spec
        self.command = command
        self.args = args
        self.workspace = workspace
        self.source = source
        self.run_root = Path(args.runs_dir) / self.spec.name
        self.lock = threading.Lock()
        self.stopping = False
        self.interrupted_by: int | None = None
        self.started = 0
        self.remaining = 0
        self.outcomes: list[Outcome] = []
        self.processes: dict[int, Any] = {}  # trial number -> Popen or submitit job
        self.host = socket.gethostname()
        self.progress: Any = None
        self.task: Any = None
        self.git: Any = None

    # -- set-up ----------------------------------------------------------------------------------

    def open_study(self) -> Any:
        optuna = import_optuna()
        self.optuna = optuna
        self.run_root.mkdir(parents=True, exist_ok=True)
        storage = self.args.storage or default_storage(self.run_root)
        try:
            study = optuna.create_study(
                study_name=self.spec.name,
                storage=storage,
                sampler=make_sampler(optuna, self.plan),
                direction=self.spec.direction,
                load_if_exists=True,
            )
        except Exception as exc:  # a bad URL, an unreachable database...
            raise ExcoreError(f"cannot open the Optuna storage {storage!r}: {exc}") from None
        if study.direction.name.lower() != self.spec.direction:
            raise ExcoreError(
                f"the study '{self.spec.name}' in {storage} was made to "
                f"{study.direction.name.lower()}, this sweep says {self.spec.direction}"
            )
        study.set_user_attr("excore_sweep", os.path.abspath(self.plan.path))
        study.set_user_attr("excore_objective", self.spec.objective)
        study.set_user_attr("excore_axes", [axis.key for axis in self.spec.axes])
        study.set_user_attr("excore_runs", str(self.run_root.resolve()))
        self.study = study
        self.storage = storage
        return study

    def recover(self) -> int:
        """Mark this host's trials whose runner died as failed (interrupted) and queue their
        values again; returns how many."""
        optuna = self.optuna
        running = self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        count = 0
        for trial in running:
            attrs = trial.user_attrs
            if attrs.get("host") != self.host or pid_alive(attrs.get("runner_pid")):
                continue
            run_dir = Path(str(attrs.get("run_dir", "")))
            storage = self.study._storage
            storage.set_trial_user_attr(trial._trial_id, "failure", "interrupted")
            storage.set_trial_user_attr(
                trial._trial_id, "stderr_tail", _tail_of(run_dir) if attrs.get("run_dir") else ""
            )
            self.study.tell(trial.number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
            if trial.params:
                self.study.enqueue_trial(dict(trial.params), user_attrs={"retry_of": trial.number})
            count += 1
        return count

    def count_remaining(self) -> int:
        states = self.optuna.trial.TrialState
        done = in_flight = 0
        for trial in self.study.get_trials(deepcopy=False):
            if trial.state in (states.COMPLETE, states.PRUNED) or (
                trial.state == states.FAIL and trial.user_attrs.get("failure") != "interrupted"
            ):
                done += 1
            elif trial.state == states.RUNNING:
                in_flight += 1
        return max(0, self.spec.planned_trials() - done - in_flight)

    def slots(self) -> list[_Slot]:
        jobs = max(1, int(self.args.jobs))
        k = int(self.args.gpus_per_trial)
        if k <= 0 or self.args.launcher == "slurm":
            return [_Slot() for _ in range(jobs)]
        from excore.sweep.launch import idle_gpus

        idle = idle_gpus()
        if len(idle) < k:
            found = f"idle GPUs: {', '.join(idle)}" if idle else "no idle GPU found (nvidia-smi)"
            raise ExcoreError(f"--gpus-per-trial {k} needs {k} idle GPU(s); {found}")
        count = min(jobs, len(idle) // k)
        return [_Slot(idle[i * k : (i + 1) * k]) for i in range(count)]

    # -- running ---------------------------------------------------------------------------------

    def run(self) -> int:
        from excore.sweep.rundir import git_state

        self.open_study()
        recovered = self.recover()
        self.remaining = self.count_remaining()
        total = self.spec.planned_trials()
        name = self.spec.name
        if recovered:
            print(
                f"{recovered} interrupted trial(s) marked failed; their values run again",
                file=sys.stderr,
            )
        if self.remaining == 0:
            print(f"sweep '{name}' has all its {total} trial(s); nothing to run", file=sys.stderr)
            return self.summary()
        slots = self.slots()
        self.git = git_state(os.path.dirname(self.plan.path) or ".")
        print(
            f"sweep '{name}': {self.remaining} of {total} trial(s) to run, {len(slots)} at a time; "
            f"study '{name}' in {self.storage}",
            file=sys.stderr,
        )
        threads = [
            threading.Thread(target=self.worker, args=(slot,), daemon=True) for slot in slots
        ]
        previous = self.install_signals()
        self.start_progress()
        try:
            for thread in threads:
                thread.start()
            while any(t.is_alive() for t in threads):
                for thread in threads:
                    thread.join(timeout=0.2)
        finally:
            self.stop_progress()
            self.restore_signals(previous)
        if self.interrupted_by is not None:
            print(
                "interrupted: running trials marked failed; run the same command to continue",
                file=sys.stderr,
            )
            return 128 + self.interrupted_by
        return self.summary()

    def worker(self, slot: _Slot) -> None:
        while True:
            with self.lock:
                if self.stopping or self.started >= self.remaining:
                    return
                self.started += 1
                trial = self.study.ask()
                points = self.points_of(trial)
                if self.spec.sampler == "grid":
                    from excore.sweep.plan import grid_index

                    trial.set_user_attr("grid", grid_index(self.spec, points))
                run_dir = self.run_root / f"{trial.number:04d}"
                trial.set_user_attr("host", self.host)
                trial.set_user_attr("runner_pid", os.getpid())
            try:
                outcome = self.run_trial(trial, points, run_dir, slot)
            except Exception as exc:  # an error of this runner, not of the trial's command
                outcome = Outcome(trial.number, "FAIL", None, run_dir, 0.0, f"excore: {exc}")
                with self.lock:
                    trial.set_user_attr("failure", "runner")
                    trial.set_user_attr("error", str(exc))
                    self.study.tell(trial, state=self.optuna.trial.TrialState.FAIL)
            with self.lock:
                self.outcomes.append(outcome)
                self.show(outcome)

    def points_of(self, trial: Any) -> list[AxisPoint]:
        from excore.sweep.plan import point_for

        return [point_for(axis, suggest(trial, axis)) for axis in self.spec.axes]

    def finish(self, trial: Any, outcome: Outcome, **attrs: object) -> Outcome:
        states = self.optuna.trial.TrialState
        with self.lock:
            for key, value in attrs.items():
                trial.set_user_attr(key, value)
            try:
                if outcome.state == "COMPLETE":
                    self.study.tell(trial, outcome.value)
                else:
                    self.study.tell(trial, state=getattr(states, outcome.state))
            except RuntimeError:
                # GridSampler.after_trial calls study.stop() once the grid is done, which only
                # works inside study.optimize; the trial's state is stored before that.
                if not self.study._storage.get_trial(trial._trial_id).state.is_finished():
                    raise
        return outcome

    def run_trial(self, trial: Any, points: list[AxisPoint], run_dir: Path, slot: _Slot) -> Outcome:
        from excore.sweep.plan import (
            check_trial,
            describe_points,
            meets_constraints,
            trial_loaded,
            trial_root,
        )

        start = time.perf_counter()
        number = trial.number
        root = trial_root(self.plan, points)
        meets, problems = meets_constraints(self.plan, points, root)
        if not meets and not problems:
            outcome = Outcome(number, "PRUNED", None, None, 0.0, "ruled out by the constraints")
            return self.finish(trial, outcome, excluded="constraints")
        if self.spec.sampler != "grid":  # a grid's trials were all checked before the first one
            problems += check_trial(self.plan, points, self.source, None, root)
        if problems:
            from excore.cli.check_cmd import render_text

            text = render_text(problems)
            where = describe_points(self.plan, points, problems)
            outcome = Outcome(number, "FAIL", None, None, 0.0, f"not run ({where}):", text)
            return self.finish(trial, outcome, failure="check", stderr_tail=text)
        from excore.config.lazy import LazyConfig
        from excore.sweep.rundir import prepare_run_dir, substitute

        text = LazyConfig(trial_loaded(self.plan, points), self.source, self.workspace).dumps()
        config, stdout, stderr = prepare_run_dir(run_dir, text, self.git)
        with self.lock:
            trial.set_user_attr("run_dir", str(run_dir.resolve()))
        argv = substitute(self.command, config.resolve(), run_dir.resolve())
        env = {
            "EXCORE_RUN_DIR": str(run_dir.resolve()),
            "EXCORE_CONFIG": str(config.resolve()),
            "EXCORE_SWEEP": self.spec.name,
            "EXCORE_TRIAL": str(number),
        }
        if self.workspace is not None:
            env["EXCORE_WORKSPACE"] = str(self.workspace.root)
        if slot.gpus:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(slot.gpus)
        code = self.launch(number, argv, env, run_dir, stdout, stderr)
        seconds = time.perf_counter() - start
        return self.conclude(trial, code, run_dir, stderr, seconds)

    def launch(
        self,
        number: int,
        argv: list[str],
        env: dict[str, str],
        run_dir: Path,
        stdout: Path,
        stderr: Path,
    ) -> int:
        cwd = os.getcwd()
        if self.args.launcher == "slurm":
            from excore.sweep.launch import submit, submitit_parameters

            params = submitit_parameters(
                self.args.slurm, f"{self.spec.name}-{number}", int(self.args.gpus_per_trial)
            )
            job = submit(
                run_dir / "submitit",
                self.args.submitit_cluster,
                params,
                argv,
                env,
                cwd,
                stdout,
                stderr,
            )
            with self.lock:
                self.processes[number] = job
            try:
                return int(job.result())
            except Exception as exc:
                with open(stderr, "a", encoding="utf-8") as handle:
                    handle.write(f"excore: the submitit job failed: {exc}\n")
                return -1
            finally:
                with self.lock:
                    self.processes.pop(number, None)
        import subprocess

        full_env = dict(os.environ)
        full_env.update(env)
        with open(stdout, "ab") as out, open(stderr, "ab") as err:
            with self.lock:
                if self.stopping:
                    return -int(signal.SIGTERM)
                try:
                    proc = subprocess.Popen(argv, stdout=out, stderr=err, env=full_env, cwd=cwd)
                except OSError as exc:
                    err.write(f"excore: cannot start {argv[0]!r}: {exc}\n".encode())
                    return 127
                self.processes[number] = proc
            try:
                return proc.wait()
            finally:
                with self.lock:
                    self.processes.pop(number, None)

    def conclude(
        self, trial: Any, code: int, run_dir: Path, stderr: Path, seconds: float
    ) -> Outcome:
        from excore.sweep.rundir import last_metrics, objective_values

        number = trial.number
        metrics = last_metrics(run_dir)
        tail = _tail_of(run_dir)
        common: dict[str, object] = {"exit_code": code, "metrics": _jsonable(metrics)}
        if self.stopping and code != 0:
            outcome = Outcome(number, "FAIL", None, run_dir, seconds, "interrupted", tail)
            self.finish(trial, outcome, failure="interrupted", stderr_tail=tail, **common)
            with self.lock:  # the next run tries these values again
                self.study.enqueue_trial(dict(trial.params), user_attrs={"retry_of": number})
            return outcome
        if code != 0:
            outcome = Outcome(number, "FAIL", None, run_dir, seconds, f"exit code {code}", tail)
            return self.finish(trial, outcome, failure="exit", stderr_tail=tail, **common)
        objective = self.spec.objective or ""
        values = objective_values(run_dir, objective)
        if not values:
            message = f"exited 0 without reporting '{objective}' (excore.report({objective}=...))"
            outcome = Outcome(number, "FAIL", None, run_dir, seconds, message, tail)
            return self.finish(trial, outcome, failure="no-objective", stderr_tail=tail, **common)
        with self.lock:
            for step, value in enumerate(values[:-1]):
                if value == value:  # Optuna refuses NaN intermediate values
                    trial.report(value, step)
        value = values[-1]
        if value != value or value in (float("inf"), float("-inf")):
            outcome = Outcome(
                number, "FAIL", None, run_dir, seconds, f"{objective} is {value}", tail
            )
            return self.finish(trial, outcome, failure="not-finite", stderr_tail=tail, **common)
        outcome = Outcome(number, "COMPLETE", value, run_dir, seconds)
        return self.finish(trial, outcome, **common)

    # -- signals and output ----------------------------------------------------------------------

    def install_signals(self) -> dict[int, Any]:
        previous: dict[int, Any] = {}
        if threading.current_thread() is not threading.main_thread():
            return previous
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, self.on_signal)
        return previous

    def restore_signals(self, previous: dict[int, Any]) -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def on_signal(self, signum: int, frame: object) -> None:
        self.stopping = True
        self.interrupted_by = signum
        for item in list(self.processes.values()):
            try:
                if hasattr(item, "terminate"):
                    item.terminate()
                else:
                    item.cancel()
            except Exception:
                pass

    def start_progress(self) -> None:
        if self.args.quiet or not sys.stderr.isatty():
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=False,
        )
        self.task = self.progress.add_task(f"sweep {self.spec.name}", total=self.remaining)
        self.progress.start()

    def stop_progress(self) -> None:
        if self.progress is not None:
            self.progress.stop()

    def show(self, outcome: Outcome) -> None:
        where = f"  {_shown(outcome.run_dir)}" if outcome.run_dir is not None else ""
        if outcome.state == "COMPLETE":
            line = (
                f"trial {outcome.number}: {self.spec.objective} = {outcome.value:.6g}"
                f" ({outcome.seconds:.1f} s){where}"
            )
        elif outcome.state == "PRUNED":
            line = f"trial {outcome.number}: {outcome.message}"
        else:
            line = f"trial {outcome.number} failed: {outcome.message}{where}"
        lines = [line]
        if outcome.state == "FAIL" and outcome.tail:
            lines += [f"    {text}" for text in outcome.tail.splitlines()]
        if self.progress is not None:
            for text in lines:
                self.progress.console.print(text, markup=False, highlight=False)
            self.progress.advance(self.task)
        elif not self.args.quiet or outcome.state == "FAIL":
            done = len(self.outcomes)
            lines[0] = f"[{done}/{self.remaining}] {lines[0]}"
            print("\n".join(lines), file=sys.stderr, flush=True)

    def summary(self) -> int:
        states = self.optuna.trial.TrialState
        trials = self.study.get_trials(deepcopy=False)
        complete = [t for t in trials if t.state == states.COMPLETE]
        failed = [
            t
            for t in trials
            if t.state == states.FAIL and t.user_attrs.get("failure") != "interrupted"
        ]
        text = f"sweep '{self.spec.name}': {len(complete)} complete, {len(failed)} failed"
        if complete:
            best = self.study.best_trial
            text += f"; best: trial {best.number}, {self.spec.objective} = {best.value:.6g}"
        print(text, file=sys.stderr)
        print(f"results: excore sweep show {self.spec.name}", file=sys.stderr)
        mine_failed = [o for o in self.outcomes if o.state == "FAIL"]
        return 1 if mine_failed else 0


def _tail_of(run_dir: Path) -> str:
    from excore.sweep.rundir import STDERR, tail

    return tail(run_dir / STDERR, STDERR_TAIL_LINES)


def _shown(path: Path | None) -> str:
    if path is None:
        return ""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def _jsonable(metrics: dict[str, object]) -> dict[str, object]:
    import json

    try:
        json.dumps(metrics)
        return metrics
    except (TypeError, ValueError):
        return {k: str(v) for k, v in metrics.items()}


def run_command(args: argparse.Namespace) -> int:
    from excore.cli.sweep_cmd import prepare, report_problems
    from excore.config import live_source, resolve_workspace

    command = list(args.cmd)
    if not command:
        raise ExcoreError(
            "give the command to run after --: excore sweep run SWEEP.toml -- CMD ..."
        )
    if args.jobs < 1:
        raise ExcoreError("--jobs must be at least 1")
    plan = prepare(args.sweep, args.workspace, expand=True)
    if report_problems(plan):
        print("the sweep has problems: no trial was run", file=sys.stderr)
        return 1
    spec = plan.spec
    assert spec is not None
    if not spec.objective:
        raise ExcoreError(
            '[__sweep__] needs objective = "<metric>" (the value each trial reports) to run',
            file=args.sweep,
        )
    workspace = resolve_workspace(args.sweep, args.workspace)
    runner = SweepRunner(plan, command, args, workspace, live_source(workspace))
    return runner.run()
