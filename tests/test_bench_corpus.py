"""The benchmark corpus (bench/corpus.py): deterministic, shaped like the issue's."""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest

from generator.build import build
from support import REPO, tree_bytes

_spec = importlib.util.spec_from_file_location("bench_corpus",
                                               REPO / "bench" / "corpus.py")
corpus = sys.modules["bench_corpus"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)


@pytest.fixture(scope="module")
def posts() -> list:
    """Return the first 40 posts of the default seed."""
    return corpus.make_posts(40)


def test_same_seed_writes_the_same_bytes(tmp_path):
    corpus.write_corpus(12, tmp_path / "a", seed=7)
    corpus.write_corpus(12, tmp_path / "b", seed=7)
    corpus.write_corpus(12, tmp_path / "c", seed=8)

    first, second = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert first == second
    assert first != tree_bytes(tmp_path / "c")
    assert {p.stat().st_mtime for p in (tmp_path / "a").rglob("*.md")} == {
        corpus.MTIME}


def test_a_post_does_not_depend_on_the_corpus_size(posts):
    assert corpus.make_posts(5) == posts[:5]


def test_posts_are_about_eleven_kilobytes(posts):
    sizes = [len(post.body.encode()) for post in posts]

    assert all(10_500 <= size <= 12_500 for size in sizes), sizes
    assert 10_800 <= sum(sizes) / len(sizes) <= 11_800


def test_every_post_has_headings_lists_code_a_table_and_links(posts):
    for post in posts[1:]:
        body = post.body
        assert len(re.findall(r"^## ", body, re.MULTILINE)) >= 5
        assert re.search(r"^### ", body, re.MULTILINE)
        assert len(re.findall(r"^- ", body, re.MULTILINE)) >= 4
        assert re.search(r"^    - ", body, re.MULTILINE)
        assert re.search(r"^1\. ", body, re.MULTILINE)
        assert body.count("```python\n") == 1
        assert re.search(r"^\|:-+\|-+:\|", body, re.MULTILINE)
        assert len(re.findall(r"^\| ", body, re.MULTILINE)) == 7
        assert re.search(r"\]\(/posts/[a-z0-9-]+/\)", body)
        assert re.search(r"\]\(https://", body)


def test_every_generator_gets_every_post(tmp_path):
    written = corpus.write_corpus(6, tmp_path)
    layouts = {
        "probable": "content/posts/{}/index.md",
        "hugo": "content/posts/{}.md",
        "eleventy": "posts/{}.md",
        "pelican": "content/posts/{}.md",
        "mkdocs": "docs/posts/{}.md",
    }

    for name, pattern in layouts.items():
        for post in written:
            text = (tmp_path / name / pattern.format(post.slug)).read_text()
            assert post.title in text and text.endswith(post.body), (name, post.slug)


def test_probable_builds_the_corpus_strictly(tmp_path):
    written = corpus.write_corpus(8, tmp_path, generators=("probable",))

    result = build(tmp_path / "probable", strict=True)

    assert result.posts == len(written)
    for post in written:
        assert (result.out / "posts" / post.slug / "index.html").is_file()
