"""``probable serve``: build, serve on 127.0.0.1, rebuild and reload on change."""

from __future__ import annotations

import argparse
import logging
import queue
import threading
import time
from pathlib import Path

from generator.build import build
from generator.errors import BuildError, ProbableError
from generator.server import make_server

log = logging.getLogger("probable.serve")

#: Folders and files whose change triggers a rebuild.
WATCHED = ("content", "templates", "static", "data", "site.toml")


class Reloads:
    """Counts successful builds; reload clients wait for the count to change.

    ``written_ms`` is the wall-clock time the last build finished writing.
    Every event carries it, and a page reloads when it is later than the
    page's own load: so a page that loaded while a rebuild was writing, and
    connected after that build's event went out, still reloads.
    """

    def __init__(self):
        self.generation = 0
        self.written_ms = time.time() * 1000
        self.changed = threading.Condition()

    def bump(self) -> None:
        with self.changed:
            self.generation += 1
            self.written_ms = time.time() * 1000
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.generation != seen, timeout=timeout)
            return self.generation


def _stream_reloads(reloads: Reloads):
    """Return the /__reload answer: one server-sent event per rebuild."""

    def stream(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-store")
        handler.end_headers()
        seen = reloads.generation
        try:
            handler.wfile.write(f"data: {reloads.written_ms:.0f}\n\n".encode())
            handler.wfile.flush()
            while True:
                now = reloads.wait(seen, timeout=15)
                message = (f"data: {reloads.written_ms:.0f}\n\n".encode()
                           if now != seen else b": ping\n\n")
                seen = now
                handler.wfile.write(message)
                handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return

    return stream


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8000,
                        help="port on 127.0.0.1 (default: 8000)")
    parser.add_argument("--drafts", action="store_true",
                        help="include posts marked 'draft: true'")


def _rebuild(root: Path, drafts: bool, reloads: Reloads, cache) -> None:
    try:
        # Reload as soon as the files are written; saving the cache can
        # happen while the browser fetches the page.
        build(root, drafts=drafts, dev_reload=True, cache=cache,
              on_written=reloads.bump)
    except BuildError as error:
        for problem in error.problems:
            log.error("%s", problem)
        log.error("build failed; still serving the previous site")


def _watch(root: Path, drafts: bool, reloads: Reloads) -> None:
    from watchfiles import watch

    from generator.cache import Cache
    from generator.config import load_config

    # One cache object for the whole session: rebuilds skip reading it.
    cache = Cache(load_config(root).cache_dir / "build")
    paths = [root / name for name in WATCHED if (root / name).exists()]
    pending: queue.Queue = queue.Queue()

    def collect() -> None:
        # Its own thread, so that the watcher never waits for a build:
        # a save made while a build runs is queued, not lost.
        # A short debounce: editors write a file in one go, and every
        # millisecond here is a millisecond before the browser reloads.
        for changes in watch(*paths, debounce=20, step=10):
            pending.put(changes)

    threading.Thread(target=collect, daemon=True).start()
    while True:
        changes = set(pending.get())
        while not pending.empty():
            changes |= pending.get_nowait()
        names = sorted({Path(path).name for _, path in changes})
        log.info("changed: %s", ", ".join(names[:5]))
        _rebuild(root, drafts, reloads, cache)


def run(args: argparse.Namespace) -> int:
    """Serve the site on 127.0.0.1, rebuilding and reloading the browser on change."""
    root = args.root.resolve()
    reloads = Reloads()
    try:
        build(root, drafts=args.drafts, dev_reload=True)
    except BuildError as error:
        for problem in error.problems:
            log.error("%s", problem)
        raise ProbableError("fix the problems above, then run serve again") from None

    threading.Thread(target=_watch, args=(root, args.drafts, reloads),
                     daemon=True).start()
    server = make_server(root / "public", args.port, _stream_reloads(reloads))
    log.info("serving http://127.0.0.1:%d/ (Ctrl+C stops)", args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("stopped")
    finally:
        server.server_close()
    return 0
