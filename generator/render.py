"""Stage 3: render Documents into pages with the Jinja templates.

In: the Documents of every post and page. Out: a mapping of paths in
``public/`` to bytes: post and page HTML, the home page, one page per tag,
the archive, the 404 page, ``feed.xml``, ``sitemap.xml``, ``robots.txt`` and Netlify's ``_headers``.
Nothing is written here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import jinja2

from generator.config import SiteConfig
from generator.errors import Problems
from generator.parse import Document

RELATIVE_URL = re.compile(r'\b(src|href|poster)="(?![a-z][a-z0-9+.-]*:|/|#)([^"]*)"')


@dataclass(frozen=True)
class Tag:
    """A tag and the posts that carry it, newest first."""

    name: str
    slug: str
    posts: tuple[Document, ...]

    @property
    def url(self) -> str:
        return f"/tags/{self.slug}/"


def tag_slug(name: str) -> str:
    """Return the URL segment of a tag: ``Machine Learning`` -> ``machine-learning``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def reading_minutes(document: Document, config: SiteConfig) -> int:
    """Return the reading time in whole minutes, at least one."""
    return max(1, math.ceil(document.words / config.words_per_minute))


def absolute_html(document: Document, config: SiteConfig) -> str:
    """Return the body HTML with relative URLs made absolute, for the feed."""
    base = config.url(document.source.url)
    return RELATIVE_URL.sub(lambda m: f'{m.group(1)}="{base}{m.group(2)}"',
                            document.html)


def collect_tags(posts: list[Document]) -> list[Tag]:
    """Group posts by tag, tags in alphabetical order."""
    by_slug: dict[str, tuple[str, list[Document]]] = {}
    for post in posts:
        for name in post.source.tags:
            by_slug.setdefault(tag_slug(name), (name, []))[1].append(post)
    return [Tag(name, slug, tuple(docs))
            for slug, (name, docs) in sorted(by_slug.items())]


class Renderer:
    """Render every page of the site from the Documents."""

    def __init__(self, config: SiteConfig, env: jinja2.Environment,
                 problems: Problems, dev_reload: bool = False):
        self.config = config
        self.env = env
        self.problems = problems
        self.env.globals["dev_reload"] = dev_reload
        self.env.globals["tag_slug"] = tag_slug

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

    def render_site(self, posts: list[Document], pages: list[Document]
                    ) -> dict[str, bytes]:
        """Return every rendered output file keyed by its path in public/."""
        posts = sorted(posts, key=lambda d: (d.source.date, d.source.slug),
                       reverse=True)
        tags = collect_tags(posts)
        outputs = []
        for index, post in enumerate(posts):
            newer = posts[index - 1] if index > 0 else None
            older = posts[index + 1] if index + 1 < len(posts) else None
            outputs.append(self.page(
                "post.html", f"posts/{post.source.slug}/index.html", doc=post,
                newer=newer, older=older, minutes=reading_minutes(post, self.config),
                url=post.source.url))
        for page in pages:
            outputs.append(self.page("page.html", f"{page.source.slug}/index.html",
                                     doc=page, url=page.source.url))
        outputs.append(self.page("index.html", "index.html", posts=posts, url="/"))
        outputs.append(self.page("archive.html", "archive/index.html", posts=posts,
                                 url="/archive/"))
        outputs.append(self.page("tags.html", "tags/index.html", tags=tags,
                                 url="/tags/"))
        for tag in tags:
            outputs.append(self.page("tag.html", f"tags/{tag.slug}/index.html",
                                     tag=tag, url=tag.url))
        outputs.append(self.page("404.html", "404.html", url="/404.html"))

        feed_posts = [(post, absolute_html(post, self.config)) for post in posts]
        outputs.append(self.page("feed.xml", "feed.xml", posts=feed_posts,
                                 url="/feed.xml"))
        outputs.append(self.page("sitemap.xml", "sitemap.xml", posts=posts,
                                 pages=pages, tags=tags, url="/sitemap.xml"))
        outputs.append(self.page("robots.txt", "robots.txt", url="/robots.txt"))
        outputs.append(self.page("_headers", "_headers", url="/_headers"))
        return dict(outputs)


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
