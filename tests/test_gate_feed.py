"""Gate: feed.xml is well-formed, feedparser reads it, and it carries every post.

Each post's entry must hold the full text of the post (every block of its
body) and the default state of each of its widgets, since a feed reader
runs no script. ``tests/fixtures/broken-feed`` has a malformed feed and one
that carries part of one post and forgets the other.
"""

from __future__ import annotations


from gates import feed_problems
from generator.build import build
from support import FIXTURES, make_project

BROKEN = FIXTURES / "broken-feed"


def test_feed_carries_every_post_of_the_site_in_full(site_dir):
    assert feed_problems(site_dir) == []


def test_feed_carries_every_markdown_feature_in_full(tmp_path):
    project = make_project(tmp_path / "project")

    found = feed_problems(build(project).out)

    assert found == []


def test_feed_gate_reports_malformed_xml():
    found = feed_problems(BROKEN / "malformed")

    assert len(found) == 1
    assert found[0].startswith("feed.xml is not well-formed XML: not well-formed "
                               "(invalid token): line 4")


def test_feed_gate_reports_missing_text_widgets_and_posts():
    found = feed_problems(BROKEN / "partial")

    assert found == [
        "feed.xml has no entry for /posts/left-out/",
        'feed entry /posts/with-widget/ lacks the text "The second paragraph does '
        'not."',
        'feed entry /posts/with-widget/ lacks the text "the"',
        'feed entry /posts/with-widget/ lacks the text "0.41"',
        "feed entry /posts/with-widget/ lacks the default state of widget "
        "#next-token-1",
    ]


def test_feed_gate_ignores_the_hidden_controls_of_a_widget():
    found = feed_problems(BROKEN / "partial")

    assert not [f for f in found if "Next token" in f]
