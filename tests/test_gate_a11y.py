"""Gate: axe-core finds no violation, and everything works by keyboard.

Every page of the repository's site and of the ``basic`` fixture site
(every Markdown feature) is checked with every axe rule in the dark theme
and for colour contrast in the light one; Tab must reach every control and
show where focus is; every widget is operated with keys alone and checked
again afterwards. ``tests/fixtures/broken-a11y`` breaks each rule once.
"""

from __future__ import annotations

import pytest

from gates import (axe_problems, html_pages, open_page, operate_widget, page_url,
                   tab_through, unreachable_controls, widget_ids)
from generator.build import build
from support import FIXTURES, SiteServer, make_project

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["site", "basic"])
def served(request, tmp_path_factory):
    """Yield (folder, base URL) of the repository's site, then the basic fixture's."""
    if request.param == "site":
        yield request.getfixturevalue("site_dir"), request.getfixturevalue(
            "site_url")
        return
    project = make_project(tmp_path_factory.mktemp("basic") / "project")
    out = build(project).out
    with SiteServer(out) as server:
        yield out, server.url


@pytest.fixture(scope="module")
def broken():
    """Serve ``tests/fixtures/broken-a11y``; yield its base URL."""
    with SiteServer(FIXTURES / "broken-a11y") as server:
        yield server.url


SCHEMES = ("dark", "light")


def _pages(folder, having: str = ""):
    return [page_url(folder, path) for path in html_pages(folder)
            if having in path.read_text(encoding="utf-8")]


def test_every_page_passes_axe_in_the_dark_and_the_light_theme(served, page):
    folder, url = served
    found = []
    for path in _pages(folder):
        for scheme in SCHEMES:
            open_page(page, url + path, scheme)
            found += [f"{path}: {v}" for v in axe_problems(page)]
    assert not found, "\n".join(found)


def test_tab_reaches_every_control_and_shows_focus_on_every_page(served, page):
    folder, url = served
    found = []
    for path in _pages(folder):
        open_page(page, url + path)
        stops, focus = tab_through(page)
        assert stops, f"{path}: Tab reaches nothing, not even the skip link"
        found += [f"{path}: {f}" for f in focus + unreachable_controls(page)]
    assert not found, "\n".join(found)


def test_every_widget_works_by_keyboard_and_passes_axe_once_used(site_dir, site_url,
                                                                 page):
    found, widgets = [], set()
    for path in _pages(site_dir, having="data-widget"):
        for scheme in SCHEMES:
            open_page(page, site_url + path, scheme)
            for widget in widget_ids(page):
                widgets.add((path, widget))
                operated = operate_widget(page, widget)
                found += [f"{path}: {scheme}: {f}" for f in operated]
                found += [f"{path}: #{widget} once used: {v}"
                          for v in axe_problems(page, f"#{widget}")]
            found += [f"{path}: {p}" for p in page.problems]
            page.problems.clear()
    if not widgets:
        pytest.skip("the site has no widget yet")
    assert not found, "\n".join(found)


def test_axe_reports_a_missing_alt_and_low_contrast_in_each_theme(broken, page):
    found = []
    for scheme in SCHEMES:
        open_page(page, broken + "/", scheme)
        found += axe_problems(page)

    assert [f.split(":")[0:2] for f in found] == [
        ["dark", " color-contrast (serious)"], ["dark", " image-alt (critical)"],
        ["light", " color-contrast (serious)"]]
    assert ".dim-dark" in found[0] and ".dim-light" in found[2]


def test_axe_reports_a_widget_that_breaks_only_once_operated(broken, page):
    open_page(page, broken + "/")
    assert axe_problems(page, "#grows") == []

    assert operate_widget(page, "grows") == []
    found = axe_problems(page, "#grows")

    assert len(found) == 1 and found[0].startswith("dark: label (critical)")


def test_keyboard_gate_reports_a_mouse_only_control_and_a_hidden_focus(broken, page):
    open_page(page, broken + "/")

    stops, focus = tab_through(page)

    assert focus == ['<a> "A link without a focus ring" shows no visible focus '
                     'indicator']
    assert unreachable_controls(page) == ['<div> "Click me" cannot be reached '
                                          'with Tab']
    assert operate_widget(page, "mouse-only") == [
        "widget #mouse-only: no key pressed on its 1 control(s) changed what it "
        "shows"]


def test_a_widget_that_follows_the_contract_passes_every_check(broken, page):
    open_page(page, broken + "/")
    stops, _ = tab_through(page)

    assert '<button> "Add one"' in stops
    assert operate_widget(page, "counter") == []
    assert axe_problems(page, "#counter") == []
    assert page.problems == []
