"""Static assets: copy ``static/``, bundle the CSS, fingerprint CSS and JS.

In: the static folder. Out: :class:`Assets`, the bytes of every output file
keyed by its path in ``public/`` and a map from a logical name
(``css/site.css``) to its fingerprinted URL
(``/assets/css/site.3f2a9c1b7e.css``). Templates reach that map through
the ``asset()`` helper, so a changed file always gets a new URL and
``/assets/`` can be cached forever.

Every file is also published under its plain name in ``/static/`` (served
with revalidation), for links that must not change between builds.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pygments.formatters import HtmlFormatter

FINGERPRINTED = (".css", ".js")
#: Pygments styles for highlighted code in the dark and the light theme.
CODE_STYLES = ("github-dark", "default")


@dataclass
class Assets:
    """Output files of static assets and the URLs templates refer to."""

    files: dict[str, bytes] = field(default_factory=dict)  # public path -> bytes
    urls: dict[str, str] = field(default_factory=dict)  # logical name -> URL

    def url(self, name: str) -> str:
        """Return the fingerprinted URL of ``name``, e.g. ``js/widgets.js``."""
        try:
            return self.urls[name]
        except KeyError:
            raise LookupError(f"asset '{name}' not found in static/; add the "
                              "file or fix the name") from None


def _fingerprint(name: str, content: bytes) -> str:
    digest = hashlib.sha256(content).hexdigest()[:10]
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{digest}.{suffix}"


@functools.cache
def code_css() -> bytes:
    """Return Pygments CSS for both colour schemes.

    Each style sits in its own media query: the two styles colour different
    sets of token classes, so layering light over dark would leave some
    tokens dark-on-light.
    """
    dark, light = (HtmlFormatter(style=s).get_style_defs(".highlight")
                   for s in CODE_STYLES)
    return (f"@media not all and (prefers-color-scheme: light) {{\n{dark}\n}}\n"
            f"@media (prefers-color-scheme: light) {{\n{light}\n}}\n").encode()


def bundle_css(static_dir: Path) -> bytes:
    """Concatenate site.css, the widget stylesheets and the code colours."""
    parts = [(static_dir / "css" / "site.css").read_bytes()]
    for path in sorted((static_dir / "css" / "widgets").glob("*.css")):
        parts.append(f"/* {path.name} */\n".encode() + path.read_bytes())
    parts.append(code_css())
    return b"\n".join(parts)


def collect_assets(static_dir: Path) -> Assets:
    """Read every file under ``static_dir`` and prepare the outputs."""
    assets = Assets()
    for path in sorted(p for p in static_dir.rglob("*") if p.is_file()):
        name = path.relative_to(static_dir).as_posix()
        if name.startswith("css/widgets/"):
            continue  # bundled into css/site.css below
        content = bundle_css(static_dir) if name == "css/site.css" else (
            path.read_bytes())
        assets.files[f"static/{name}"] = content
        if path.suffix in FINGERPRINTED:
            public = f"assets/{_fingerprint(name, content)}"
            assets.files[public] = content
            assets.urls[name] = "/" + public
        else:
            assets.urls[name] = f"/static/{name}"
    return assets
