"""Gate: no internal link, ``#anchor`` or asset reference in the built site is broken.

``generator/check.py`` (``probable check``) reads every output file: the
pages' links, images, ``srcset``, posters, scripts, widget modules and
data, the links of the feed and the sitemap, ``url()`` in stylesheets and
relative imports in scripts. ``tests/fixtures/broken-links`` holds a built
site with one broken reference of each kind, and a project whose
navigation (rendered only by the templates) leads nowhere.
"""

from __future__ import annotations

from generator.build import build
from generator.check import check_site
from generator.cli import main
from generator.config import load_config
from generator.errors import Problems
from support import FIXTURES, REPO, make_project

BROKEN = FIXTURES / "broken-links"


def _check(out, base_url):
    problems = Problems(out)
    pages = check_site(out, problems, base_url)
    return pages, [str(p) for p in problems.items]


def test_every_internal_reference_of_the_site_resolves(site_dir):
    pages, found = _check(site_dir, load_config(REPO).base_url)

    assert pages > 0
    assert not found, "\n".join(found)


def test_every_reference_of_the_markdown_features_resolves(tmp_path):
    project = make_project(tmp_path / "project")
    out = build(project).out

    pages, found = _check(out, load_config(project).base_url)

    assert not found, "\n".join(found)


def test_link_check_reports_every_kind_of_broken_reference():
    site = (BROKEN / "site").resolve()
    missing = "which is not in the site; fix the address or add the file"

    pages, found = _check(site, "https://example.test/")

    assert pages == 3
    assert found == [
        "404.html:4: 'assets/site.css' is relative, but 404.html is served at "
        "every missing address; start it with '/'",
        f"index.html:6: 'https://example.test/gone/' points to gone/index.html, "
        f"{missing}",
        f"index.html:12: '/posts/second/' points to posts/second/index.html, "
        f"{missing}",
        "index.html:13: '/posts/first/#method': no element with id 'method' on "
        "posts/first/index.html",
        f"index.html:15: '/assets/chart@2x.png' points to assets/chart@2x.png, "
        f"{missing}",
        f"index.html:16: '/assets/poster.png' points to assets/poster.png, {missing}",
        f"index.html:17: '/data/first/softmax-1.json' points to "
        f"data/first/softmax-1.json, {missing}",
        f"feed.xml:14: 'https://example.test/posts/draft/' points to "
        f"posts/draft/index.html, {missing}",
        f"sitemap.xml:4: 'https://example.test/tags/' points to tags/index.html, "
        f"{missing}",
        f"assets/site.css:1: 'fonts/body.woff2' points to assets/fonts/body.woff2, "
        f"{missing}",
        f"assets/widgets.js:2: './start.js' points to assets/start.js, {missing}",
    ]


def test_probable_check_fails_on_navigation_that_leads_nowhere(tmp_path, capsys):
    project = make_project(tmp_path / "project", "broken-links/project")

    status = main(["--root", str(project), "check"])

    assert status == 1
    errors = capsys.readouterr().err
    assert "index.html:" in errors
    assert "'/projects/' points to projects/index.html, which is not in the site" in (
        errors)
