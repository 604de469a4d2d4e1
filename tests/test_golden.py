"""Golden-file tests: the fixture project must render exactly as recorded.

The expected output lives in ``tests/golden/basic/``. After an intended
change to templates or Markdown rendering, refresh it with::

    PROBABLE_REFRESH_GOLDEN=1 .venv/bin/pytest tests/test_golden.py

and review the diff with ``git diff tests/golden``. On a mismatch the test
writes the new output next to the golden file as ``<name>.changed`` and
shows a unified diff.

Asset fingerprints are replaced by ``HASH`` before comparing, so that a
stylesheet edit does not churn every golden page; the fingerprinting
itself is tested in test_build.py.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest

from generator.build import build

GOLDEN = Path(__file__).parent / "golden" / "basic"
REFRESH = os.environ.get("PROBABLE_REFRESH_GOLDEN") == "1"
COMPARED = (".html", ".xml", ".txt")
FINGERPRINT = re.compile(r"\.[0-9a-f]{10}\.(css|js|json)\b")


def normalised(path: Path) -> str:
    return FINGERPRINT.sub(r".HASH.\1", path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, str]:
    from support import make_project

    project = make_project(tmp_path_factory.mktemp("golden") / "project")
    out = build(project).out
    return {p.relative_to(out).as_posix(): normalised(p)
            for p in sorted(out.rglob("*")) if p.suffix in COMPARED}


def test_golden_files_cover_every_rendered_page(rendered):
    if REFRESH:
        for old in GOLDEN.rglob("*"):
            if old.is_file() and old.relative_to(GOLDEN).as_posix() not in rendered:
                old.unlink()
        for name, text in rendered.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_text(text, encoding="utf-8")

    recorded = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*")
                if p.is_file() and p.suffix != ".changed"}
    assert recorded == set(rendered), "refresh with PROBABLE_REFRESH_GOLDEN=1"


@pytest.mark.parametrize("name", sorted(
    p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*")
    if p.is_file() and p.suffix != ".changed"))
def test_page_matches_golden_file(rendered, name):
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    actual = rendered.get(name, "")
    changed = GOLDEN / f"{name}.changed"
    if actual == expected:
        changed.unlink(missing_ok=True)
        return

    changed.write_text(actual, encoding="utf-8")
    diff = "".join(difflib.unified_diff(
        expected.splitlines(keepends=True), actual.splitlines(keepends=True),
        f"golden/{name}", "rendered", n=2))
    pytest.fail(f"{name} differs from its golden file (new output in "
                f"{changed.name}; refresh with PROBABLE_REFRESH_GOLDEN=1):\n{diff}")
