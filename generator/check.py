"""Check a built site: every internal reference resolves.

In: an output folder, and optionally the site's base URL so that absolute
links to the site itself (canonical links, the feed, the sitemap) count as
internal. Out: problems at ``output file:line``. The build already checks
what authors write in Markdown; this also covers what the templates and
assets add: navigation, tag links, pagination, ``srcset``, media posters,
widget modules and data, ``#anchors``, the links of ``feed.xml`` and
``sitemap.xml``, ``url()`` in stylesheets and relative imports in scripts.
External links are not fetched: the check must work offline.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from generator.errors import Problems
from generator.links import output_path

#: Attributes that hold one URL, on any element.
URL_ATTRIBUTES = ("href", "src", "poster", "data", "action", "xlink:href",
                  "data-module", "data-src")
#: Attributes whose value is a list of URLs with optional sizes.
SRCSET_ATTRIBUTES = ("srcset", "imagesrcset")
#: Fragments a browser resolves without an element of that id.
BUILT_IN_FRAGMENTS = {"", "top"}
#: Netlify serves this page at any missing address, at any depth.
NOT_FOUND_PAGE = "404.html"
#: The made-up origin that relative URLs are resolved against.
ORIGIN = "http://site.invalid"

CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
CSS_IMPORT = re.compile(r"""@import\s+(['"])([^'"]+)\1""")
JS_IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.{1,2}/[^'"]+)\1""")
XML_TEXT_URL = re.compile(r"<(loc|link|guid)\b[^>]*>\s*([^<\s]+)\s*</\1>")
XML_ATTRIBUTE_URL = re.compile(r"""\b(?:href|src|url|poster)=(["'])([^"']+)\1""")


@dataclass(frozen=True)
class Reference:
    """One URL found in an output file."""

    url: str
    line: int


class _PageScan(HTMLParser):
    """Collect the ids of one page and every URL it refers to."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.references: list[Reference] = []

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        for name, value in attrs:
            if not value:
                continue
            if name == "id":
                self.ids.add(value)
            elif name in URL_ATTRIBUTES and (name != "data" or tag == "object"):
                self.references.append(Reference(value.strip(), line))
            elif name in SRCSET_ATTRIBUTES:
                self.references += [Reference(c.split()[0], line)
                                    for c in value.split(",") if c.strip()]
            elif tag == "meta" and name == "content" and _meta_url(attrs):
                self.references.append(Reference(value.strip(), line))

    handle_startendtag = handle_starttag


def _meta_url(attrs: list[tuple[str, str | None]]) -> bool:
    """Say whether a <meta> holds a URL (og:url, og:image, twitter:image)."""
    kind = dict(attrs).get("property") or dict(attrs).get("name") or ""
    return kind in ("og:url", "og:image", "twitter:image")


def check_site(out: Path, problems: Problems, base_url: str | None = None) -> int:
    """Report broken internal references in ``out``; return the pages checked."""
    scans = {}
    for path in sorted(out.rglob("*.html")):
        scan = _PageScan()
        scan.feed(path.read_text(encoding="utf-8"))
        scans[path.relative_to(out).as_posix()] = scan

    checker = _Checker(out, problems, base_url, {p: s.ids for p, s in scans.items()})
    for page, scan in scans.items():
        checker.check(page, scan.references, anchors=True)
    for name in ("feed.xml", "sitemap.xml"):
        if (out / name).is_file():
            checker.check(name, _xml_references(out / name), anchors=True)
    for path in sorted(out.rglob("*.css")):
        checker.check(path.relative_to(out).as_posix(), _text_references(
            path, CSS_URL, CSS_IMPORT))
    for path in sorted(out.rglob("*.js")):
        checker.check(path.relative_to(out).as_posix(), _text_references(
            path, JS_IMPORT))
    return len(scans)


class _Checker:
    """Resolve references from output files and report those that lead nowhere."""

    def __init__(self, out: Path, problems: Problems, base_url: str | None,
                 ids: dict[str, set[str]]):
        self.out = out
        self.problems = problems
        self.base_url = base_url.rstrip("/") + "/" if base_url else None
        self.ids = ids

    def check(self, name: str, references: list[Reference],
              anchors: bool = False) -> None:
        """Check every reference made by the output file ``name``."""
        for reference in references:
            message = self._broken(name, reference.url, anchors)
            if message:
                self.problems.add(self.out / name, reference.line, message)

    def _broken(self, name: str, url: str, anchors: bool) -> str | None:
        if name == NOT_FOUND_PAGE and not re.match(r"^(?:[a-z][a-z0-9+.-]*:|/|#)",
                                                   url, re.IGNORECASE):
            return (f"'{url}' is relative, but {NOT_FOUND_PAGE} is served at every "
                    "missing address; start it with '/'")
        internal = self._internal(name, url)
        if internal is None:
            return None
        path, fragment = internal
        target = output_path(path)
        if not (self.out / target).is_file():
            return (f"'{url}' points to {target}, which is not in the site; fix "
                    "the address or add the file")
        fragment = unquote(fragment)
        if (anchors and target in self.ids and fragment not in BUILT_IN_FRAGMENTS
                and not fragment.startswith(":~:")
                and fragment not in self.ids[target]):
            return f"'{url}': no element with id '{fragment}' on {target}"
        return None

    def _internal(self, name: str, url: str) -> tuple[str, str] | None:
        """Return (site path, fragment) of an internal URL, None for others."""
        if self.base_url and url.startswith(self.base_url):
            url = "/" + url[len(self.base_url):]
        page = "/" + name.removesuffix("index.html")
        parts = urlsplit(urljoin(ORIGIN + page, url))
        if f"{parts.scheme}://{parts.netloc}" != ORIGIN:
            return None
        return parts.path, parts.fragment


def _xml_references(path: Path) -> list[Reference]:
    """Return the URLs of a feed or sitemap: element text and URL attributes."""
    text = path.read_text(encoding="utf-8")
    found = [(m.start(2), m.group(2)) for m in XML_TEXT_URL.finditer(text)]
    found += [(m.start(2), m.group(2)) for m in XML_ATTRIBUTE_URL.finditer(text)]
    return [Reference(html.unescape(url), text.count("\n", 0, start) + 1)
            for start, url in sorted(found)]


def _text_references(path: Path, *patterns: re.Pattern) -> list[Reference]:
    """Return the URLs that ``patterns`` find (group 2) in a CSS or JS file."""
    text = path.read_text(encoding="utf-8")
    found = sorted((m.start(2), m.group(2)) for pattern in patterns
                   for m in pattern.finditer(text))
    return [Reference(url, text.count("\n", 0, start) + 1)
            for start, url in found if not url.startswith(("data:", "#"))]
