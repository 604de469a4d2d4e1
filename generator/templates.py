"""The Jinja environment shared by widget rendering and page rendering."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import jinja2
from markupsafe import Markup

from generator.config import SiteConfig
from generator.mathml import to_mathml


def _math(latex: str, display: bool = False) -> Markup:
    return Markup(to_mathml(latex, display=display))


def _percent(value: float, decimals: int = 1) -> str:
    return f"{value * 100:.{decimals}f}%"


def _date(value: dt.date, style: str = "long") -> str:
    if style == "iso":
        return value.isoformat()
    if style == "rfc822":
        return value.strftime("%a, %d %b %Y 00:00:00 +0000")
    return f"{value.day} {value.strftime('%B %Y')}"


@jinja2.pass_context
def _absolute(context, path: str) -> str:
    """Return ``path`` as an absolute URL on the site.

    It takes the context, and so the configuration, for a reason: Jinja
    computes a plain filter of a constant (``'/feed.xml' | absolute``) when
    it compiles the template, and the bytecode cache would then keep an old
    base_url after site.toml changes. Filters given the context are never
    computed ahead.
    """
    return context["site"].url(path)


def _bytecode_dir(config: SiteConfig) -> str:
    # Compiled templates bake in how each filter is called (with the context
    # or not), so they are kept per version of this file, which registers
    # the filters; Jinja itself checks the template's source and version.
    folder = config.cache_dir / "jinja" / _FILTERS_VERSION
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


_FILTERS_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


#: The last environment this process made, under the key it was made for.
_last: tuple[str, jinja2.Environment] | None = None


def create_environment(
    config: SiteConfig, asset_url: Callable[[str], str], key: str = ""
) -> jinja2.Environment:
    """Return the Jinja environment over ``templates/`` with Probable's filters.

    ``key``, when given, is a checksum over all that the environment and
    its templates depend on (the templates, site.toml, the asset URLs, the
    code). While it stays the same, this process's last environment is
    returned again, with its templates compiled: ``probable serve`` builds
    on every save, and loading the compiled templates cost 2 ms of each.
    """
    global _last
    key = f"{config.root}\0{key}" if key else ""
    if key and _last is not None and _last[0] == key and os.path.isdir(
            _last[1].bytecode_cache.directory):  # not deleted with .cache/
        return _last[1]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(config.templates_dir),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # An environment serves one build, or several whose templates are
        # the same (the key): no stat of the file each time a page asks.
        auto_reload=False,
        # Compiled templates are kept between builds; Jinja uses one only
        # while a checksum of the template's source still matches.
        bytecode_cache=jinja2.FileSystemBytecodeCache(_bytecode_dir(config)),
    )
    env.filters["math"] = _math
    env.filters["percent"] = _percent
    env.filters["date"] = _date
    env.filters["absolute"] = _absolute
    env.globals["asset"] = asset_url
    env.globals["site"] = config
    if key:
        _last = (key, env)
    return env
