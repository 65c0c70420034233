"""``excore-ls``: start the ExCore language server (stdio by default)."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

FULL_COLLECTIONS_OFF = 1 << 30  # a threshold of the oldest generation that is never reached
# The server's collector policy once it runs: young collections every 2,000 new objects (not
# 700), and a full one considered every 100 middle collections (not 10). The server holds a large
# heap that lives long (the index, the analyses); with the default policy, building the parse of a
# large document (a 100,000-line config makes 2 million objects) set off a full collection
# over all of it every few hundred thousand objects: 1.9 s of the 2.3 s its analysis took
# (0.34 s with this policy), and 2.4 s of a 2.9 s check (0.56 s).
SERVER_THRESHOLDS = (2000, 10, 100)


@contextmanager
def _no_full_collection() -> Iterator[None]:
    """Loading the server makes some 150,000 objects that live as long as it (modules, protocol
    types): a full collection in the middle traverses them all (~40 ms of the start-up, which
    a bare pygls server does not pay). Young collections still free the start-up's garbage;
    what survives is then frozen (left out of every later collection), as it never dies.
    Then the server's own policy (``SERVER_THRESHOLDS``) applies."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTIONS_OFF)
    try:
        yield
    finally:
        gc.freeze()
        gc.set_threshold(*SERVER_THRESHOLDS)


def main(argv: list[str] | None = None) -> int:
    from excore_ls import __version__

    parser = argparse.ArgumentParser(prog="excore-ls", description="The ExCore language server.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    mode.add_argument("--tcp", action="store_true", help="listen on a TCP port")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    parser.add_argument("--log-file", help="write the server log to this file")
    parser.add_argument("--version", action="version", version=f"excore-ls {__version__}")
    args = parser.parse_args(argv)
    if args.log_file:
        try:
            logging.basicConfig(
                filename=args.log_file,
                level=logging.INFO,
                format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            )
        except OSError as exc:
            parser.error(f"cannot write the log file {args.log_file}: {exc.strerror}")
    else:
        logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

    with _no_full_collection():
        from excore_ls.server import server
    # A long check runs in a worker thread (excore_ls.publish): hand the interpreter back to
    # the thread answering requests every millisecond rather than every five.
    sys.setswitchinterval(0.001)

    if args.tcp:
        server.start_tcp(args.host, args.port)
    else:
        from excore_ls.transport import FrameGuard

        server.start_io(FrameGuard(sys.stdin.buffer), sys.stdout.buffer)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
