"""Gate: each article page stays within its weight budget, gzipped.

A page's weight is its HTML plus every stylesheet, script (with the modules
it imports), widget module and widget data file it loads, each gzipped;
images are left out. ``gates.BUDGET`` holds the limits;
``python tests/gates.py weight public`` prints the figures.
``tests/fixtures/broken-weight`` has a page whose widget data the test
makes too heavy.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import shutil

import pytest

from gates import BUDGET, article_weights, page_weight, weight_problems
from support import FIXTURES


def test_every_article_page_is_within_its_budget(site_dir):
    weights = article_weights(site_dir)
    if not weights:
        pytest.skip("the site has no article yet")

    found = weight_problems(weights)

    assert not found, "\n".join(found + [str(w) for w in weights])


@pytest.fixture
def heavy_site(tmp_path):
    """Copy broken-weight and give its widget 420 KB of random numbers."""
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "broken-weight", site)
    numbers = random.Random(0)
    data = [round(numbers.random(), 4) for _ in range(60_000)]
    target = site / "data" / "heavy" / "heavy-1.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(data))
    return site


def test_weight_counts_html_css_imported_js_and_data_but_no_images(heavy_site):
    weight = page_weight(heavy_site, heavy_site / "posts/heavy/index.html")

    assert weight.page == "/posts/heavy/"
    assert 0 < weight.css < 100
    scripts = ("widgets.js", "start.js", "heavy.js")
    assert weight.js == sum(len(gzip.compress((heavy_site / "assets" / name)
                                              .read_bytes(), 6, mtime=0))
                            for name in scripts)
    assert weight.data > BUDGET["data"]


def test_weight_gate_reports_a_page_over_budget(heavy_site):
    found = weight_problems(article_weights(heavy_site))

    assert len(found) == 2
    assert re.fullmatch(r"/posts/heavy/: data is 1\d\d\.\d KB gzipped, over the "
                        r"budget of 60 KB", found[0])
    assert re.fullmatch(r"/posts/heavy/: total is 1\d\d\.\d KB gzipped, over the "
                        r"budget of 100 KB", found[1])
