"""The command line: new, check, serve; how a build ends; one build at a time."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from support import tree_bytes

from generator.build import build
from generator.cli import main


def test_new_scaffolds_a_draft_bundle_that_builds(project, capsys):
    assert main(["--root", str(project), "new", "Why Loss Curves Wiggle",
                 "--date", "2026-04-01"]) == 0

    post = project / "content/posts/why-loss-curves-wiggle/index.md"
    assert post.read_text().startswith('---\ntitle: "Why Loss Curves Wiggle"\n'
                                       "date: 2026-04-01\n")
    assert not (build(project).out / "posts/why-loss-curves-wiggle").exists()
    out = build(project, drafts=True).out
    assert (out / "posts/why-loss-curves-wiggle/index.html").exists()


def test_new_refuses_to_overwrite_a_post(project, capsys):
    assert main(["--root", str(project), "new", "Second Post"]) == 1

    assert "already exists" in capsys.readouterr().err


def test_check_passes_on_a_sound_site(project, capsys):
    assert main(["--root", str(project), "check"]) == 0

    assert "every internal link, anchor and image resolves" in (
        capsys.readouterr().err)


def test_check_reports_a_broken_link_a_template_adds(project, capsys):
    base = project / "templates/base.html"
    base.write_text(base.read_text().replace(
        '<a href="/feed.xml">RSS feed</a>', '<a href="/feeds/all.xml">RSS feed</a>'))

    assert main(["--root", str(project), "check"]) == 1

    err = capsys.readouterr().err
    assert "'/feeds/all.xml' points to feeds/all.xml, which is not in the site" in err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _serving(project):
    """Run `probable serve` on a free port; yield its base URL; stop it."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "generator", "--root", str(project), "serve",
         "--port", str(port)], stderr=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for(url: str, seconds: float = 20) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_rebuilds_on_save_and_tells_the_browser_to_reload(project):
    with _serving(project) as base:
        page = _wait_for(f"{base}/posts/second-post/").decode()
        assert "dev-reload" in page
        assert "A short post" in page

        events = urllib.request.urlopen(f"{base}/__reload", timeout=20)
        first = float(events.readline().removeprefix(b"data: "))
        events.readline()
        saved_ms = time.time() * 1000
        post = project / "content/posts/second-post/index.md"
        post.write_text(post.read_text().replace("A short post", "An edited post"))

        written = float(events.readline().removeprefix(b"data: "))
        assert first < saved_ms < written  # pages loaded before the save reload
        assert "An edited post" in _wait_for(f"{base}/posts/second-post/").decode()
        events.close()


def test_serve_sees_every_save_of_site_toml_made_by_renaming(project):
    # Editors often save by writing a new file and renaming it over the
    # old one; a watch on the file itself would see only the first save.
    with _serving(project) as base:
        home = f"{base}/"
        _wait_for(home)
        config = project / "site.toml"
        text = config.read_text()
        title = re.search(r'^title = "(.*)"$', text, re.MULTILINE).group(1)
        for number in range(3):
            new = f"{title} {number}"
            temporary = project / ".site.toml.swp"
            temporary.write_text(text.replace(f'"{title}"', f'"{new}"', 1))
            os.replace(temporary, config)
            deadline = time.monotonic() + 20
            while f"<title>{new}</title>" not in _wait_for(home).decode():
                assert time.monotonic() < deadline, f"save {number + 1} not seen"
                time.sleep(0.05)


def test_serve_saves_a_cache_that_the_next_build_can_trust(project, tmp_path):
    index = project / ".cache/build/index.pickle"
    with _serving(project) as base:
        _wait_for(f"{base}/posts/second-post/")
        events = urllib.request.urlopen(f"{base}/__reload", timeout=20)
        events.readline()
        events.readline()
        saved = index.stat().st_mtime_ns
        post = project / "content/posts/second-post/index.md"
        post.write_text(post.read_text().replace("A short post", "An edited post"))
        events.readline()  # rebuilt; the cache is saved once the author pauses
        deadline = time.monotonic() + 20
        while index.stat().st_mtime_ns == saved:
            assert time.monotonic() < deadline, "serve never saved its cache"
            time.sleep(0.1)
        events.close()
    copy = tmp_path / "copy"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".cache", "public"))

    result = build(project, dev_reload=True)

    assert result.written == 0
    assert tree_bytes(project / "public") == tree_bytes(
        build(copy, dev_reload=True).out)


def test_a_rebuild_that_crashes_keeps_serve_rebuilding(project, monkeypatch, caplog):
    import generator.build
    from generator.commands import serve

    calls = []

    def build(*args, **kwargs):
        calls.append(kwargs["changed"])
        if len(calls) == 1:
            raise OSError("the disk is gone")

    monkeypatch.setattr(generator.build, "build", build)
    # main() in earlier tests stops "probable" logs from reaching caplog.
    monkeypatch.setattr(logging.getLogger("probable"), "propagate", True)
    reloads = serve.Reloads()

    serve._rebuild(project, False, reloads, None, {project / "a.md"})
    serve._rebuild(project, False, reloads, None, {project / "b.md"})

    assert len(calls) == 2  # the second save was still built
    assert "the rebuild failed; still serving the previous site" in caplog.text
    assert "the disk is gone" in caplog.text


def test_production_pages_do_not_load_the_reload_script(project):
    out = build(project).out

    assert "dev-reload" not in (out / "index.html").read_text()


@pytest.mark.browser
def test_serve_reloads_the_open_page_after_each_save(project, page):
    with _serving(project) as base:
        url = f"{base}/posts/second-post/"
        _wait_for(url)
        page.goto(url)
        post = project / "content/posts/second-post/index.md"
        for number in range(3):  # saves in quick succession, each one seen
            post.write_text(post.read_text().replace(
                "Nothing more to say", f"Edit {number}").replace(
                f"Edit {number - 1}", f"Edit {number}"))
            page.locator("main", has_text=f"Edit {number}.").wait_for(
                timeout=10_000)
        assert page.problems == []



def test_check_leaves_the_next_build_nothing_to_do(project, capsys):
    build(project)

    assert main(["--root", str(project), "check"]) == 0

    assert build(project).written == 0


def test_the_build_command_ends_with_its_output_and_cache_complete(project):
    # `probable build` ends its process without Python's tear-down (see
    # cli.run): what it printed and the cache it saved must be whole, so
    # that the next build finds nothing to do.
    command = [sys.executable, "-m", "generator", "--root", str(project), "build"]

    first = subprocess.run(command, capture_output=True, text=True, timeout=120,
                           check=False)
    second = subprocess.run(command, capture_output=True, text=True, timeout=120,
                            check=False)

    assert first.returncode == 0, first.stderr
    assert "built 2 posts and 1 pages" in first.stderr
    assert (project / "public" / "index.html").is_file()
    assert second.returncode == 0, second.stderr
    assert "up to date: nothing changed" in second.stderr


def test_a_second_build_of_a_project_waits_for_the_first(project):
    # Two builds at once would share the staging folder and the cache's
    # objects. This process holds the lock as a build would; the command
    # must wait, saying for whom, and build once the lock is free.
    from generator.build import _one_build_at_a_time

    command = [sys.executable, "-m", "generator", "--root", str(project), "build"]
    with _one_build_at_a_time(project / ".cache"):
        waiting = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        # Bounded: a command that waited without saying so would hang here.
        said = select.select([waiting.stderr], [], [], 60)[0]
        first_line = waiting.stderr.readline() if said else "(nothing in 60 s)"
        time.sleep(0.5)  # a build that ignored the lock would be writing now
        assert not (project / "public").exists()
        assert waiting.poll() is None
    _, rest = waiting.communicate(timeout=120)

    assert first_line == ("waiting for another build of this project to end "
                          f"(process {os.getpid()})\n")
    assert waiting.returncode == 0, rest
    assert "built 2 posts and 1 pages" in rest
