"""Session fixtures: one build of the repository's site, a server, a browser.

The expensive build happens once per session (``site_dir``); browser tests
share one Chromium (``browser``) and get a fresh page each. Pages record
console errors and CSP violations in ``page.problems`` so that tests can
assert there are none.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.build import build
from support import CHROMIUM, CHROMIUM_ARGS, REPO, SiteServer, make_project


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    """Build the repository's site once; return the output folder."""
    out = tmp_path_factory.mktemp("site") / "public"
    build(REPO, out=out)
    return out


@pytest.fixture(scope="session")
def site_url(site_dir):
    """Serve ``site_dir`` on 127.0.0.1 with the headers of ``_headers``."""
    with SiteServer(site_dir) as server:
        yield server.url


@pytest.fixture
def project(tmp_path) -> Path:
    """Return a fresh copy of the small fixture project ``tests/fixtures/basic``."""
    return make_project(tmp_path / "project")


@pytest.fixture(scope="session")
def browser():
    """Launch Debian's Chromium through Playwright once per session."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing; install it with apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _watched_page(context):
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(
        f"console: {m.text}"))
    page.on("pageerror", lambda e: page.problems.append(f"pageerror: {e}"))
    return page


@pytest.fixture
def page(browser):
    """A fresh page with JavaScript on; ``page.problems`` collects errors."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    yield _watched_page(context)
    context.close()


@pytest.fixture
def page_nojs(browser):
    """A fresh page with JavaScript disabled."""
    context = browser.new_context(java_script_enabled=False,
                                  viewport={"width": 1100, "height": 900})
    yield _watched_page(context)
    context.close()
