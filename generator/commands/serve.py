"""``probable serve``: build, serve on 127.0.0.1, rebuild and reload on change."""

from __future__ import annotations

import argparse
import logging
import queue
import threading
import time
from pathlib import Path

from generator.errors import BuildError, ProbableError

log = logging.getLogger("probable.serve")

#: Folders whose changes trigger a rebuild, and the configuration file.
WATCHED = ("content", "templates", "static", "data")
CONFIG = "site.toml"
#: Seconds without a change after which the inputs are scanned in full (the
#: safety net for changes the watcher did not report) and the cache is saved.
QUIET_SECONDS = 1.0


class Reloads:
    """Counts successful builds; reload clients wait for the count to change.

    ``written_ms`` is the wall-clock time the last build finished writing.
    Every event carries it, and a page reloads when it is later than the
    page's own load: so a page that loaded while a rebuild was writing, and
    connected after that build's event went out, still reloads.

    Announcing a rebuild before it runs, and holding requests until it has
    written, was tried: the browser then unloads the old page while the
    build runs, but on two cores the two compete for the CPU, and in three
    paired runs of bench/latency.py saves took 3-19 % longer to show.
    """

    def __init__(self):
        self.generation = 0
        self.written_ms = time.time() * 1000
        self.changed = threading.Condition()

    def bump(self) -> None:
        """Tell pages to reload: a rebuild wrote its files."""
        with self.changed:
            self.generation += 1
            self.written_ms = time.time() * 1000
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Wait for an event after generation ``seen``; return the generation."""
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


def _rebuild(root: Path, drafts: bool, reloads: Reloads, cache,
             changed: set[Path] | None) -> None:
    """Rebuild after ``changed`` paths, or after a full scan when None.

    Pages reload as soon as the files are written. The cache is saved only
    after a full scan, when the author pauses (see _rebuild_on_change).
    """
    from generator.build import build

    try:
        build(root, drafts=drafts, dev_reload=True, cache=cache, changed=changed,
              on_written=reloads.bump, save=changed is None)
    except BuildError as error:
        for problem in error.problems:
            log.error("%s", problem)
        log.error("build failed; still serving the previous site")
    except Exception:  # noqa: BLE001 (a bug must not end live reloading)
        # Raised on, it would end this thread: serve would go on serving
        # the old site and never rebuild again.
        log.exception("the rebuild failed; still serving the previous site. "
                      "Save again to retry, or restart probable serve")


def _start_watching(root: Path) -> queue.Queue:
    """Start watching the inputs; return the queue their changes arrive in."""
    from watchfiles import watch

    folders = [root / name for name in WATCHED if (root / name).exists()]
    pending: queue.Queue = queue.Queue()

    def collect(paths: list[Path], step: int, **options) -> None:
        # Its own thread, so that the watcher never waits for a build:
        # a save made while a build runs is queued, not lost. No filter in
        # the folders: the build decides which files count (watchfiles'
        # default filter would hide files such as "notes~" that a full scan
        # reads). A short debounce: editors write a file in one go, and
        # every millisecond here is a millisecond before the browser reloads.
        options.setdefault("watch_filter", None)
        for changes in watch(*paths, debounce=20, step=step, **options):
            pending.put(changes)

    # watchfiles looks for changes every `step` ms and hands them over once
    # a step brings no more: 2 ms took a save 3.7 ms to arrive (median of
    # 30), 5 ms took 9 ms. The price is wake-ups: idle, this watcher keeps
    # 1.7 % of a core busy at 2 ms, 0.9 % at 5 ms.
    threading.Thread(target=collect, args=(folders, 2), daemon=True).start()
    # site.toml is watched through the project folder, not as a file: an
    # editor that saves by writing a new file and renaming it over the old
    # one would end a watch on the file itself at the first save.
    threading.Thread(target=collect, args=([root], 5), daemon=True, kwargs={
        "recursive": False,
        "watch_filter": lambda change, path: Path(path).name == CONFIG}).start()
    return pending


def _rebuild_on_change(root: Path, drafts: bool, reloads: Reloads, cache,
                       pending: queue.Queue) -> None:
    """Rebuild after each batch of changes; scan in full when the author pauses."""
    verified = True  # a full scan has run since the last change
    while True:
        try:
            changes = set(pending.get(timeout=None if verified else QUIET_SECONDS))
        except queue.Empty:
            # A pause: scan everything once, in case the watcher lost a
            # change (an inotify queue overflow, say), then save the cache
            # so that the next `probable build` starts from here.
            verified = True
            _rebuild(root, drafts, reloads, cache, changed=None)
            continue
        while not pending.empty():
            changes |= pending.get_nowait()
        changed = {Path(path) for _, path in changes}
        log.info("changed: %s", ", ".join(sorted({p.name for p in changed})[:5]))
        verified = False
        _rebuild(root, drafts, reloads, cache, changed)


def run(args: argparse.Namespace) -> int:
    """Serve the site on 127.0.0.1, rebuilding and reloading the browser on change."""
    from generator.build import build
    from generator.cache import Cache
    from generator.config import load_config
    from generator.server import make_server

    root = args.root.resolve()
    reloads = Reloads()
    # One cache object for the whole session: rebuilds skip reading it.
    cache = Cache(load_config(root).cache_dir / "build")
    # Watch before the first build, so that a save made while it runs, or
    # just after the server answers, is not lost; its changes wait in the
    # queue until that build is done.
    pending = _start_watching(root)
    try:
        build(root, drafts=args.drafts, dev_reload=True, cache=cache)
    except BuildError as error:
        for problem in error.problems:
            log.error("%s", problem)
        raise ProbableError("fix the problems above, then run serve again") from None

    threading.Thread(target=_rebuild_on_change, daemon=True,
                     args=(root, args.drafts, reloads, cache, pending)).start()
    server = make_server(root / "public", args.port, _stream_reloads(reloads))
    log.info("serving http://127.0.0.1:%d/ (Ctrl+C stops)", args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("stopped")
    finally:
        server.server_close()
    return 0
