"""Gate: a strict Content-Security-Policy ships and nothing on the site breaks it.

``_headers`` must send a policy without 'unsafe-inline', 'unsafe-eval' or
wildcards, every page must carry the same policy in a meta tag, no page may
hold inline script, event handlers or style attributes, and with the policy
enforced (the test server sends ``_headers``) no page may raise a
violation or a console error. ``tests/fixtures/broken-csp`` has a served
page that breaks the policy in six ways and a folder whose policy is weak.
"""

from __future__ import annotations

import pytest

from gates import csp_static_problems, csp_violations, html_pages, open_page, page_url
from support import FIXTURES, SiteServer

BROKEN = FIXTURES / "broken-csp"


def test_headers_send_a_strict_policy_that_every_page_repeats(site_dir):
    found = csp_static_problems(site_dir)
    assert not found, "\n".join(found)


@pytest.mark.browser
def test_no_page_raises_a_violation_or_console_error_under_the_policy(
        site_dir, site_url, page):
    found = []
    for path in html_pages(site_dir):
        url = page_url(site_dir, path)
        open_page(page, site_url + url)
        found += [f"{url}: CSP: {v}" for v in csp_violations(page)]
        found += [f"{url}: {p}" for p in page.problems]
        page.problems.clear()
    assert not found, "\n".join(found)


def test_static_check_reports_inline_code_and_a_missing_meta_policy():
    found = csp_static_problems(BROKEN / "served")

    assert found == [
        "index.html:7: a <style> element",
        "index.html:8: an inline <script>",
        "index.html:13: <h1> has a style attribute",
        "index.html:14: <button> has the event handler onclick=",
        "index.html:15: <a> has a javascript: URL",
        "index.html: no <meta http-equiv=Content-Security-Policy>",
    ]


def test_static_check_reports_a_weak_policy_and_meta_tags_that_differ():
    found = csp_static_problems(BROKEN / "policy")

    assert found == [
        "_headers: script-src allows 'unsafe-inline'; allow only 'none' or 'self'",
        "_headers: style-src allows https:; allow only 'none' or 'self'",
        "_headers: no object-src directive",
        "_headers: no frame-ancestors directive",
        "index.html: the meta policy differs from _headers; make "
        "templates/partials/csp.html match templates/_headers (less "
        "frame-ancestors)",
        "other.html: no <meta http-equiv=Content-Security-Policy>",
    ]


@pytest.mark.browser
def test_enforced_policy_records_every_violation_of_the_broken_page(page):
    with SiteServer(BROKEN / "served") as server:
        open_page(page, server.url + "/")
        violations = csp_violations(page)

    assert [v.split(" (")[0] for v in violations] == [
        "style-src-elem blocked inline",
        "script-src-elem blocked inline",
        "style-src-attr blocked inline",
        "script-src-attr blocked inline",
        "script-src blocked eval",
        "style-src-attr blocked inline",
    ]
    assert len(page.problems) == 5  # Chromium's console line for each but eval
