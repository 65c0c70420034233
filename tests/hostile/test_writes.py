"""Every file ExCore writes goes through one atomic write: planted links, concurrent dumps, a full
disk, read-only files and edits made meanwhile never lose or leak data."""

from __future__ import annotations

import errno
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hostile_helpers import run_excore

from excore import fileio
from excore.cli.main import main

pytestmark = pytest.mark.timeout(120)  # a generous bound: a hang fails, not a slow run

UNQUOTED = "!backbone = 1\nlr = 0.1\n"
QUOTED = '"!backbone" = 1\nlr = 0.1\n'


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.timeout(60)
def test_schema_dump_never_writes_through_a_planted_temp_link(ws: Path) -> None:
    victim = ws.parent / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    index_dir = ws / ".excore"
    index_dir.mkdir()
    (index_dir / "index.json.tmp").symlink_to(victim)
    (index_dir / "config.schema.json").symlink_to(victim)
    result = run_excore("schema", "dump", cwd=ws)
    assert result.code == 0, result.err
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert (index_dir / "index.json").is_file()
    schema = index_dir / "config.schema.json"
    assert not schema.is_symlink() and schema.read_text(encoding="utf-8").startswith("{")


@pytest.mark.timeout(120)
def test_twenty_concurrent_schema_dumps_all_succeed(ws: Path) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: run_excore("schema", "dump", cwd=ws), range(20)))
    assert [r.code for r in results] == [0] * 20, [r.err for r in results if r.code]
    assert _leftovers(ws / ".excore") == []
    assert run_excore("schema", "dump", "--check", cwd=ws).code == 0


def test_index_folder_being_a_file_is_a_clear_error(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws / ".excore").write_text("not a folder\n", encoding="utf-8")
    assert main(["schema", "dump"]) == 1
    err = capsys.readouterr().err
    assert f"{ws / '.excore'}: cannot write the index: this is a file, not a folder" in err
    assert (ws / ".excore").read_text(encoding="utf-8") == "not a folder\n"


@pytest.mark.parametrize("dangling", [False, True])
def test_index_folder_being_a_symlink_is_refused(
    ws: Path, capsys: pytest.CaptureFixture[str], dangling: bool
) -> None:
    outside = ws.parent / "outside"
    if not dangling:
        outside.mkdir()
    (ws / ".excore").symlink_to(outside, target_is_directory=True)
    assert main(["schema", "dump"]) == 1
    err = capsys.readouterr().err
    assert f"{ws / '.excore'}: cannot write the index: this is a symbolic link" in err
    assert "Traceback" not in err
    assert not outside.exists() if dangling else list(outside.iterdir()) == []
    assert (ws / ".excore").is_symlink()


def test_a_linked_folder_above_a_custom_index_folder_is_refused(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = ws.parent / "outside"
    outside.mkdir()
    (ws / "build").symlink_to(outside, target_is_directory=True)
    (ws / "excore.toml").write_text(
        'name = "hostile"\nindex_dir = "build/excore/index"\n', encoding="utf-8"
    )
    assert main(["schema", "dump"]) == 1
    err = capsys.readouterr().err
    assert f"{ws / 'build'}: cannot write the index: this is a symbolic link" in err
    assert "Traceback" not in err
    assert list(outside.iterdir()) == []


def test_a_custom_index_folder_below_real_folders_is_written(ws: Path) -> None:
    (ws / "excore.toml").write_text(
        'name = "hostile"\nindex_dir = "build/excore/index"\n', encoding="utf-8"
    )
    assert main(["schema", "dump"]) == 0
    assert (ws / "build" / "excore" / "index" / "index.json").is_file()


def test_editor_config_replaces_a_planted_link_and_keeps_crlf(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = ws.parent / "victim.toml"
    victim.write_text("# precious\n", encoding="utf-8")
    (ws / "tombi.toml").symlink_to(victim)
    (ws / ".taplo.toml").write_bytes(b"# mine\r\n[formatting]\r\nalign_entries = true\r\n")
    assert main(["schema", "dump", "--editor-config"]) == 0
    assert victim.read_text(encoding="utf-8") == "# precious\n"
    assert not (ws / "tombi.toml").is_symlink()
    taplo = (ws / ".taplo.toml").read_bytes()
    assert taplo.startswith(b"# mine\r\n[formatting]\r\nalign_entries = true\r\n")
    assert b"[[rule]]" in taplo
    assert b"\n" not in taplo.replace(b"\r\n", b"")  # every line end is CRLF


def test_invalid_taplo_toml_is_a_located_error(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws / ".taplo.toml").write_text("[rule\ninclude = 1\n", encoding="utf-8")
    assert main(["schema", "dump", "--editor-config"]) == 1
    err = capsys.readouterr().err
    assert f"{ws / '.taplo.toml'}:1:" in err and "not valid TOML" in err
    assert (ws / ".taplo.toml").read_text(encoding="utf-8") == "[rule\ninclude = 1\n"


def test_init_replaces_a_planted_link_not_its_target(ws: Path, tmp_path: Path) -> None:
    target = tmp_path / "fresh"
    target.mkdir()
    victim = tmp_path / "victim.toml"
    victim.write_text("# precious\n", encoding="utf-8")
    (target / "excore.toml").symlink_to(victim)
    assert main(["init", str(target)]) == 1  # exists: refused without --force
    assert main(["init", str(target), "--force"]) == 0
    assert victim.read_text(encoding="utf-8") == "# precious\n"
    assert "name = " in (target / "excore.toml").read_text(encoding="utf-8")
    assert not (target / "excore.toml").is_symlink()


def test_quote_in_place_on_a_full_disk_keeps_the_file(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = ws / "exp.toml"
    config.write_text(UNQUOTED, encoding="utf-8")

    def full_disk(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fileio.os, "write", full_disk)
    assert main(["quote", "--in-place", "exp.toml"]) == 1
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert err == (
        "exp.toml: cannot write the file: no space left on the device (the file was not changed)\n"
    )
    assert config.read_text(encoding="utf-8") == UNQUOTED
    assert _leftovers(ws) == []


def test_quote_in_place_keeps_the_mode_and_refuses_a_read_only_file(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = ws / "exp.toml"
    config.write_text(UNQUOTED, encoding="utf-8")
    config.chmod(0o640)
    assert main(["quote", "-i", "exp.toml"]) == 0
    assert config.read_text(encoding="utf-8") == QUOTED
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    config.write_text(UNQUOTED, encoding="utf-8")
    config.chmod(0o444)
    capsys.readouterr()
    assert main(["quote", "-i", "exp.toml"]) == 1
    assert "exp.toml: cannot write the file: it is read-only" in capsys.readouterr().err
    assert config.read_text(encoding="utf-8") == UNQUOTED


def test_quote_in_place_refuses_when_the_file_changed_meanwhile(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from excore.cli import quote_cmd

    config = ws / "exp.toml"
    config.write_text(UNQUOTED, encoding="utf-8")
    edited = UNQUOTED + "epochs = 3\n"
    verify = quote_cmd.verify_toml

    def edit_meanwhile(text: str, file: str) -> None:
        verify(text, file)
        config.write_text(edited, encoding="utf-8")  # the user saves in the editor

    monkeypatch.setattr(quote_cmd, "verify_toml", edit_meanwhile)
    assert main(["quote", "-i", "exp.toml"]) == 1
    err = capsys.readouterr().err
    assert err == "exp.toml: the file changed since it was read; nothing written\n"
    assert config.read_text(encoding="utf-8") == edited
    assert _leftovers(ws) == []


def test_quote_keeps_a_bom_that_check_accepts(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = ws / "bom.toml"
    config.write_bytes(b"\xef\xbb\xbf" + UNQUOTED.replace("\n", "\r\n").encode())
    assert main(["check", "bom.toml", "--no-hints"]) == 0
    assert main(["quote", "-i", "bom.toml"]) == 0
    assert config.read_bytes() == b"\xef\xbb\xbf" + QUOTED.replace("\n", "\r\n").encode()


def test_schema_dump_on_a_full_disk_keeps_the_old_index(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["schema", "dump"]) == 0
    index = ws / ".excore" / "index.json"
    before = index.read_bytes()
    (ws / "excore.toml").write_text('name = "renamed"\n', encoding="utf-8")  # a new index

    def full_disk(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    capsys.readouterr()
    monkeypatch.setattr(fileio.os, "write", full_disk)
    assert main(["schema", "dump"]) == 1
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert "cannot write the file: no space left on the device (the file was not changed)" in err
    assert index.read_bytes() == before
    assert _leftovers(ws / ".excore") == []
