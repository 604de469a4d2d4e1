"""Gate: the W3C Nu HTML Checker finds no error on any built page.

One Java call checks the repository's site, the ``basic`` fixture site
(which uses every Markdown feature) and the broken fixture together.
"""

from __future__ import annotations

import pytest

from gates import html_errors, html_pages, vnu_messages
from generator.build import build
from support import FIXTURES, make_project

BROKEN = FIXTURES / "broken-html"


@pytest.fixture(scope="module")
def basic_site(tmp_path_factory):
    """Build the ``basic`` fixture project; return its output folder."""
    project = make_project(tmp_path_factory.mktemp("basic") / "project")
    return build(project).out


@pytest.fixture(scope="module")
def messages(site_dir, basic_site):
    """Run the checker once over every page of all three folders."""
    return vnu_messages([site_dir, basic_site, BROKEN.resolve()])


def test_every_page_of_the_site_is_valid_html(site_dir, messages):
    assert html_pages(site_dir)
    errors = html_errors(messages, site_dir)
    assert not errors, "\n".join(errors)


def test_every_markdown_feature_renders_to_valid_html(basic_site, messages):
    errors = html_errors(messages, basic_site)
    assert not errors, "\n".join(errors)


def test_checker_reports_each_mistake_of_the_broken_page(messages):
    errors = html_errors(messages, BROKEN.resolve())

    assert [e.split(":")[1] for e in errors] == ["10", "11", "15", "17"]
    assert "Duplicate ID “top”" in errors[0]
    assert "must have an “alt” attribute" in errors[1]
    assert "not allowed as child of element “figure”" in errors[2]
    assert "“button” must not appear as a descendant of the “a”" in errors[3]
