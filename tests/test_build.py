"""The build end to end on the small fixture project: pages, feed, determinism."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import feedparser

from generator.build import build
from support import tree_bytes


def test_build_writes_every_kind_of_page(project):
    out = build(project).out

    for name in ("index.html", "posts/markdown-tour/index.html",
                 "posts/second-post/index.html", "about/index.html",
                 "tags/index.html", "tags/testing/index.html",
                 "tags/markdown/index.html", "archive/index.html", "404.html",
                 "feed.xml", "sitemap.xml", "robots.txt", "_headers",
                 "posts/markdown-tour/chart.svg", "posts/markdown-tour/clip.mp4"):
        assert (out / name).is_file(), name


def test_home_lists_posts_newest_first_with_summaries(project):
    home = (build(project).out / "index.html").read_text()

    assert home.index("A tour of the Markdown features") < home.index(
        "The second post")
    assert "Every Markdown extension in one post." in home
    assert "A short post so that lists have two entries." in home


def test_tags_with_different_case_share_one_page(project):
    tag_page = (build(project).out / "tags/testing/index.html").read_text()

    assert "A tour of the Markdown features" in tag_page
    assert "The second post" in tag_page


def test_post_page_has_toc_reading_time_and_neighbours(project):
    html = (build(project).out / "posts/markdown-tour/index.html").read_text()

    assert '<a href="#tables-and-code">Tables and code</a>' in html
    assert '<a href="#callouts">Callouts</a>' in html
    assert "1 min read" in html
    assert '<a rel="prev" href="/posts/second-post/">' in html


def test_post_page_has_canonical_and_social_meta(project):
    html = (build(project).out / "posts/markdown-tour/index.html").read_text()

    url = "https://example.test/posts/markdown-tour/"
    assert f'<link rel="canonical" href="{url}">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert f'<meta property="og:image" content="{url}chart.svg">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html


def test_assets_are_fingerprinted_and_referenced(project):
    out = build(project).out
    html = (out / "index.html").read_text()

    css = [p for p in (out / "assets/css").glob("site.*.css")]
    assert len(css) == 1
    assert f'href="/assets/css/{css[0].name}"' in html
    assert "callout--warning" in css[0].read_text()  # site.css is in the bundle


def test_pages_request_nothing_from_other_hosts(project):
    out = build(project).out

    # What a browser fetches by itself: src, poster and <link href>. Links
    # that a reader follows (<a href>) may point anywhere.
    fetched = re.compile(r'(?:\bsrc|\bposter|<link[^>]*\bhref)="(https?:)?//([^/"]+)')
    for path in out.rglob("*.html"):
        for match in fetched.finditer(path.read_text()):
            assert match.group(2) == "example.test", f"{path}: {match.group(0)}"


def test_feed_carries_full_content_for_feed_readers(project):
    out = build(project).out
    ET.parse(out / "feed.xml")  # well-formed XML

    feed = feedparser.parse((out / "feed.xml").read_bytes())

    assert not feed.bozo, feed.bozo_exception
    assert [e.title for e in feed.entries] == ["A tour of the Markdown features",
                                               "The second post"]
    tour = feed.entries[0]
    html = [c.value for c in tour.content if c.type == "text/html"]
    assert len(html) == 1
    content = html[0]
    assert "<table>" in content and "The footnote text." in content
    assert 'src="https://example.test/posts/markdown-tour/chart.svg"' in content
    assert tour.author == "Ada Example"
    assert {t.term for t in tour.tags} == {"Testing", "markdown"}
    assert tour.media_content[0]["url"] == (
        "https://example.test/posts/markdown-tour/chart.svg")
    assert feed.feed.links[-1].rel == "self" or any(
        link.rel == "self" for link in feed.feed.links)


def test_sitemap_lists_every_page(project):
    out = build(project).out
    tree = ET.parse(out / "sitemap.xml")

    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {loc.text for loc in tree.findall(".//s:loc", ns)}
    assert "https://example.test/posts/markdown-tour/" in locs
    assert "https://example.test/about/" in locs
    assert "https://example.test/tags/testing/" in locs


def test_drafts_are_left_out_unless_asked(project):
    draft = project / "content/posts/unfinished/index.md"
    draft.parent.mkdir()
    draft.write_text("---\ntitle: Unfinished\ndate: 2026-03-01\ndraft: true\n---\n"
                     "Not yet.\n")

    assert not (build(project).out / "posts/unfinished").exists()
    assert (build(project, drafts=True).out / "posts/unfinished").exists()


def test_building_twice_gives_identical_bytes(project, tmp_path):
    first = tree_bytes(build(project, out=tmp_path / "one").out)
    second = tree_bytes(build(project, out=tmp_path / "two").out)

    assert first.keys() == second.keys()
    assert [n for n in first if first[n] != second[n]] == []


def test_feed_html_gets_absolute_urls_only_in_whole_attributes(project):
    from generator.config import load_config
    from generator.render import absolute_html

    config = load_config(project)
    html = ('<a href="other/">a</a> <img src="pic.png" data-src="d.json"> '
            '<x xsrc="keep" _href="keep"> <a href="https://e.org/">e</a>')

    made = absolute_html(html, "/posts/one/", config)

    base = config.url("/posts/one/")
    assert f'href="{base}other/"' in made and f'src="{base}pic.png"' in made
    assert f'data-src="{base}d.json"' in made  # a name after "-" counts
    assert 'xsrc="keep"' in made and '_href="keep"' in made
    assert 'href="https://e.org/"' in made


def test_workers_compile_the_templates_of_the_whole_site_pages(project, monkeypatch):
    # Worker processes compile SITE_TEMPLATES ahead for the pages rendered
    # after the last post (jobs._warm); a page added there must be added
    # to them, or its template is compiled late, alone, in every clean build.
    from generator import render, stages

    rendered, original = set(), render.Renderer.page

    def page(self, template, output, **context):
        rendered.add(template)
        return original(self, template, output, **context)

    real_stage = stages.render_stage

    def render_stage(*args, **kwargs):
        monkeypatch.setattr(render.Renderer, "page", page)
        try:
            return real_stage(*args, **kwargs)
        finally:
            monkeypatch.setattr(render.Renderer, "page", original)

    monkeypatch.setattr(stages, "render_stage", render_stage)
    build(project)
    assert rendered == set(render.SITE_TEMPLATES)
