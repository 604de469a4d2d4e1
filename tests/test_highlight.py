"""The highlight cache: journals that survive a killed process and get merged."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pytest
from pygments import highlight
from pygments.lexer import RegexLexer
from pygments.lexers import get_lexer_by_name

from generator import highlight as hl


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """Point the cache at an empty folder, and forget this process's journal."""
    monkeypatch.setattr(hl, "_journal", None)
    hl.use_folder(None)
    hl.use_folder(tmp_path)
    yield tmp_path
    hl.use_folder(None)


def test_blocks_are_what_pygments_writes_and_are_kept_in_a_journal(folder):
    code = "def f(x):\n    return x  # identity\n"
    markup = hl.highlighted(code, "python")
    assert markup == highlight(code, get_lexer_by_name("python"), hl.FORMATTER)
    (journal,) = folder.glob("*.jsonl")
    key, kept = json.loads(journal.read_text())
    assert kept == markup and len(key) == 64


def test_a_new_process_reads_blocks_instead_of_lexing(folder, monkeypatch):
    markup = hl.highlighted("x = 1\n", "python")
    hl.use_folder(None)
    hl.use_folder(folder)  # as a fresh process would start
    monkeypatch.setattr(hl, "highlight", lambda *args: pytest.fail("lexed again"))
    assert hl.highlighted("x = 1\n", "python") == markup


def test_an_unfinished_line_is_skipped(folder, monkeypatch):
    markup = hl.highlighted("y = 2\n", "python")
    (journal,) = folder.glob("*.jsonl")
    # A process killed while writing the same block, in a journal of its own
    # (sorted after the first, so its line would win if it were whole).
    (folder / "zz-killed.jsonl").write_text(journal.read_text()[:-20])
    monkeypatch.setattr(hl, "_journal", None)
    hl.use_folder(None)
    hl.use_folder(folder)
    lexed = []
    monkeypatch.setattr(hl, "highlight", lambda *args: lexed.append(1) or markup)
    assert hl.highlighted("y = 2\n", "python") == markup
    assert lexed == [1]


def test_many_journals_are_merged_into_one(folder):
    for number in range(hl.MERGE_AT + 1):
        key = f"{number:064x}"
        (folder / f"{number}.jsonl").write_text(json.dumps([key, "m"]) + "\n")
    hl.use_folder(None)
    hl.use_folder(folder)
    assert len(hl._load()) == hl.MERGE_AT + 1
    (merged,) = folder.glob("*.jsonl")
    assert merged.name.startswith("merged-")
    assert len(merged.read_text().splitlines()) == hl.MERGE_AT + 1


REPO = Path(__file__).resolve().parent.parent
#: Languages posts are likely to show, and files to lex in each. Every file
#: goes through every lexer too: text in the wrong language reaches rules
#: and error paths that well-formed code does not.
SAMPLES = {
    "python": [*sorted((REPO / "generator").glob("*.py")),
               *sorted(Path(os.__file__).parent.glob("[a-c]*.py"))[:8]],
    "javascript": sorted((REPO / "static" / "js").rglob("*.js")),
    "css": sorted((REPO / "static" / "css").rglob("*.css")),
    "html+jinja": sorted((REPO / "templates").rglob("*.html")),
    "bash": [REPO / ".ci" / "run", REPO / "bench" / "setup_peers.sh"],
    "toml": [REPO / "pyproject.toml", REPO / "netlify.toml", REPO / "site.toml"],
    "make": [REPO / "Makefile"],
}
EXTRA_LANGUAGES = ("c", "cpp", "rust", "go", "sql", "latex", "ini", "diff",
                   "console", "r", "julia", "markdown", "typescript")


def _texts():
    return [path.read_text(encoding="utf-8") for paths in SAMPLES.values()
            for path in paths] + ["", "\n", "x", "ſ K é 日本 \t\u00a0\n"]


@pytest.mark.parametrize("lang", [*SAMPLES, *EXTRA_LANGUAGES])
def test_lexing_by_first_character_gives_pygments_tokens(lang):
    lexer = hl._lexer(lang)
    if not isinstance(lexer.get_tokens_unprocessed, functools.partial):
        pytest.skip(f"{lang} has a lexer loop of its own")
    texts = _texts()
    assert [list(lexer.get_tokens_unprocessed(text)) for text in texts] == [
        list(RegexLexer.get_tokens_unprocessed(lexer, text)) for text in texts]
