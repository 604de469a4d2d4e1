"""Gate: Netlify builds with the README's command and the workflow has its shape.

The workflow cannot run here, so its YAML is read and checked: triggers,
the test and precompute steps, the two deploys and how they are guarded,
and the secrets. ``tests/fixtures/broken-publishing`` holds a netlify.toml
and a workflow that get each of these wrong.
"""

from __future__ import annotations

import urllib.request

import pytest

from gates import netlify_problems, workflow_problems
from support import FIXTURES, REPO, SiteServer

BROKEN = FIXTURES / "broken-publishing"


def test_netlify_builds_with_make_site_and_publishes_public():
    assert netlify_problems(REPO / "netlify.toml") == []


def test_workflow_tests_every_change_and_deploys_previews_and_main():
    assert workflow_problems(REPO / ".github" / "workflows" / "site.yml") == []


def test_built_site_has_the_headers_file_and_the_404_page_netlify_serves(site_dir):
    assert (site_dir / "_headers").is_file()
    assert (site_dir / "404.html").is_file()


@pytest.mark.browser
def test_a_missing_address_at_any_depth_gets_the_styled_404_page(site_url, page):
    page.problems = []
    response = page.goto(site_url + "/no/such/page/")

    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert page.evaluate("document.styleSheets.length") >= 1
    assert page.evaluate(
        "getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"


def test_publishing_gate_reports_a_wrong_netlify_toml():
    assert netlify_problems(BROKEN / "netlify.toml") == [
        "netlify.toml: build.command is 'probable build', not the README's "
        "'make site'",
        "netlify.toml: build.publish is 'dist', not 'public'",
        "netlify.toml: [[headers]] here would compete with public/_headers; keep "
        "every header in templates/_headers",
        "netlify.toml: a catch-all 200 rewrite hides the 404 page",
    ]


def test_publishing_gate_reports_a_wrong_workflow():
    assert workflow_problems(BROKEN / "site.yml") == [
        "site.yml: does not run on pull_request",
        "site.yml: push is limited to branches ['main']; run on every push and "
        "pull request",
        "site.yml: no step runs 'probable precompute --check'",
        "site.yml: no deploy preview (netlify deploy without --prod)",
        "site.yml: 'npx netlify-cli deploy --dir=dist --prod --site=${{ vars.SITE "
        "}}' does not deploy public/",
        "site.yml: the production deploy is not limited to main (add if: "
        "github.ref == 'refs/heads/main')",
        "site.yml: never reads the secret NETLIFY_AUTH_TOKEN",
        "site.yml: never reads the secret NETLIFY_SITE_ID",
        "site.yml: NETLIFY_AUTH_TOKEN is written out instead of read from secrets",
    ]


def test_server_for_the_tests_sends_the_headers_file(site_dir):
    with SiteServer(site_dir) as server:
        with urllib.request.urlopen(server.url + "/") as response:
            policy = response.headers["Content-Security-Policy"]

    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
