"""Cached, no-op and one-edit builds write exactly what a clean build writes."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from support import tree_bytes

from generator import jobs
from generator.build import build
from generator.config import load_config
from generator.jobs import Setup, Workers


def clean_build(project, tmp_path, name: str) -> dict[str, bytes]:
    """Build ``project`` with an empty cache into a fresh folder."""
    copy = tmp_path / name
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".cache",
                                                                 "public"))
    return tree_bytes(build(copy).out)


def test_no_op_rebuild_writes_nothing_and_matches_a_clean_build(project, tmp_path):
    build(project)
    before = {p: p.stat().st_mtime_ns for p in (project / "public").rglob("*")}

    result = build(project)

    assert result.written == 0
    assert {p: p.stat().st_mtime_ns for p in (project / "public").rglob("*")} == (
        before)
    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "c")


EDITS = {
    "body of a post": ("content/posts/second-post/index.md", "Nothing more to say.",
                       "Something more to say.",
                       {"posts/second-post/index.html", "feed.xml"}),
    "title of a post": ("content/posts/second-post/index.md", "title: The second post",
                        "title: The 2nd post",
                        {"posts/second-post/index.html", "index.html",
                         "archive/index.html", "tags/testing/index.html",
                         "posts/markdown-tour/index.html", "feed.xml"}),
    "a template": ("templates/404.html", "There is no page", "Nothing lives",
                   {"404.html"}),
    "the stylesheet": ("static/css/site.css", "--radius: 8px;", "--radius: 6px;",
                       None),
    "site.toml": ("site.toml", 'title = "Fixture Site"', 'title = "Renamed Site"',
                  None),
}


@pytest.mark.parametrize("case", EDITS, ids=list(EDITS))
def test_one_edit_rewrites_exactly_what_depends_on_it(project, tmp_path, case):
    name, old, new, expected = EDITS[case]
    build(project)
    before = tree_bytes(project / "public")
    path = project / name
    path.write_text(path.read_text().replace(old, new))

    result = build(project)

    after = tree_bytes(project / "public")
    changed = {n for n in after if before.get(n) != after[n]}
    if expected is not None:
        assert changed == expected
    assert result.written == len(changed)
    assert after == clean_build(project, tmp_path, "clean")


def test_adding_and_removing_a_post_updates_every_list(project, tmp_path):
    build(project)
    extra = project / "content/posts/third-post/index.md"
    extra.parent.mkdir()
    extra.write_text("---\ntitle: Third\ndate: 2026-05-01\ntags: [new]\n---\nHi.\n")

    build(project)
    assert (project / "public/tags/new/index.html").exists()
    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "one")

    shutil.rmtree(extra.parent)
    build(project)
    assert not (project / "public/tags/new").exists()
    assert not (project / "public/posts/third-post").exists()
    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "two")


def test_a_tampered_output_folder_is_rebuilt_whole(project, tmp_path):
    build(project)
    (project / "public/index.html").write_text("tampered")

    build(project)

    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "c")


def test_deleting_the_cache_gives_the_same_bytes(project):
    build(project)
    first = tree_bytes(project / "public")
    shutil.rmtree(project / ".cache")

    assert tree_bytes(build(project).out) == first


def test_parallel_and_serial_builds_agree(project, tmp_path, monkeypatch):
    for number in range(60):  # enough posts for the process pool to start
        post = project / f"content/posts/generated-{number:02d}/index.md"
        post.parent.mkdir()
        day = 1 + number % 28
        post.write_text(f"---\ntitle: Generated {number}\ndate: 2025-01-{day:02d}\n"
                        f"tags: [t{number % 3}]\n---\n\n## Part\n\nText {number}.\n")
    parallel = tree_bytes(build(project, out=tmp_path / "p", processes=2).out)
    shutil.rmtree(project / ".cache")

    serial = tree_bytes(build(project, out=tmp_path / "s", processes=1).out)

    assert parallel == serial


def test_a_failed_build_is_not_remembered_by_a_long_lived_cache(project):
    from generator.cache import Cache
    from generator.errors import BuildError

    cache = Cache(project / ".cache/build")
    build(project, cache=cache)
    post = project / "content/posts/second-post/index.md"
    text = post.read_text()
    post.write_text(text + "\n[broken](/nowhere/)\n")

    for _ in range(2):  # the second build must report the problem again
        with pytest.raises(BuildError, match="broken link '/nowhere/'"):
            build(project, cache=cache)

    post.write_text(text)
    assert build(project, cache=cache).written == 0


def _copy_of_site(repo, tmp_path) -> Path:
    """Copy the repository's own site (flagship posts, widgets, data)."""
    project = tmp_path / "site"
    for name in ("content", "templates", "static", "data"):
        shutil.copytree(repo / name, project / name)
    shutil.copy(repo / "site.toml", project / "site.toml")
    return project


def test_flagship_posts_rebuild_incrementally_to_clean_bytes(repo, tmp_path):
    project = _copy_of_site(repo, tmp_path)
    build(project)
    assert build(project).written == 0

    post = next((project / "content/posts").glob("*/index.md"))
    post.write_text(post.read_text() + "\nOne more closing sentence.\n")
    result = build(project)

    assert 0 < result.written <= 3  # the post page, perhaps the feed
    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "c")


def test_a_widget_block_is_rendered_again_when_its_data_changes(repo, tmp_path):
    # Rebuilds in one process reuse the widget blocks the last build
    # rendered (parse.py); their key must cover the widget's stored data.
    from generator import parse

    project = _copy_of_site(repo, tmp_path)
    build(project)
    stored = project / "data/widgets/knowledge-distillation/curves.json"
    curves = json.loads(stored.read_text())
    curves["data"]["epochs"] += 1  # the options and so the freshness key stay
    stored.write_text(json.dumps(curves))
    post = project / "content/posts/knowledge-distillation/index.md"
    post.write_text(post.read_text() + "\nOne more closing sentence.\n")

    build(project)

    parse._last_widgets = {}  # the reference renders every block afresh
    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "c")


def test_a_pruned_object_store_is_rebuilt_from_the_sources(project, tmp_path):
    build(project)
    shutil.rmtree(project / ".cache/build/objects")
    post = project / "content/posts/second-post/index.md"
    post.write_text(post.read_text() + "\nAnother line.\n")

    build(project)

    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "c")


def _add_post(project, slug: str, title: str = "Third") -> Path:
    post = project / f"content/posts/{slug}/index.md"
    post.parent.mkdir()
    post.write_text(f"---\ntitle: {title}\ndate: 2026-05-01\ntags: [new]\n---\nHi.\n")
    return post


def _edit_body(project):
    post = project / "content/posts/second-post/index.md"
    post.write_text(post.read_text().replace("Nothing more", "Something more"))
    return {post}


def _new_post_reported_as_file(project):
    return {_add_post(project, "third-post")}


def _new_folder_moved_in(project, tmp_path):
    # A folder moved in is reported once, as the folder, not file by file.
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "index.md").write_text(
        "---\ntitle: Moved in\ndate: 2026-05-02\n---\nHello.\n")
    target = project / "content/posts/moved-in"
    shutil.move(outside, target)
    return {target}


def _deleted_file_and_folder(project):
    folder = project / "content/posts/extra-post"
    shutil.rmtree(folder)
    return {folder / "index.md", folder}


def _deleted_folder_reported_alone(project):
    folder = project / "content/posts/extra-post"
    shutil.rmtree(folder)
    return {folder}


def _renamed_post(project):
    old = project / "content/posts/extra-post"
    new = project / "content/posts/renamed-post"
    old.rename(new)
    return {old, new}


def _template(project):
    path = project / "templates/404.html"
    path.write_text(path.read_text().replace("There is no page", "Nothing lives"))
    return {path}


def _stylesheet(project):
    path = project / "static/css/site.css"
    path.write_text(path.read_text().replace("--radius: 8px;", "--radius: 6px;"))
    return {path}


def _site_toml(project):
    path = project / "site.toml"
    path.write_text(path.read_text().replace("Fixture Site", "Renamed Site"))
    return {path}


def _base_url(project):
    path = project / "site.toml"
    path.write_text(path.read_text().replace("https://example.test/",
                                             "https://elsewhere.test/"))
    return {path}


def _editor_swap_file_beside_an_edit(project):
    changed = _edit_body(project)
    swap = project / "content/posts/second-post/.index.md.swp"
    swap.write_text("not Markdown")
    return changed | {swap}


def _path_outside_the_inputs(project):
    # Not attributable to an input: the build scans everything instead.
    (project / "notes.txt").write_text("scratch")
    unreported = _edit_body(project)
    assert unreported
    return {project / "notes.txt"}


RESCANS = {
    "a post's body": lambda project, tmp_path: _edit_body(project),
    "a new post, reported as its file": lambda p, t: _new_post_reported_as_file(p),
    "a new folder moved in": _new_folder_moved_in,
    "a deleted post, file and folder": lambda p, t: _deleted_file_and_folder(p),
    "a deleted folder, reported alone": lambda p, t: _deleted_folder_reported_alone(
        p),
    "a renamed post folder": lambda p, t: _renamed_post(p),
    "a template": lambda p, t: _template(p),
    "the stylesheet": lambda p, t: _stylesheet(p),
    "site.toml": lambda p, t: _site_toml(p),
    "the base URL, which the feed's links use": lambda p, t: _base_url(p),
    "an editor's swap file": lambda p, t: _editor_swap_file_beside_an_edit(p),
    "a path outside the inputs": lambda p, t: _path_outside_the_inputs(p),
}


@pytest.mark.parametrize("case", list(RESCANS))
def test_a_rebuild_of_the_paths_a_watcher_reports_matches_a_clean_build(
        project, tmp_path, case):
    from generator.build import scan_inputs
    from generator.cache import Cache
    from generator.config import load_config

    _add_post(project, "extra-post", title="Extra")  # one that nothing links to
    cache = Cache(project / ".cache/build")
    build(project, cache=cache, save=False)
    changed = RESCANS[case](project, tmp_path)

    build(project, cache=cache, changed=changed, save=False)

    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "c")
    # The same inputs in the same order as a full scan, or the next full
    # scan would rebuild what it need not.
    full = scan_inputs(load_config(project), Cache(tmp_path / "scratch"))
    assert list(cache.inputs.files.items()) == list(full.files.items())


def test_a_full_scan_catches_a_change_the_watcher_missed(project, tmp_path):
    from generator.cache import Cache

    cache = Cache(project / ".cache/build")
    build(project, cache=cache, save=False)
    _template(project)  # never reported
    build(project, cache=cache, changed=_edit_body(project), save=False)

    build(project, cache=cache)  # what serve runs when the author pauses

    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "c")


def test_a_cache_saved_after_unsaved_rebuilds_serves_the_next_build(project,
                                                                     tmp_path):
    from generator.cache import Cache

    cache = Cache(project / ".cache/build")
    build(project, cache=cache)
    build(project, cache=cache, changed=_edit_body(project), save=False)
    build(project, cache=cache, changed=_new_post_reported_as_file(project),
          save=False)
    build(project, cache=cache)

    assert build(project).written == 0  # a fresh process, the saved cache
    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "c")


def test_an_unsaved_cache_leaves_the_last_saved_one_usable(project, tmp_path):
    from generator.cache import Cache

    cache = Cache(project / ".cache/build")
    build(project, cache=cache)
    build(project, cache=cache, changed=_edit_body(project), save=False)
    # serve stopped before it saved: the cache on disk is a build behind.

    build(project)

    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "c")


def test_records_and_an_index_from_different_builds_give_clean_bytes(project,
                                                                    tmp_path):
    index = project / ".cache/build/index.pickle"
    build(project)
    older = index.read_bytes()
    _edit_body(project)
    build(project)
    index.write_bytes(older)  # as if the build had stopped between the files
    (project / "content/posts/second-post/index.md").write_text(
        (project / "content/posts/second-post/index.md").read_text().replace(
            "Something more", "Nothing more"))

    build(project)

    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "c")


@pytest.mark.parametrize("intact", [True, False], ids=["update", "replace"])
def test_two_outputs_of_one_rendered_object_both_get_its_bytes(tmp_path, intact):
    from generator.cache import Cache, FileState
    from generator.write import Output, start_staging, write_site

    cache = Cache(tmp_path / "cache")
    sha = cache.put(b"same page")
    out = tmp_path / "public"
    if intact:  # a previous build wrote something else there
        write_site({"a.html": Output("old", b"old")}, out, cache)
        stat = (out / "a.html").stat()
        cache.index.out = str(out)
        cache.index.outputs = {"a.html": FileState(stat.st_size, stat.st_mtime_ns,
                                                   "old")}
    outputs = {name: Output(sha, path=cache.path(sha), movable=True)
               for name in ("a.html", "b/index.html")}

    write_site(outputs, out, cache, None if intact else start_staging(out))

    assert tree_bytes(out) == {"a.html": b"same page", "b/index.html": b"same page"}


def test_deleting_the_output_folder_gives_the_same_bytes(project, tmp_path):
    build(project)
    shutil.rmtree(project / "public")

    build(project)

    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "c")


def test_a_second_output_folder_gets_the_pages_of_the_first(project, tmp_path):
    build(project, out=tmp_path / "first")
    _edit_body(project)

    build(project, out=tmp_path / "second")

    assert tree_bytes(tmp_path / "second") == clean_build(project, tmp_path, "c")
    assert build(project, out=tmp_path / "second").written == 0


def test_a_tampered_page_is_rendered_again_after_an_edit(project, tmp_path):
    build(project)
    (project / "public/posts/markdown-tour/index.html").write_text("tampered")
    _edit_body(project)

    build(project)

    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "c")


def test_a_failed_build_of_a_whole_new_site_leaves_no_trace(project):
    from generator.errors import BuildError

    build(project)
    (project / "public/index.html").write_text("tampered")  # so: a whole new site
    before = tree_bytes(project / "public")
    post = project / "content/posts/second-post/index.md"
    post.write_text(post.read_text() + "\n[broken](/nowhere/)\n")

    with pytest.raises(BuildError, match="broken link"):
        build(project)

    assert tree_bytes(project / "public") == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == [
        ".cache"]  # the pages already staged went with the failure


def _packs(project) -> set[str]:
    return {p.name for p in (project / ".cache/build/objects").glob("pack-*")}


def test_a_pack_no_record_uses_is_dropped(project):
    post = project / "content/posts/second-post/index.md"
    build(project)
    first = _packs(project)
    post.write_text(post.read_text() + "\nOne more line.\n")
    build(project)
    second = _packs(project) - first
    post.write_text(post.read_text() + "\nAnd another.\n")

    build(project)

    # The first pack keeps the bodies of the posts not edited; the second
    # held only the edited post's old body.
    assert len(first) == len(second) == 1
    assert first <= _packs(project) and not second & _packs(project)


def test_a_pack_cut_short_is_parsed_again(project, tmp_path):
    build(project)
    (pack,) = (project / ".cache/build/objects").glob("pack-*")
    pack.write_bytes(pack.read_bytes()[:100])
    (project / "templates/base.html").write_text(
        (project / "templates/base.html").read_text() + "<!-- changed -->\n")

    build(project)  # re-renders every page: the bodies cut off must be parsed

    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "c")


def test_kept_list_items_follow_everything_a_template_shows(project, tmp_path):
    # Post list items are kept between builds (entries.pickle). An item
    # template may show more than the lists' metadata, here the word count,
    # so an edit of the text must renew the item when a list is rendered
    # next. (The lists themselves are rendered again only when their
    # metadata changes: every post here shares the one tag, so retitling
    # a post renders every list the edited post is in.)
    entry = project / "templates/partials/post-entry.html"
    entry.write_text(entry.read_text().replace(
        "</article>", "<p>{{ doc.words }} words</p></article>"))
    # Enough newer posts that the edited one is out of the feed (which would
    # be rendered again, and the lists' items kept with it) and not next to
    # the retitled one (whose neighbours' pages are rendered again).
    for number in range(22):
        post = _add_post(project, f"later-{number:02d}", f"Later {number}")
        post.write_text(post.read_text().replace("[new]", "[testing]"))
    build(project)
    post = project / "content/posts/second-post/index.md"
    post.write_text(post.read_text() + "\nFour more words here.\n")
    build(project)
    newest = project / "content/posts/later-10/index.md"
    newest.write_text(newest.read_text().replace("Later 10", "Retitled"))

    build(project)

    assert tree_bytes(project / "public") == clean_build(project, tmp_path, "c")
    assert (project / ".cache/build/entries.pickle").is_file()


def test_workers_share_reading_the_sources_and_keep_their_order(project, tmp_path,
                                                                monkeypatch):
    # A whole new site's sources are read on every core (from
    # SHARE_READING_FROM of them, here lowered); what comes back, problems
    # included, must be what reading them here gives, in order.
    monkeypatch.setattr(jobs, "SHARE_READING_FROM", 100)
    names = []
    for number in range(120):
        name = f"content/posts/read-{number:03d}/index.md"
        front = {0: "title: [unclosed\n", 1: "colour: blue\n"}.get(number % 7, "")
        (project / name).parent.mkdir()
        (project / name).write_text(f"---\ntitle: Read {number}\ndate: 2025-03-01\n"
                                    f"{front}---\n\nText {number}.\n")
        names.append(name)
    config = load_config(project)
    workers = Workers(Setup(config, {}, "", {}, False, tmp_path / "objects", None),
                      processes=2, expected=len(names))
    # Slow this process's share (the worker, forked already, keeps the real
    # one) so that the worker surely reads some.
    here, real = [], jobs.read

    def slow(config, name):
        here.append(name)
        time.sleep(0.005)
        return real(config, name)

    monkeypatch.setattr(jobs, "read", slow)
    try:
        shared = list(workers.read(names))
    finally:
        workers.close()

    assert shared == [real(config, name) for name in names]
    assert 0 < len(here) < len(names)
    assert any(source is None for source, _ in shared)  # the unclosed lists
    assert any(problems and problems[0].warning for _, problems in shared)

