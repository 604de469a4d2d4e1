"""The precompute runner: freshness, atomic writes, orphans and --check.

A test-only widget kind (``echo_widget.py``) stands in for the model tasks,
so these tests need no torch; the real tasks have tests of their own.
"""

from __future__ import annotations

import json

import pytest

import echo_widget
import precompute.run as runner
from generator.build import build
from generator.errors import BuildError, PrecomputeError
from generator.widgets import data_path
from precompute.tasks import Widget, available

POST = "content/posts/echo/index.md"


@pytest.fixture
def echo_project(project, monkeypatch):
    """The fixture project with a post holding two echo widgets."""
    widget = Widget(kind="echo", summary=echo_widget.SUMMARY,
                    options=echo_widget.OPTIONS, model="digits", module=echo_widget)
    kinds = {**available(), "echo": widget}
    monkeypatch.setattr(runner, "available", lambda: kinds)
    import generator.jobs

    monkeypatch.setattr(generator.jobs, "available", lambda: kinds)
    echo_widget.CALLS.clear()
    post = project / POST
    post.parent.mkdir()
    post.write_text("---\ntitle: Echo\ndate: 2026-03-01\n---\n\n```echo\nx: 4\n```\n"
                    "\n```echo\nid: seven\nx: 7\n```\n")
    return project


def stored(project, widget_id: str) -> dict:
    return json.loads(data_path(project / "data", "echo", widget_id).read_text())


def test_missing_data_is_computed_with_provenance(echo_project):
    summary = runner.run(echo_project, progress=False)

    assert (summary.missing, summary.fresh) == (2, 0)
    first = stored(echo_project, "echo-1")
    assert first["data"] == {"square": 16, "third": 1.333333}
    assert first["options"] == {"x": 4}
    assert first["provenance"]["model_id"] == "digits"
    assert len(first["provenance"]["sha256"]) == 64
    assert stored(echo_project, "seven")["data"]["square"] == 49
    models = json.loads((echo_project / "data/models.json").read_text())
    assert models["digits"]["sha256"] == first["provenance"]["sha256"]


def test_fresh_data_is_left_alone_and_rewritten_byte_for_byte(echo_project):
    runner.run(echo_project, progress=False)
    before = data_path(echo_project / "data", "echo", "echo-1").read_bytes()
    echo_widget.CALLS.clear()

    summary = runner.run(echo_project, progress=False)

    assert (summary.fresh, summary.stale, summary.missing) == (2, 0, 0)
    assert echo_widget.CALLS == []
    assert data_path(echo_project / "data", "echo", "echo-1").read_bytes() == before


def test_an_edited_option_makes_only_that_widget_stale(echo_project):
    runner.run(echo_project, progress=False)
    post = echo_project / POST
    post.write_text(post.read_text().replace("x: 7", "x: 8"))
    echo_widget.CALLS.clear()

    summary = runner.run(echo_project, progress=False)

    assert (summary.fresh, summary.stale) == (1, 1)
    assert echo_widget.CALLS == [{"x": 8}]
    assert stored(echo_project, "seven")["data"]["square"] == 64


def test_data_of_removed_widgets_is_deleted(echo_project):
    runner.run(echo_project, progress=False)
    post = echo_project / POST
    post.write_text(post.read_text().split("```echo\nid: seven")[0])

    summary = runner.run(echo_project, progress=False)

    assert summary.removed == 1
    assert not data_path(echo_project / "data", "echo", "seven").exists()


def test_check_passes_on_reproducible_data_and_writes_nothing(echo_project):
    runner.run(echo_project, progress=False)
    before = data_path(echo_project / "data", "echo", "echo-1").read_bytes()

    summary = runner.run(echo_project, check=True, progress=False)

    assert summary.mismatched == 0
    assert data_path(echo_project / "data", "echo", "echo-1").read_bytes() == before


def test_check_fails_when_a_committed_number_was_edited(echo_project):
    runner.run(echo_project, progress=False)
    path = data_path(echo_project / "data", "echo", "echo-1")
    data = json.loads(path.read_text())
    data["data"]["third"] = 1.4  # beyond the tolerance of 2e-4
    path.write_text(json.dumps(data))

    with pytest.raises(PrecomputeError, match=r"echo-1.json: data.third: stored "
                       r"1.4, recomputed 1.333333"):
        runner.run(echo_project, check=True, progress=False)


def test_check_accepts_differences_within_the_tolerance(echo_project):
    runner.run(echo_project, progress=False)
    path = data_path(echo_project / "data", "echo", "echo-1")
    data = json.loads(path.read_text())
    data["data"]["third"] += 1e-4
    path.write_text(json.dumps(data))

    assert runner.run(echo_project, check=True, progress=False).mismatched == 0


def test_build_uses_fresh_data_and_refuses_it_once_stale(echo_project, capsys):
    (echo_project / "templates/widgets").mkdir(exist_ok=True)
    (echo_project / "templates/widgets/echo.html").write_text(
        "<p>{{ widget.data.square }}</p>\n")
    (echo_project / "static/js/widgets").mkdir(parents=True, exist_ok=True)
    (echo_project / "static/js/widgets/echo.js").write_text(
        "export function mount() {}\n")
    runner.run(echo_project, progress=False)

    html = (build(echo_project).out / "posts/echo/index.html").read_text()
    assert "<p>16</p>" in html and "<p>49</p>" in html

    post = echo_project / POST
    post.write_text(post.read_text().replace("x: 4", "x: 5"))
    with pytest.raises(BuildError, match="widget 'echo-1' has stale data"):
        build(echo_project)
