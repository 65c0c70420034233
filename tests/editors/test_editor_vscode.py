"""VS Code end-to-end: real VS Code (code-server) with the packaged extension (.vsix) installed,
driven in a headless Chromium by tests/editors/vscode/e2e.mjs (keyboard shortcuts, Problems panel,
suggest widget, hover, quick fix menu), on a fresh copy of the example workspace.

The dependencies come from scripts/install-editor-deps.sh (Node 24, code-server, chromium,
playwright-core, the .vsix); one code-server run serves all tests of this module (~20 s).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from editor_support import (
    ARTIFACTS,
    REPO,
    VENV_BIN,
    build_scenario,
    fresh_workspace,
    missing_dependency,
    skip_reason,
)

pytestmark = pytest.mark.editor

E2E_DIR = REPO / "tests" / "editors" / "vscode"
VSIX = REPO / "editors" / "vscode" / "excore.vsix"
TESTS = [
    "status",
    "diagnostics",
    "completion",
    "hover",
    "definition",
    "quickfix_only",
    "quickfix",
    "server_log",
    "restart",
    "dump_index",
    "broken_server",
]


# What a user binds to ask for quick fixes only (the request's context.only is ["quickfix"]).
KEYBINDINGS = [
    {
        "key": "ctrl+alt+k",
        "command": "editor.action.codeAction",
        "args": {"kind": "quickfix", "apply": "never"},
        "when": "editorTextFocus",
    }
]


def editor_deps() -> dict[str, str]:
    cache = Path(
        os.environ.get("EXCORE_EDITORS_CACHE") or Path.home() / ".cache" / "excore-editors"
    )
    env_file = cache / "editor-deps.env"
    if not env_file.is_file():
        missing_dependency(f"{env_file} not found: the VS Code test dependencies are not installed")
    deps = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    for key in ("EXCORE_NODE_BIN", "EXCORE_CODE_SERVER", "EXCORE_CHROMIUM"):
        if not deps.get(key) or not Path(deps[key]).exists():
            missing_dependency(f"{key} from {env_file} does not exist: {deps.get(key)}")
    if not VSIX.is_file():
        missing_dependency(f"{VSIX} not built")
    if not (E2E_DIR / "node_modules" / "playwright-core").is_dir():
        missing_dependency("playwright-core not installed in tests/editors/vscode")
    return deps


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"code-server exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"code-server did not answer at {url} in {timeout}s:\n{log.read_text()}")


def user_settings(server_cmd: list[str] | None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "files.autoSave": "off",
        "editor.wordBasedSuggestions": "off",
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "workbench.enableExperiments": False,
        "workbench.welcomePage.walkthroughs.openOnInstall": False,
        "security.workspace.trust.enabled": False,
        "telemetry.telemetryLevel": "off",
        "update.mode": "none",
        "extensions.autoCheckUpdates": False,
        "extensions.ignoreRecommendations": True,
        "git.enabled": False,
        "chat.disableAIFeatures": True,
        "editor.minimap.enabled": False,
        "editor.hover.delay": 200,
        "window.commandCenter": False,
        "workbench.colorTheme": "Default Dark Modern",
        "workbench.secondarySideBar.defaultVisibility": "hidden",
    }
    if server_cmd:
        settings["excore.server.command"] = server_cmd
    return settings


@pytest.fixture(scope="module")
def vscode_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    deps = editor_deps()
    tmp = tmp_path_factory.mktemp("vscode")
    workspace = fresh_workspace(tmp)
    scenario = build_scenario(workspace)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("vscode-*"):
        old.unlink()

    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        (tmp / "xdg" / var.lower()).mkdir(parents=True)
        env[var] = str(tmp / "xdg" / var.lower())
    env["HOME"] = str(tmp / "home")
    Path(env["HOME"]).mkdir()
    # VS Code takes the extension host's environment from the user's login shell (which resets
    # PATH on Debian): the user has the virtualenv with excore-ls on PATH in their profile.
    for profile in (".profile", ".bashrc"):
        (Path(env["HOME"]) / profile).write_text(f'export PATH="{VENV_BIN}:$PATH"\n')
    env["PATH"] = os.pathsep.join([str(VENV_BIN), deps["EXCORE_NODE_BIN"], env.get("PATH", "")])
    env["VIRTUAL_ENV"] = str(VENV_BIN.parent)
    env.pop("VSCODE_IPC_HOOK_CLI", None)
    user_data, extensions = tmp / "user-data", tmp / "extensions"
    (user_data / "User").mkdir(parents=True)
    (user_data / "Machine").mkdir(parents=True)
    server_cmd = (
        json.loads(os.environ["EXCORE_E2E_SERVER_CMD"])
        if os.environ.get("EXCORE_E2E_SERVER_CMD")
        else None
    )
    settings = json.dumps(user_settings(server_cmd), indent=2)
    # code-server takes machine-scoped settings (excore.server.command) from Machine/.
    (user_data / "User" / "settings.json").write_text(settings)
    (user_data / "Machine" / "settings.json").write_text(settings)
    (user_data / "User" / "keybindings.json").write_text(json.dumps(KEYBINDINGS, indent=2))

    code_server = deps["EXCORE_CODE_SERVER"]
    dirs = ["--user-data-dir", str(user_data), "--extensions-dir", str(extensions)]
    install = subprocess.run(
        [code_server, *dirs, "--install-extension", str(VSIX)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert install.returncode == 0, f"installing {VSIX} failed:\n{install.stdout}{install.stderr}"

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / "code-server.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                code_server,
                *dirs,
                "--auth",
                "none",
                "--bind-addr",
                f"127.0.0.1:{port}",
                "--disable-telemetry",
                "--disable-update-check",
                "--disable-workspace-trust",
                "--disable-getting-started-override",
                str(workspace),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=workspace,
            start_new_session=True,
        )
    try:
        wait_for_http(url, process, log, timeout=60)
        driver_env = dict(env)
        driver_env.update(
            EXCORE_E2E_URL=url,
            EXCORE_E2E_SCENARIO=scenario.to_json(),
            EXCORE_E2E_TESTS=",".join(TESTS),
            EXCORE_E2E_ARTIFACTS=str(ARTIFACTS),
            EXCORE_CHROMIUM=deps["EXCORE_CHROMIUM"],
        )
        node = str(Path(deps["EXCORE_NODE_BIN"]) / "node")
        try:
            driver = subprocess.run(
                [node, str(E2E_DIR / "e2e.mjs")],
                capture_output=True,
                text=True,
                env=driver_env,
                cwd=E2E_DIR,
                timeout=300,
            )
            output = f"{driver.stdout}\n{driver.stderr}"
        except subprocess.TimeoutExpired as exc:
            output = f"driver timed out:\n{exc.stdout!r}\n{exc.stderr!r}"
        (ARTIFACTS / "vscode-driver.log").write_text(output)
        results = {}
        for line in output.splitlines():
            if line.startswith("RESULT "):
                result = json.loads(line.removeprefix("RESULT "))
                results[result["name"]] = result
        yield {"results": results, "output": output, "log": log, "scenario": scenario}
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        if log.is_file():
            (ARTIFACTS / "vscode-code-server.log").write_text(log.read_text(errors="replace"))


@pytest.mark.parametrize("test", TESTS)
def test_vscode_feature(test: str, vscode_run: dict[str, Any]) -> None:
    result = vscode_run["results"].get(test) or vscode_run["results"].get("harness")
    assert result is not None, f"the driver reported nothing for {test}:\n{vscode_run['output']}"
    print(json.dumps(result, indent=2))
    assert result["ok"], f"{test} failed: {result.get('error')}\n(screenshots in {ARTIFACTS})"


def test_extension_unit_tests() -> None:
    """The extension's own unit tests (root detection, command resolution, index state)."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    deps = editor_deps()
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([deps["EXCORE_NODE_BIN"], env.get("PATH", "")])
    result = subprocess.run(
        ["npm", "test", "--silent"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO / "editors" / "vscode",
        timeout=180,
    )
    print(result.stdout[-3000:])
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "# fail 0" in result.stdout or "ℹ fail 0" in result.stdout, result.stdout
