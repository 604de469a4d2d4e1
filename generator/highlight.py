"""Highlight code blocks with Pygments, and remember them between builds.

Building a Pygments lexer compiles its regular expressions (about 80 ms for
Python's), and lexing a block costs a millisecond or two, so a rebuild that
parses one edited post would spend most of its time here. Highlighted blocks
are therefore kept under ``.cache/highlight/``, keyed by the Pygments
version, the language and the code.

Each process appends what it highlights to a journal of its own, one JSON
line per block, flushed as written: a process killed mid-line leaves a line
that fails to parse and is skipped, so the cache can lose a block but never
serve a wrong one. A file per block cost a file creation each, which was a
fifth of highlighting in a clean build. Readers index every journal the
first time they need a block (by the key at the start of each line; only
the lines they use are decoded, which keeps a one-post rebuild's lookup at a
few milliseconds); past :data:`MERGE_AT` journals, the reader merges them
into one. Blocks whose code is gone stay until ``.cache/`` is deleted.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

import pygments
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import find_lexer_class_by_name, get_lexer_by_name
from pygments.util import ClassNotFound

FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)
#: Journals a reader merges into one.
MERGE_AT = 32

_folder: Path | None = None
_known: dict[bytes, bytes] | None = None  # key -> its journal line, on first use
_journal = None  # this process's open journal, with the pid that opened it


def use_folder(folder: Path | None) -> None:
    """Keep highlighted blocks in ``folder`` (None: only in memory)."""
    global _folder, _known
    if folder != _folder:
        _folder, _known = folder, None


@functools.cache
def has_lexer(lang: str) -> bool:
    """Say whether Pygments knows the language ``lang``."""
    try:
        find_lexer_class_by_name(lang or "text")
    except ClassNotFound:
        return False
    return True


@functools.cache
def _lexer(lang: str):
    return get_lexer_by_name(lang or "text")


def highlighted(code: str, lang: str) -> str:
    """Return the Pygments HTML of ``code`` in a language Pygments knows."""
    key = hashlib.sha256(f"{pygments.__version__}\0{lang}\0{code}".encode()).hexdigest()
    known = _load()
    line = known.get(key.encode())
    if line is not None:
        try:
            return json.loads(line)[1]
        except ValueError:
            pass  # the unfinished last line of a killed process
    markup = highlight(code, _lexer(lang), FORMATTER)
    known[key.encode()] = line = json.dumps([key, markup]).encode()
    _append(line)
    return markup


def _load() -> dict[str, str]:
    """Return every block the journals hold, reading them the first time."""
    global _known
    if _known is not None:
        return _known
    _known = {}
    if _folder is None or not _folder.is_dir():
        return _known
    journals = sorted(_folder.glob("*.jsonl"))
    for journal in journals:
        try:
            data = journal.read_bytes()
        except FileNotFoundError:  # merged away by another process
            continue
        for line in data.split(b"\n"):
            if line[66:69] == b'", ':  # '["' + 64 hex digits + '", "...'
                _known[line[2:66]] = line
    if len(journals) > MERGE_AT:
        _merge(journals)
    return _known


def _merge(journals: list[Path]) -> None:
    """Replace ``journals`` by one holding every block that was loaded."""
    merged = _folder / f"merged-{os.getpid()}-{os.urandom(4).hex()}.jsonl"
    temporary = merged.with_suffix(".tmp")
    temporary.write_bytes(b"".join(line + b"\n" for line in _known.values()))
    os.replace(temporary, merged)
    for journal in journals:
        journal.unlink(missing_ok=True)


def _append(line: bytes) -> None:
    """Add one block's line to this process's journal."""
    global _journal
    if _folder is None:
        return
    if _journal is None or _journal[1] != os.getpid():  # none yet, or forked
        _folder.mkdir(parents=True, exist_ok=True)
        name = f"{os.getpid()}-{os.urandom(4).hex()}.jsonl"
        # Open for the life of the process; each line is flushed as written.
        journal = open(_folder / name, "ab")  # noqa: SIM115
        _journal = (journal, os.getpid())
    _journal[0].write(line + b"\n")
    _journal[0].flush()
