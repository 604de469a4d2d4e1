"""Stage 3: render pages with the Jinja templates.

In: a template, the path of the page and what the template shows (the
Records of posts, tags). Out: the page's bytes, or problems that name the
template file and line. Which pages exist (posts, pages, home, one page per
tag, the archive, 404, ``feed.xml``, ``sitemap.xml``, ``robots.txt``,
Netlify's ``_headers``) is decided in ``stages.py``; nothing is written here.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from urllib.parse import urljoin

import jinja2
from markupsafe import Markup

from generator.config import SiteConfig
from generator.errors import Problems

#: A post's item in the lists of the home and tag pages.
ENTRY_TEMPLATE = "partials/post-entry.html"
#: The templates of the pages about the whole site (see stages.render_stage),
#: which the process that forked the workers renders after the last post.
SITE_TEMPLATES = ("index.html", "archive.html", "tags.html", "tag.html",
                  "sitemap.xml", "feed.xml", "404.html", "robots.txt", "_headers")
#: Without a \b in front, which made the scan try every position (four
#: times slower); absolute_html checks the character before the name.
RELATIVE_URL = re.compile(r'(src|href|poster)="(?![a-z][a-z0-9+.-]*:|//)([^"]*)"')


@dataclass(frozen=True)
class Tag:
    """A tag and the posts that carry it, newest first."""

    name: str
    slug: str
    posts: tuple  # Records, newest first

    @property
    def url(self) -> str:
        return f"/tags/{self.slug}/"


@functools.lru_cache(maxsize=4096)
def tag_slug(name: str) -> str:
    """Return the URL segment of a tag: ``Machine Learning`` -> ``machine-learning``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def reading_minutes(document, config: SiteConfig) -> int:
    """Return the reading time in whole minutes, at least one."""
    return max(1, math.ceil(document.words / config.words_per_minute))


def absolute_html(html: str, url: str, config: SiteConfig) -> str:
    """Return body HTML of the page at ``url`` with relative URLs made absolute."""
    base = config.url(url)

    def absolute(match: re.Match) -> str:
        start = match.start()
        if start and (html[start - 1].isalnum() or html[start - 1] == "_"):
            return match.group(0)  # the end of a longer name, as in "xsrc"
        return f'{match.group(1)}="{urljoin(base, match.group(2))}"'

    return RELATIVE_URL.sub(absolute, html)


def collect_tags(posts: list) -> list[Tag]:
    """Group posts by tag, tags in alphabetical order."""
    by_slug: dict[str, tuple[str, list]] = {}
    for post in posts:
        for name in post.source.tags:
            by_slug.setdefault(tag_slug(name), (name, []))[1].append(post)
    return [Tag(name, slug, tuple(docs))
            for slug, (name, docs) in sorted(by_slug.items())]


class Renderer:
    """Render pages from templates, reporting errors at the template line."""

    def __init__(self, config: SiteConfig, env: jinja2.Environment,
                 problems: Problems, dev_reload: bool = False):
        self.config = config
        self.env = env
        self.problems = problems
        self.env.globals["dev_reload"] = dev_reload
        self.env.globals["tag_slug"] = tag_slug
        self.env.globals["list_entry"] = self.list_entry
        self._entries: dict[str, Markup] = {}

    def list_entry(self, doc) -> Markup:
        """Return a post's item in the lists of the home and tag pages.

        A post shows up on the home page and on a page per tag, the same
        each time, so each item is rendered once; ``doc.meta`` is a digest
        of everything the item shows.
        """
        entry = self._entries.get(doc.meta)
        if entry is None:
            template = self.env.get_template(ENTRY_TEMPLATE)
            entry = self._entries[doc.meta] = Markup(template.render(doc=doc))
        return entry

    def add_entries(self, entries: dict[str, str]) -> None:
        """Take list items that another Renderer made, by ``doc.meta``."""
        self._entries.update((meta, Markup(entry)) for meta, entry in entries.items())

    def entries_of(self, docs) -> dict[str, str]:
        """Return the list items made or taken for ``docs``, by ``doc.meta``."""
        return {doc.meta: str(self._entries[doc.meta]) for doc in docs
                if doc.meta in self._entries}

    def page(self, template: str, output: str, **context) -> tuple[str, bytes]:
        """Render one template to ``(output path, bytes)``; report errors."""
        try:
            text = self.env.get_template(template).render(**context)
        except jinja2.TemplateSyntaxError as error:
            self.problems.add(error.filename or template, error.lineno,
                              f"template syntax error: {error.message}")
            text = ""
        except jinja2.TemplateError as error:
            line = _template_line(error, template)
            self.problems.add(self.config.templates_dir / template, line,
                              f"template error while rendering {output}: {error}")
            text = ""
        except LookupError as error:
            self.problems.add(self.config.templates_dir / template, 0, str(error))
            text = ""
        return output, text.encode("utf-8")


def _template_line(error: Exception, template: str) -> int:
    """Find the template line of a runtime error from its traceback."""
    tb = error.__traceback__
    line = 0
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(template):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
