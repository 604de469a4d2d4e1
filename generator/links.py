"""Check the internal links and ``#anchors`` that authors write.

In: every Document and the set of output paths. Out: problems at the
author's ``path:line`` for each link that leads nowhere. External links are
not fetched: the build must work offline.
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit

from generator.errors import Problems
from generator.markdown import EXTERNAL
from generator.parse import Document


def output_path(url_path: str) -> str:
    """Return the file in public/ serving ``url_path``: ``/a/`` -> ``a/index.html``."""
    path = unquote(url_path).lstrip("/")
    if path == "" or path.endswith("/"):
        return path + "index.html"
    return path


def check_links(documents: list[Document], outputs: set[str], problems: Problems,
                everything: list[Document] | None = None) -> None:
    """Report every broken internal link or anchor in ``documents``.

    ``everything`` lists all documents of the site (default: ``documents``),
    whose ids anchors may point at.
    """
    anchors_by_output = {output_path(d.source.url): d.anchors
                         for d in everything or documents}
    for document in documents:
        for href, line in document.links:
            message = _broken(href, document, outputs, anchors_by_output)
            if message:
                problems.add(document.source.path, line, message)


def _broken(href: str, document: Document, outputs: set[str],
            anchors_by_output: dict[str, set[str]]) -> str | None:
    if not href or EXTERNAL.match(href):
        return None
    parts = urlsplit(href)
    if not parts.path:
        target = output_path(document.source.url)
    else:
        base = document.source.url
        target = output_path(posixpath.normpath(posixpath.join(base, parts.path))
                             + ("/" if parts.path.endswith("/") else ""))
        if target not in outputs:
            bundle = document.source.bundle_dir
            if bundle is not None and not parts.path.startswith("/") and (
                    bundle / unquote(parts.path)).is_file():
                return None
            return (f"broken link '{href}': nothing is published at "
                    f"/{target.removesuffix('index.html')}; fix the address or "
                    "add the page")

    if parts.fragment:
        anchors = anchors_by_output.get(target)
        if anchors is not None and unquote(parts.fragment) not in anchors:
            known = ", ".join(sorted(anchors)[:8]) or "none"
            return (f"broken anchor '{href}': no element with id "
                    f"'{parts.fragment}' on that page; ids there include {known}")
    return None
