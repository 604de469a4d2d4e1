"""Check a built site: every internal link, ``#anchor`` and image resolves.

In: an output folder. Out: problems at ``output file:line``. The build
already checks what authors write in Markdown; this also covers what the
templates add (navigation, tag links, pagination, assets).
"""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from generator.errors import Problems
from generator.links import output_path
from generator.markdown import EXTERNAL

URL_ATTRIBUTES = {"a": "href", "link": "href", "img": "src", "script": "src",
                  "source": "src", "video": "poster"}


class _PageScan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[tuple[str, int]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        for name in (URL_ATTRIBUTES.get(tag), "data-module", "data-src"):
            value = attributes.get(name) if name else None
            if value:
                self.urls.append((value, self.getpos()[0]))


def check_site(out: Path, problems: Problems) -> int:
    """Report broken internal references in ``out``; return pages checked."""
    scans = {}
    for path in sorted(out.rglob("*.html")):
        scan = _PageScan()
        scan.feed(path.read_text(encoding="utf-8"))
        scans[path.relative_to(out).as_posix()] = scan

    for page, scan in scans.items():
        base = "/" + page.removesuffix("index.html")
        for url, line in scan.urls:
            if EXTERNAL.match(url):
                continue
            parts = urlsplit(url)
            target = page if not parts.path else output_path(
                parts.path if parts.path.startswith("/") else
                _join(base, parts.path))
            if parts.path and not (out / target).is_file():
                problems.add(out / page, line, f"'{url}' points to {target}, which "
                             "is not in the site")
                continue
            if parts.fragment and target in scans and (
                    unquote(parts.fragment) not in scans[target].ids):
                problems.add(out / page, line, f"'{url}': no id "
                             f"'{parts.fragment}' on {target}")
    return len(scans)


def _join(base: str, relative: str) -> str:
    joined = posixpath.normpath(posixpath.join(base, relative))
    return joined + "/" if relative.endswith("/") else joined
