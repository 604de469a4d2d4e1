"""Helpers shared by the tests: a static server that honours ``_headers``."""

from __future__ import annotations

import fnmatch
import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


def parse_headers_file(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Parse Netlify's ``_headers`` format into (path pattern, headers) rules."""
    rules: list[tuple[str, list[tuple[str, str]]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            rules.append((line.strip(), []))
        else:
            name, _, value = line.strip().partition(":")
            rules[-1][1].append((name.strip(), value.strip()))
    return rules


class SiteServer:
    """Serve a built site on 127.0.0.1 with the headers Netlify would send."""

    def __init__(self, directory: Path):
        headers_file = directory / "_headers"
        rules = parse_headers_file(headers_file.read_text()) if (
            headers_file.exists()) else []

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def end_headers(self):
                path = self.path.split("?")[0]
                for pattern, headers in rules:
                    if fnmatch.fnmatch(path, pattern.replace("*", "*")):
                        for name, value in headers:
                            self.send_header(name, value)
                super().end_headers()

            def send_error(self, code, message=None, explain=None):
                missing = directory / "404.html"
                if code != 404 or not missing.exists():
                    return super().send_error(code, message, explain)
                body = missing.read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        handler = functools.partial(Handler, directory=str(directory))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
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
