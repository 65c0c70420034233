"""The command ``excore.dumpIndex``: run ``excore schema dump`` for a workspace in a subprocess
(with ``$/progress`` when the client supports it), then re-read its index, tell the client the
new status and re-check the open files.

Its one argument is what ``excore/status`` offers: the workspace root (a path or a ``file:``
URI of the root or of any file in it). Without one it dumps the workspaces in use. It answers
``{"ok", "output", "statuses"}``: whether every dump succeeded, what they printed, and the
status of each workspace afterwards (also sent as ``excore/indexStatus``), so a client shows
the outcome without looking at the files.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from excore_ls import convert
from excore_ls.analysis.documents import uri_to_path
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


def _roots(ls: ExcoreLanguageServer, args: tuple[Any, ...]) -> set[Path]:
    """The workspace named by the argument, else those of the loaded indexes / open files."""
    if args and isinstance(args[0], str) and args[0]:
        given = uri_to_path(args[0]) if "://" in args[0] else Path(args[0])
        located = ls.indexes.locate_dir(given) if given is not None else None
        return {located[1]} if located is not None else set()
    roots = {s.root for s in ls.indexes.loaded.values()}
    if not roots:
        for doc in ls.documents.all():
            located = ls.indexes.locate(doc.path)
            if located is not None:
                roots.add(located[1])
    return roots


async def dump_index(ls: ExcoreLanguageServer, *args: Any) -> dict[str, Any]:
    """Run `excore schema dump` for a workspace, then reload its index."""
    roots = _roots(ls, args)
    if not roots:
        where = f" at {args[0]}" if args and args[0] else ""
        message = f"excore: no workspace to dump{where} (no excore.toml, nor pyproject.toml with [tool.excore])"
        ls.show(Notice(f"dump:{message}", message, "error"))
        return {"ok": False, "output": message, "statuses": []}
    if ls.dumping:
        return {"ok": False, "output": "excore: a dump is already running", "statuses": []}
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
        messages, all_ok = [], True
        for i, root in enumerate(sorted(roots)):
            ok, output = await run_dump(root)
            messages.append(output)
            all_ok = all_ok and ok
            if ls.progress_supported:
                percentage = int(100 * (i + 1) / len(roots))
                ls.work_done_progress.report(token, convert.progress_report(str(root), percentage))
            if not ok:
                message = f"excore schema dump failed in {root}:\n{output}"
                ls.window_show_message(convert.show_message(message, "error"))
        statuses = []
        for root in sorted(roots):
            loaded = ls.indexes.for_file(root / "excore.toml")
            if loaded is None:
                continue
            ls.indexes.reload(loaded)
            ls.statuses.send(loaded, force=True)
            statuses.append(ls.statuses.sent[str(loaded.root)])
        ls.flush_notices()
        ls.publisher.republish_all()
        return {"ok": all_ok, "output": "\n".join(messages), "statuses": statuses}
    finally:
        ls.dumping = False
        if ls.progress_supported:
            ls.work_done_progress.end(token, convert.progress_end("done"))
