"""Gate: with JavaScript off every page shows its text and each widget's default.

With JavaScript off nothing may be hidden that a reader needs: no text
waits for a script, every widget shows the state the build rendered from
its data, and no control that needs a script is on show.
``tests/fixtures/broken-nojs`` breaks each of these once.
"""

from __future__ import annotations

import pytest

from gates import html_pages, nojs_problems, open_page, page_url
from support import FIXTURES, SiteServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def broken():
    """Serve ``tests/fixtures/broken-nojs``; yield its base URL."""
    with SiteServer(FIXTURES / "broken-nojs") as server:
        yield server.url


def test_every_page_shows_its_text_and_widgets_without_javascript(site_dir, site_url,
                                                                  page_nojs):
    found = []
    for path in html_pages(site_dir):
        url = page_url(site_dir, path)
        found += [f"{url}: {f}" for f in nojs_problems(page_nojs, site_url + url)]
    assert not found, "\n".join(found)


def test_no_javascript_gate_reports_hidden_text_empty_and_dead_widgets(broken,
                                                                       page_nojs):
    found = nojs_problems(page_nojs, broken + "/")

    assert found == [
        '<p> "This one waits for a script to reveal it" is hidden',
        "widget #empty shows no default state",
        "widget #dead-controls shows <input type=range>, which needs JavaScript; "
        "render it inside an element with 'hidden'",
    ]


def test_a_widget_with_a_table_default_and_hidden_controls_passes(broken,
                                                                  page_nojs):
    found = nojs_problems(page_nojs, broken + "/")

    assert not [f for f in found if "#good" in f]


def test_console_errors_with_javascript_on_are_reported(broken, page):
    open_page(page, broken + "/")

    assert page.problems == ["console: widget empty did not start: no data"]
