"""A static server for a built site that behaves like the Netlify deploy.

It sends the headers of the site's ``_headers`` file (so the strict
Content-Security-Policy is enforced locally too), answers unknown paths with
``404.html``, and can stream reload events for ``probable serve``. It is
for local preview and tests, bound to 127.0.0.1, not for production.
"""

from __future__ import annotations

import fnmatch
import functools
import logging
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

log = logging.getLogger("probable.serve")

Rules = list[tuple[str, list[tuple[str, str]]]]


def parse_headers_file(text: str) -> Rules:
    """Parse Netlify's ``_headers`` format into (path pattern, headers) rules."""
    rules: Rules = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            rules.append((line.strip(), []))
        elif rules:
            name, _, value = line.strip().partition(":")
            rules[-1][1].append((name.strip(), value.strip()))
    return rules


def make_handler(site: Path, on_reload: Callable | None = None):
    """Return a request handler class serving ``site``.

    ``on_reload(handler)``, when given, answers ``GET /__reload``.
    The ``_headers`` rules are read on every request, so a rebuild that
    changes them takes effect at once.
    """

    class Handler(SimpleHTTPRequestHandler):
        # Answers go out in several small writes (headers, body, each reload
        # event); with Nagle's algorithm a write can wait for the client's
        # delayed ACK, up to 40 ms.
        disable_nagle_algorithm = True

        def log_message(self, format, *args):
            log.debug("%s %s", self.address_string(), format % args)

        def do_GET(self):
            if on_reload is not None and self.path == "/__reload":
                return on_reload(self)
            # http.server compares If-Modified-Since in whole seconds, so a
            # page rebuilt twice within a second would come back as "304
            # Not Modified" and the browser would show the old one.
            del self.headers["If-Modified-Since"]
            return super().do_GET()

        def end_headers(self):
            path = self.path.split("?")[0]
            headers_file = site / "_headers"
            if headers_file.exists():
                rules = parse_headers_file(headers_file.read_text(encoding="utf-8"))
                for pattern, headers in rules:
                    if fnmatch.fnmatch(path, pattern):
                        for name, value in headers:
                            self.send_header(name, value)
            super().end_headers()

        def send_error(self, code, message=None, explain=None):
            missing = site / "404.html"
            if code != 404 or not missing.exists():
                return super().send_error(code, message, explain)
            body = missing.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return functools.partial(Handler, directory=str(site))


def make_server(site: Path, port: int = 0, on_reload: Callable | None = None
                ) -> ThreadingHTTPServer:
    """Return a threaded server for ``site`` on 127.0.0.1 (port 0: any free one)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(site, on_reload))
    server.daemon_threads = True
    return server
