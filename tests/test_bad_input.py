"""Bad input: each problem is reported as path:line, and public/ survives.

Every test builds the fixture project once (the "previous site"), breaks one
input, runs ``probable build`` through the CLI, and checks the message, the
exit status and that the previous output is byte for byte what it was.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from generator.build import build
from generator.cli import main
from support import tree_bytes

TOUR = "content/posts/markdown-tour/index.md"
SECOND = "content/posts/second-post/index.md"


@pytest.fixture
def previous_site(project):
    """Build the fixture project; return (project, its public/ bytes)."""
    build(project)
    return project, tree_bytes(project / "public")


def edit(project, name: str, old: str, new: str) -> None:
    path = project / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


def failed_build(project, capsys, *flags: str) -> list[str]:
    """Run the CLI build; assert it failed cleanly; return its stderr lines."""
    status = main(["--root", str(project), "build", *flags])
    err = capsys.readouterr().err

    assert status == 1, err
    assert "Traceback" not in err
    return err.splitlines()


CASES = {
    "malformed yaml": (
        TOUR, "summary: Every Markdown extension in one post.",
        "summary: [unclosed",
        f"{TOUR}:5: malformed YAML in front matter"),
    "missing title": (
        SECOND, "title: The second post\n", "",
        f"{SECOND}:1: front matter has no 'title'; add 'title: ...'"),
    "missing date": (
        SECOND, "date: 2026-01-10\n", "",
        f"{SECOND}:1: front matter has no 'date'"),
    "bad date": (
        SECOND, "date: 2026-01-10", "date: 10 January",
        f"{SECOND}:3: 'date: 10 January' is not a date; write it as YYYY-MM-DD"),
    "broken link": (
        SECOND, "Nothing more to say.", "See [the tour](/posts/no-such-post/).",
        f"{SECOND}:11: broken link '/posts/no-such-post/': nothing is published"),
    "broken anchor": (
        TOUR, "[Back to the tables](#tables-and-code)", "[Back](#no-such-heading)",
        f"{TOUR}:54: broken anchor '#no-such-heading': no element with id"),
    "broken anchor on another page": (
        TOUR, "(../second-post/#details)", "(../second-post/#nope)",
        f"{TOUR}:14: broken anchor '../second-post/#nope'"),
    "missing image": (
        TOUR, "![Three bars](chart.svg", "![Three bars](missing.png",
        f"{TOUR}:50: image 'missing.png' not found next to index.md"),
    "missing hero image": (
        TOUR, "image: chart.svg", "image: cover.jpg",
        f"{TOUR}:8: hero image 'cover.jpg' not found"),
    "unknown latex command": (
        TOUR, r"\mathcal{L} = -\log", r"\loss = -\log",
        f"{TOUR}:46: unknown LaTeX command \\loss"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_is_reported_and_previous_site_survives(previous_site, capsys,
                                                          case):
    project, before = previous_site
    name, old, new, expected = CASES[case]
    edit(project, name, old, new)

    lines = failed_build(project, capsys)

    assert any(line.startswith(expected) for line in lines), lines
    assert tree_bytes(project / "public") == before


def test_every_problem_is_reported_in_one_run(previous_site, capsys):
    project, before = previous_site
    edit(project, SECOND, "date: 2026-01-10", "date: someday")
    edit(project, TOUR, "(#tables-and-code)", "(#nowhere)")
    edit(project, TOUR, "(chart.svg \"A", "(gone.svg \"A")

    lines = failed_build(project, capsys)

    assert len([line for line in lines if line.startswith("content/")]) == 3
    assert lines[-1].startswith("failed: 3 error(s)")
    assert tree_bytes(project / "public") == before


def test_duplicate_slug_names_both_files(previous_site, capsys):
    project, before = previous_site
    (project / "content/posts/second-post.md").write_text(
        "---\ntitle: Same slug\ndate: 2026-01-11\n---\nBody.\n")

    lines = failed_build(project, capsys)

    assert any("slug 'second-post' is already used by "
               "content/posts/second-post.md" in line or
               "slug 'second-post' is already used by "
               "content/posts/second-post/index.md" in line for line in lines), lines
    assert tree_bytes(project / "public") == before


def test_template_syntax_error_names_template_and_line(previous_site, capsys):
    project, before = previous_site
    edit(project, "templates/page.html", "{% block main %}",
         "{% block main %}{% if %}")

    lines = failed_build(project, capsys)

    assert any(line.startswith("templates/page.html:4: template syntax error")
               for line in lines), lines
    assert tree_bytes(project / "public") == before


def test_template_runtime_error_names_template_and_line(previous_site, capsys):
    project, before = previous_site
    edit(project, "templates/page.html", "<h1>{{ doc.source.title }}</h1>",
         "<h1>{{ doc.source.no_such_field }}</h1>")

    lines = failed_build(project, capsys)

    assert any(line.startswith("templates/page.html:6: template error") and
               "no_such_field" in line for line in lines), lines
    assert tree_bytes(project / "public") == before


def test_template_error_in_a_parallel_build_is_reported(previous_site):
    # Enough posts for the worker pool, whose workers compile the templates
    # as they start: an error there must not kill them (the pool would
    # start new ones for ever) but be reported like any other.
    project, before = previous_site
    for number in range(60):
        post = project / f"content/posts/many-{number:02d}/index.md"
        post.parent.mkdir()
        post.write_text(f"---\ntitle: Many {number}\ndate: 2025-02-01\n---\n\n"
                        f"Text {number}.\n")
    shutil.rmtree(project / "public")  # so the build is a whole new site
    edit(project, "templates/post.html", "{% block main %}",
         "{% block main %}{% if %}")

    done = subprocess.run([sys.executable, "-m", "generator", "--root",
                           str(project), "build"], capture_output=True, text=True,
                          timeout=120, check=False)

    assert done.returncode == 1, done.stderr
    assert "templates/post.html:13: template syntax error" in done.stderr, (
        done.stderr)
    assert not (project / "public").exists()


#: Worker subclasses that fail in the forked worker process (the first in
#: the building process too), and what the build must report.
BROKEN_WORKERS = {
    "cannot start anywhere": (
        "    def __init__(self, setup):\n"
        "        raise RuntimeError('no worker today')\n",
        "RuntimeError: no worker today"),
    "cannot start in a worker process": (
        "    def __init__(self, setup):\n"
        "        if os.getpid() != PARENT:\n"
        "            raise RuntimeError('no worker today')\n"
        "        super().__init__(setup)\n",
        "RuntimeError: no worker today"),
    "dies in a worker process": (
        "    def run(self, job):\n"
        "        if os.getpid() != PARENT:\n"
        "            os._exit(3)\n"
        "        return super().run(job)\n",
        "stopped before finishing its jobs (exit status 3)"),
}


@pytest.mark.parametrize("broken", BROKEN_WORKERS)
def test_a_worker_that_fails_fails_the_build(project, tmp_path, broken):
    # As above, for a worker that cannot be set up at all, or that dies:
    # the build must fail, say why, and neither hang nor write a site.
    for number in range(60):
        post = project / f"content/posts/many-{number:02d}/index.md"
        post.parent.mkdir()
        post.write_text(f"---\ntitle: Many {number}\ndate: 2025-02-01\n---\n\n"
                        f"Text {number}.\n")
    methods, message = BROKEN_WORKERS[broken]
    script = tmp_path / "broken_worker.py"
    script.write_text(
        "import os, sys\n"
        "from pathlib import Path\n"
        "import generator.jobs\n"
        "PARENT = os.getpid()\n"
        "class Broken(generator.jobs.Worker):\n"
        f"{methods}"
        "generator.jobs.Worker = Broken\n"
        "from generator.build import build\n"
        "build(Path(sys.argv[1]), processes=2)\n")

    done = subprocess.run([sys.executable, str(script), str(project)],
                          capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 1, done.stderr
    assert message in done.stderr
    assert not (project / "public").exists()


def test_list_item_template_error_names_the_list_page(previous_site, capsys):
    # Workers render each post's list item too; a failure there must not
    # crash the build but be reported as the list page renders it.
    project, before = previous_site
    edit(project, "templates/partials/post-entry.html", "{{ doc.source.title }}",
         "{{ doc.source.no_such_field }}")

    lines = failed_build(project, capsys)

    assert any(line.startswith("templates/index.html:") and "template error" in line
               and "no_such_field" in line for line in lines), lines
    assert tree_bytes(project / "public") == before


def test_unknown_front_matter_key_warns_and_strict_fails(previous_site, capsys):
    project, before = previous_site
    edit(project, SECOND, "tags: [testing]", "tags: [testing]\ncategory: misc")

    assert main(["--root", str(project), "build"]) == 0
    err = capsys.readouterr().err
    assert (f"{SECOND}:5: warning: unknown front matter key 'category' is "
            "ignored") in err

    build(project)
    before = tree_bytes(project / "public")
    lines = failed_build(project, capsys, "--strict")
    assert any("unknown front matter key 'category'" in line for line in lines)
    assert tree_bytes(project / "public") == before


def test_verbose_shows_the_traceback_of_unexpected_errors(project, capsys):
    (project / "site.toml").write_text("title = 'x'\n")

    assert main(["--root", str(project), "build"]) == 1
    err = capsys.readouterr().err
    assert "site.toml: 'base_url' is required" in err
    assert "Traceback" not in err
