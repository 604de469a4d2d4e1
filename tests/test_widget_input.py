"""Widget blocks with bad input are build errors at the author's line."""

from __future__ import annotations

import json

import pytest

from generator.build import build
from generator.cli import main
from generator.widgets import data_path
from precompute import freshness
from precompute.tasks import load
from support import tree_bytes

POST = "content/posts/widgets/index.md"
HEADER = "---\ntitle: Widgets\ndate: 2026-03-01\n---\n\nIntro.\n\n"


@pytest.fixture
def widget_post(project):
    """Build the fixture once, then return a writer for a post with widgets."""
    build(project)
    before = tree_bytes(project / "public")
    path = project / POST
    path.parent.mkdir(parents=True)

    def write(body: str):
        path.write_text(HEADER + body)
        return project, before

    return write


def errors_of(project, capsys) -> list[str]:
    status = main(["--root", str(project), "build"])
    err = capsys.readouterr().err
    assert status == 1, err
    assert "Traceback" not in err
    return err.splitlines()


CASES = {
    "unknown widget": (
        "```next-tokn\nprompt: Hi\n```\n",
        f"{POST}:8: unknown widget 'next-tokn'; did you mean 'next-token'?"),
    "unknown option": (
        "```next-token\nprompt: Hi\nstep: 3\n```\n",
        f"{POST}:10: unknown option 'step' for widget 'next-token'; did you mean "
        "'steps'? allowed: "),
    "ill-typed option": (
        "```next-token\nprompt: Hi\nsteps: many\n```\n",
        f"{POST}:10: 'steps' must be a whole number, not 'many'"),
    "option out of range": (
        "```next-token\nprompt: Hi\nsteps: 99\n```\n",
        f"{POST}:10: 'steps' must be at most"),
    "missing required option": (
        "```next-token\nsteps: 2\n```\n",
        f"{POST}:8: widget 'next-token' needs option 'prompt'"),
    "bad yaml": (
        "```next-token\nprompt: [Hi\n```\n",
        f"{POST}:9: malformed YAML in widget options"),
    "missing data": (
        "```next-token\nprompt: The cat sat on the\n```\n",
        f"{POST}:8: widget 'next-token-1' has no data yet; run 'probable "
        "precompute'"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_widget_block_is_an_error_at_its_line(widget_post, capsys, case):
    body, expected = CASES[case]
    project, before = widget_post(body)

    lines = errors_of(project, capsys)

    assert any(line.startswith(expected) for line in lines), lines
    assert tree_bytes(project / "public") == before


def test_stale_data_is_refused_with_the_fix(widget_post, capsys):
    project, before = widget_post("```next-token\nprompt: The cat sat on the\n```\n")
    widget = load("next-token")
    (project / "data").mkdir()
    (project / "data/models.json").write_text(json.dumps(
        {"smollm2": {"sha256": "ab" * 32, "name": "test", "file": "x.gguf"}}))
    stored = data_path(project / "data", "widgets", "next-token-1")
    stored.parent.mkdir(parents=True)
    old_options = {"prompt": "The dog sat on the", "steps": 4, "top_k": 5,
                   "model": "smollm2"}
    stored.write_text(json.dumps({"key": freshness.key(
        widget, old_options, "smollm2", "ab" * 32), "data": {}}))

    lines = errors_of(project, capsys)

    assert any(line.startswith(f"{POST}:8: widget 'next-token-1' has stale data")
               and "run 'probable precompute'" in line for line in lines), lines
    assert tree_bytes(project / "public") == before


def test_widget_ids_must_be_unique_in_a_post(widget_post, capsys):
    project, _ = widget_post("```formula\nid: f\n```\n\n```formula\nid: f\n```\n")

    lines = errors_of(project, capsys)

    assert any("widget id 'f' is used twice" in line for line in lines), lines


def test_unknown_option_lists_what_is_allowed(widget_post, capsys):
    project, _ = widget_post("```next-token\nprompt: Hi\ncolour: red\n```\n")

    line = next(text for text in errors_of(project, capsys) if "colour" in text)

    for option in ("prompt", "steps", "top_k", "id", "model"):
        assert f"{option} (" in line


def test_a_widget_module_check_reports_at_the_option_line(widget_post, capsys):
    project, _ = widget_post("```formula\nterms:\n  - latex: x\n```\n")

    lines = errors_of(project, capsys)

    assert any(line.startswith(f"{POST}:9: widget 'formula': term 1 of 'terms' "
                               "needs a non-empty 'explanation'") for line in lines), (
        lines)
