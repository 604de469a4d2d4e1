"""The highlight cache: journals that survive a killed process and get merged."""

from __future__ import annotations

import json

import pytest
from pygments import highlight
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
