"""Highlight code blocks with Pygments, and remember them between builds.

Lexing is Pygments' own rules, tried in Pygments' order, but only those that
can match the next character (:class:`_FirstChars`): a regular-expression
lexer otherwise tries some forty rules at every token, and that Python loop
was most of a clean build's highlighting (Python code lexes six times
faster, token for token the same; tests/test_highlight.py compares).

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
import re
import re._constants as sre
import re._parser as sre_parse
from pathlib import Path

import pygments
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import RegexLexer, _TokenType
from pygments.lexers import find_lexer_class_by_name, get_lexer_by_name
from pygments.token import Error, Whitespace
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
    lexer = get_lexer_by_name(lang or "text")
    # Lexers with their own loop (JSON's, YAML's context-passing one) keep it.
    if type(lexer).get_tokens_unprocessed is RegexLexer.get_tokens_unprocessed:
        lexer.get_tokens_unprocessed = functools.partial(
            _tokens, lexer, _FirstChars.of(type(lexer)))
    return lexer


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


def _load() -> dict[bytes, bytes]:
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


# -- Lexing, trying only the rules that can match -------------------------

#: The key for every character outside ASCII: rules are sorted by what they
#: can start with in ASCII, and any rule that might start with something
#: else is tried for all of it.
OTHER = "\x80"
ASCII = frozenset(chr(code) for code in range(128))


class _FirstChars:
    """Per state of a lexer: which rules, in order, can match at a character."""

    def __init__(self, lexer_class):
        self.rules = lexer_class._tokens
        # Worked out for a state when text first reaches it: parsing every
        # pattern of Python's lexer up front took 40 ms, in every worker,
        # and a block of code enters a few of its states.
        self.starts: dict[str, list] = {}
        self.tables: dict[str, dict[str, list]] = {state: {} for state in self.rules}

    @classmethod
    @functools.cache
    def of(cls, lexer_class) -> _FirstChars:
        return cls(lexer_class)

    def candidates(self, state: str, char: str) -> list:
        """Return the rules of ``state`` that may match text starting ``char``."""
        table = self.tables[state]
        rules = table.get(char)
        if rules is None:
            starts = self.starts.get(state)
            if starts is None:
                starts = self.starts[state] = [
                    _starts(getattr(match, "__self__", None))
                    for match, _, _ in self.rules[state]]
            rules = table[char] = [
                rule for rule, first in zip(self.rules[state], starts, strict=True)
                if first is None or char in first]
        return rules


def _tokens(lexer, first: _FirstChars, text: str, stack=("root",)):
    """Yield ``(position, token type, text)`` as RegexLexer does, rule for rule."""
    rules_of = first.rules
    candidates = first.candidates
    states = list(stack)
    state = states[-1]
    position, end = 0, len(text)
    while True:
        if position < end:
            char = text[position]
            rules = candidates(state, char if char < OTHER else OTHER)
        else:
            rules = rules_of[state]  # zero-width rules may still match at the end
        for match_at, action, new_state in rules:
            match = match_at(text, position)
            if not match:
                continue
            if action is not None:
                if type(action) is _TokenType:
                    yield position, action, match.group()
                else:
                    yield from action(lexer, match)
            position = match.end()
            if new_state is not None:
                _move(states, new_state)
                state = states[-1]
            break
        else:
            # No rule matched: Pygments resets to the root state at a line
            # end and otherwise marks one character as an error.
            if position >= end:
                return
            if text[position] == "\n":
                states = ["root"]
                state = "root"
                yield position, Whitespace, "\n"
            else:
                yield position, Error, text[position]
            position += 1


def _move(states: list[str], new_state) -> None:
    """Change the state stack as a Pygments rule says: push, pop or go to."""
    if isinstance(new_state, tuple):
        for name in new_state:
            if name == "#pop":
                if len(states) > 1:
                    states.pop()
            elif name == "#push":
                states.append(states[-1])
            else:
                states.append(name)
    elif isinstance(new_state, int):  # pop that many, keeping the root
        if abs(new_state) >= len(states):
            del states[1:]
        else:
            del states[new_state:]
    elif new_state == "#push":
        states.append(states[-1])
    else:
        raise ValueError(f"unknown Pygments state change {new_state!r}")


def _starts(pattern: re.Pattern | None) -> frozenset[str] | None:
    """Return the characters a match of ``pattern`` can start with.

    None means any character, or that the pattern can match the empty
    string (such a rule must be tried everywhere). The answer may hold
    characters a match cannot start with, never the other way round.
    """
    if not isinstance(pattern, re.Pattern):
        return None
    try:
        chars, empty = _sequence(list(sre_parse.parse(pattern.pattern, pattern.flags)),
                                 pattern.flags)
    except (re.error, TypeError, ValueError, RecursionError):
        return None
    return None if chars is None or empty else frozenset(chars)


def _sequence(items, flags) -> tuple[set[str] | None, bool]:
    """Return (first characters, can be empty) of a parsed sequence."""
    chars: set[str] = set()
    for op, arg in items:
        first = _item(op, arg, flags)
        if first is None:
            return None, True
        more, empty = first
        chars |= more
        if not empty:
            return chars, False
    return chars, True


def _item(op, arg, flags) -> tuple[set[str], bool] | None:
    """Return (first characters, can be empty) of one parsed item, or None."""
    if op is sre.LITERAL:
        return _fold({_key(arg)}, flags), False
    if op is sre.IN:
        chars = _char_class(arg, flags)
        return None if chars is None else (chars, False)
    if op is sre.CATEGORY:
        chars = _category(arg)
        return None if chars is None else (chars, False)
    if op is sre.SUBPATTERN:
        _, add, remove, items = arg
        chars, empty = _sequence(list(items), (flags | add) & ~remove)
        return None if chars is None else (chars, empty)
    if op is sre.ATOMIC_GROUP:
        chars, empty = _sequence(list(arg), flags)
        return None if chars is None else (chars, empty)
    if op is sre.BRANCH:
        chars, empty = set(), False
        for branch in arg[1]:
            more, may = _sequence(list(branch), flags)
            if more is None:
                return None
            chars |= more
            empty = empty or may
        return chars, empty
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        least, _, items = arg
        chars, empty = _sequence(list(items), flags)
        return None if chars is None else (chars, empty or least == 0)
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return set(), True  # zero width: what follows decides
    return None  # any character, back-references, conditionals


def _key(code: int) -> str:
    char = chr(code)
    return char if char < OTHER else OTHER


def _fold(chars: set[str], flags) -> set[str]:
    """Add the other case of each character when the pattern ignores case."""
    if not flags & re.IGNORECASE:
        return chars
    folded = set(chars)
    for char in chars:
        if char != OTHER:
            other = char.swapcase()
            folded.add(other if len(other) == 1 and other < OTHER else OTHER)
    # Some letters outside ASCII match ASCII ones (the long s matches s, the
    # Kelvin sign k), so either side of ASCII brings the other.
    if any(char.isalpha() for char in chars if char != OTHER):
        folded.add(OTHER)
    if OTHER in chars:
        folded |= {char for char in ASCII if char.isalpha()}
    return folded


def _char_class(items, flags) -> set[str] | None:
    """Return the characters a ``[...]`` class can match, or None."""
    negate, chars = False, set()
    for op, arg in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            chars.add(_key(arg))
        elif op is sre.RANGE:
            low, high = arg
            chars |= {chr(code) for code in range(low, min(high, 127) + 1)}
            if high > 127:
                chars.add(OTHER)
        elif op is sre.CATEGORY:
            more = _category(arg)
            if more is None:
                return None
            chars |= more
        else:
            return None
    chars = _fold(chars, flags)
    return (set(ASCII - chars) | {OTHER}) if negate else chars


def _category(category) -> set[str] | None:
    """Return the ASCII characters of ``\\d``, ``\\s``, ``\\w`` and their opposites."""
    name = str(category)
    tests = {"DIGIT": str.isdigit,
             "SPACE": lambda c: c.isspace() or "\x1c" <= c <= "\x1f",
             "WORD": lambda c: c.isalnum() or c == "_"}
    kind = next((key for key in tests if key in name), None)
    if kind is None:
        return None
    chars = {char for char in ASCII if tests[kind](char)} | {OTHER}
    return (set(ASCII - chars) | {OTHER}) if "NOT" in name else chars
