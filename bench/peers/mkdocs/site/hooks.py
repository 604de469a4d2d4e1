"""Give MkDocs what Probable writes and MkDocs lacks: post lists, tags, a feed.

Posts are collected as MkDocs renders their Markdown; once every page is
rendered, the home page gets the list of posts, and the tag pages, the tag
index, the archive and ``feed.xml`` are written with the theme's template.
"""

from __future__ import annotations

import html
import itertools
from pathlib import Path
from types import SimpleNamespace

POSTS: list = []


def on_pre_build(config) -> None:
    POSTS.clear()


def on_page_content(content, page, config, files):
    if page.file.src_uri.startswith("posts/"):
        POSTS.append(page)
    return content


def _post_list(posts) -> str:
    items = []
    for page in posts:
        tags = "".join(f'<li><a href="/tags/{t}/">{t}</a></li>'
                       for t in page.meta["tags"])
        items.append(
            f'<li><article><h2><a href="/{page.url}">{html.escape(page.title)}</a>'
            f'</h2><p class="post-meta"><time>{page.meta["date"]}</time></p>'
            f'<ul class="tags">{tags}</ul><p class="summary">'
            f'{html.escape(page.meta["summary"])}</p></article></li>')
    return '<ol class="post-list" reversed>\n' + "\n".join(items) + "\n</ol>"


def _newest_first():
    return sorted(POSTS, key=lambda p: p.meta["date"], reverse=True)


def on_page_context(context, page, config, nav):
    if page.is_homepage:
        page.content = (f"<h1>{config.site_name}</h1>\n"
                        + _post_list(_newest_first()))
    return context


def _write_page(config, path: str, title: str, content: str) -> None:
    template = config.theme.get_env().get_template("main.html")
    page = SimpleNamespace(title=title, meta={}, content=content,
                           is_homepage=False, canonical_url=config.site_url + path)
    target = Path(config.site_dir) / path / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(template.render(page=page, config=config), encoding="utf-8")


def _feed(config, posts) -> str:
    items = []
    for page in posts:
        categories = "".join(f"<category>{t}</category>" for t in page.meta["tags"])
        body = page.content.replace("]]>", "]]]]><![CDATA[>")
        items.append(
            f"<item><title>{html.escape(page.title)}</title>"
            f"<link>{page.canonical_url}</link>"
            f'<guid isPermaLink="true">{page.canonical_url}</guid>'
            f"<pubDate>{page.meta['date']}</pubDate>{categories}"
            f"<description>{html.escape(page.meta['summary'])}</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>{config.site_name}</title><link>{config.site_url}</link>"
            f"<description>{config.site_description}</description>"
            + "\n".join(items) + "</channel></rss>\n")


def on_post_build(config) -> None:
    posts = _newest_first()
    tags: dict[str, list] = {}
    for page in posts:
        for tag in page.meta["tags"]:
            tags.setdefault(tag, []).append(page)
    for tag, tagged in sorted(tags.items()):
        _write_page(config, f"tags/{tag}/", f"Tagged “{tag}”",
                    f"<h1>Tagged “{tag}”</h1>\n" + _post_list(tagged))
    index = "".join(f'<li><a href="/tags/{t}/">{t}</a> ({len(p)})</li>'
                    for t, p in sorted(tags.items()))
    _write_page(config, "tags/", "Tags", f'<h1>Tags</h1><ul class="tag-index">'
                f"{index}</ul>")

    sections = []
    for year, group in itertools.groupby(posts, key=lambda p: str(p.meta["date"])[:4]):
        links = "".join(f'<li><time>{p.meta["date"]}</time> <a href="/{p.url}">'
                        f"{html.escape(p.title)}</a></li>" for p in group)
        sections.append(f'<section><h2 id="year-{year}">{year}</h2>'
                        f'<ul class="archive">{links}</ul></section>')
    _write_page(config, "archive/", "Archive", "<h1>Archive</h1>" + "".join(sections))
    # The newest 20 posts in full, as Probable's feed (feed_items).
    (Path(config.site_dir) / "feed.xml").write_text(_feed(config, posts[:20]),
                                                    encoding="utf-8")
