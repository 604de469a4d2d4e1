"""Check the internal links and ``#anchors`` that authors write.

In: every Record and the set of output paths. Out: problems at the
author's ``path:line`` for each link that leads nowhere. External links are
not fetched: the build must work offline.
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit

from generator.errors import Problems
from generator.markdown import EXTERNAL
from generator.parse import Record


def output_path(url_path: str) -> str:
    """Return the file in public/ serving ``url_path``: ``/a/`` -> ``a/index.html``."""
    path = unquote(url_path).lstrip("/")
    if path == "" or path.endswith("/"):
        return path + "index.html"
    return path


def resolve(href: str, url: str) -> tuple[str, str, str] | None:
    """Return where an internal link on the page at ``url`` leads.

    That is (the output file, the path as written, the fragment); None for
    an external or empty link. Worked out once per post, as it is parsed.
    """
    if not href or EXTERNAL.match(href):
        return None
    parts = urlsplit(href)
    if not parts.path:
        return output_path(url), "", parts.fragment
    target = output_path(posixpath.normpath(posixpath.join(url, parts.path))
                         + ("/" if parts.path.endswith("/") else ""))
    return target, parts.path, parts.fragment


def check_links(documents: list[Record], outputs: set[str], problems: Problems,
                everything: list[Record] | None = None) -> None:
    """Report every broken internal link or anchor in ``documents``.

    ``everything`` lists all documents of the site (default: ``documents``),
    whose ids anchors may point at.
    """
    anchors_by_output = {output_path(d.source.url): d.anchors
                         for d in everything or documents}
    for document in documents:
        for (href, line), target in zip(document.links, document.targets,
                                        strict=True):
            if target is None:
                continue
            message = _broken(href, target, document, outputs, anchors_by_output)
            if message:
                problems.add(document.source.path, line, message)


def _broken(href: str, target: tuple[str, str, str], document: Record,
            outputs: set[str], anchors_by_output: dict[str, set[str]]) -> str | None:
    output, path, fragment = target
    if path and output not in outputs:
        bundle = document.source.bundle_dir
        if bundle is not None and not path.startswith("/") and (
                bundle / unquote(path)).is_file():
            return None
        return (f"broken link '{href}': nothing is published at "
                f"/{output.removesuffix('index.html')}; fix the address or "
                "add the page")

    if fragment:
        anchors = anchors_by_output.get(output)
        if anchors is not None and unquote(fragment) not in anchors:
            known = ", ".join(sorted(anchors)[:8]) or "none"
            return (f"broken anchor '{href}': no element with id "
                    f"'{fragment}' on that page; ids there include {known}")
    return None
