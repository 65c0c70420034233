"""The command ``excore.dumpIndex``: run ``excore schema dump`` for the workspaces of the open
configs in a subprocess (with ``$/progress`` when the client supports it), then re-read the
index and re-check the open files."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from excore_ls import convert
from excore_ls.analysis.index_state import Notice

if TYPE_CHECKING:
    from excore_ls.server import ExcoreLanguageServer


def dump_command(root: Path) -> list[str]:
    exe = shutil.which("excore", path=str(Path(sys.executable).parent))
    base = [exe] if exe else [sys.executable, "-m", "excore.cli.main"]
    return [*base, "schema", "dump", "--workspace", str(root)]


async def run_dump(root: Path) -> tuple[bool, str]:
    try:
        proc = await asyncio.create_subprocess_exec(
            *dump_command(root),
            cwd=str(root),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=600)
    except (OSError, asyncio.TimeoutError) as exc:
        return False, f"cannot run excore schema dump: {exc}"
    return proc.returncode == 0, out.decode("utf-8", "replace").strip()


def _roots(ls: ExcoreLanguageServer) -> set[Path]:
    roots = {s.root for s in ls.indexes.loaded.values()}
    if not roots:
        for doc in ls.documents.all():
            located = ls.indexes.locate(doc.path)
            if located is not None:
                roots.add(located[1])
    return roots


async def dump_index(ls: ExcoreLanguageServer, *args: Any) -> str:
    """Run `excore schema dump` for the workspace of the open configs, then reload the index."""
    roots = _roots(ls)
    if not roots:
        message = "excore: no workspace to dump (open a config inside an ExCore workspace)"
        ls.show(Notice(f"dump:{message}", message, "error"))
        return message
    if ls.dumping:
        return "excore: a dump is already running"
    ls.dumping = True
    token = f"excore-dump-{id(roots)}"
    try:
        if ls.progress_supported:
            try:
                await ls.work_done_progress.create_async(token)
                ls.work_done_progress.begin(
                    token, convert.progress_begin("excore: dumping the index")
                )
            except Exception:
                ls.progress_supported = False
        messages = []
        for i, root in enumerate(sorted(roots)):
            ok, output = await run_dump(root)
            messages.append(output)
            if ls.progress_supported:
                percentage = int(100 * (i + 1) / len(roots))
                ls.work_done_progress.report(token, convert.progress_report(str(root), percentage))
            if not ok:
                message = f"excore schema dump failed in {root}:\n{output}"
                ls.window_show_message(convert.show_message(message, "error"))
        for state in ls.indexes.loaded.values():
            ls.indexes.reload(state)
        ls.flush_notices()
        ls.publisher.republish_all()
        return "\n".join(messages)
    finally:
        ls.dumping = False
        if ls.progress_supported:
            ls.work_done_progress.end(token, convert.progress_end("done"))
