"""Fixtures of the language-server tests: a copy of the toy workspace with its index, and one
server per client flavour for the whole session (pytest-lsp)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import ls_fixture_index as fixture_index
import pytest
import pytest_lsp
from ls_helpers import Docs
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WORKSPACE = FIXTURES / "ws"
SERVER = [sys.executable, "-m", "excore_ls"]
CLIENTS = ["visual-studio-code", "neovim"]


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ls") / "ws"
    shutil.copytree(WORKSPACE, root)
    fixture_index.write(root)
    return root


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER), scope="session", params=CLIENTS
)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest, workspace: Path):  # type: ignore[no-untyped-def]
    lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)(_accept_registration)
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities(request.param),
            root_uri=workspace.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example") / "ws"
    shutil.copytree(
        EXAMPLES, root, ignore=shutil.ignore_patterns("__pycache__", ".excore", "*_e2e_*")
    )
    cmd = [sys.executable, "-m", "excore.cli.main", "schema", "dump", "--workspace", str(root)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.fixture
def docs(client: LanguageClient, workspace: Path) -> Docs:
    return Docs(client, workspace)


def _accept_registration(params: lsp.RegistrationParams) -> None:
    return None
