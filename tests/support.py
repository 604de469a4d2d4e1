"""Helpers shared by the tests: paths, Chromium flags, a served site, fixtures."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from generator.server import make_server

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


class SiteServer:
    """Serve a built site on 127.0.0.1 with the headers Netlify would send."""

    def __init__(self, directory: Path):
        self.httpd = make_server(directory)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def make_project(destination: Path, fixture: str = "basic") -> Path:
    """Copy a fixture's content and site.toml with the repo's templates and static."""
    shutil.copytree(FIXTURES / fixture, destination)
    for name in ("templates", "static"):
        if not (destination / name).exists():
            shutil.copytree(REPO / name, destination / name)
    return destination


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Return every file under ``folder`` keyed by relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}
