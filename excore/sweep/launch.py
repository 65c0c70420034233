"""Starting a trial's command: a local process, or a Slurm job through submitit.

``run_process`` is what a submitit job executes (it must be importable on the compute node: the
job runs with the Python of the submitting process).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any


def run_process(
    argv: list[str], env_updates: dict[str, str], cwd: str, stdout: str, stderr: str
) -> int:
    """Run ``argv`` with its output in the two log files; returns its exit code (127: the
    program was not found)."""
    env = dict(os.environ)
    env.update(env_updates)
    with open(stdout, "ab") as out, open(stderr, "ab") as err:
        try:
            proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd)
        except OSError as exc:
            err.write(f"excore: cannot start {argv[0]!r}: {exc}\n".encode())
            return 127
        return proc.wait()


def idle_gpus(max_memory_mib: int = 1024, max_utilization: int = 10) -> list[str]:
    """Indexes of the GPUs that ``nvidia-smi`` reports idle (little memory used, low
    utilization); none when there is no ``nvidia-smi``."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        done = subprocess.run(
            [
                exe,
                "--query-gpu=index,memory.used,utilization.gpu",
                "--format=csv,noheader,nounits",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode != 0:
        return []
    idle = []
    for line in done.stdout.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != 3:
            continue
        index, memory, utilization = fields
        try:
            if float(memory) <= max_memory_mib and float(utilization) <= max_utilization:
                idle.append(index)
        except ValueError:
            continue
    return idle


def submitit_parameters(pairs: list[str], job_name: str, gpus: int) -> dict[str, Any]:
    """``--slurm KEY=VALUE`` pairs (values read as TOML literals when they parse, else text)."""
    from excore.errors import ExcoreError
    from excore.syntax.toml import parse_toml

    params: dict[str, Any] = {"name": job_name, "timeout_min": 24 * 60}
    if gpus:
        params["gpus_per_node"] = gpus
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ExcoreError(f"--slurm {pair!r}: write KEY=VALUE, e.g. slurm_partition=gpu")
        doc = parse_toml(f"v = {raw}\n")
        entries = doc.root.entries
        if not doc.problems and entries and entries[0].value is not None:
            params[key.strip()] = entries[0].value.to_python()
        else:
            params[key.strip()] = raw
    return params


def submit(
    folder: Path,
    cluster: str,
    parameters: dict[str, Any],
    argv: list[str],
    env_updates: dict[str, str],
    cwd: str,
    stdout: Path,
    stderr: Path,
) -> Any:
    """Submit one trial as a submitit job; returns the job (``job.result()`` is the exit code)."""
    import submitit

    executor = submitit.AutoExecutor(folder=folder, cluster=cluster)
    executor.update_parameters(**parameters)
    return executor.submit(run_process, argv, env_updates, cwd, str(stdout), str(stderr))
