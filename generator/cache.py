"""The build cache: what the last build read and wrote, keyed by content hash.

Everything lives under ``.cache/build/`` and is safe to delete: a build
without it does the full work and writes the same bytes.

``index.pickle``
    One :class:`Index`: the checksums of every input file (with the ``stat``
    they had, so unchanged files are not read again), the fingerprint of the
    last good build and the manifest of the output folder it wrote. This is
    all a build that finds nothing to do reads.
``records.pickle``
    The parse result of every source keyed by its parse key, and the render
    key of every output; read only when something must be rebuilt.
``objects/<sha256>``
    Content-addressed bytes: rendered HTML of posts and whole pages that the
    worker processes produced.

A file's checksum is trusted from the index only while its size and
modification time are what they were *and* that time is older than the
scan that recorded it by more than :data:`RACY_SECONDS`; a file written in
the same instant as the scan is read again (git's "racy clean" rule).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("probable.cache")

#: Bump when the layout of Index or Record changes; older caches are ignored.
FORMAT = 3
RACY_SECONDS = 2.0


@dataclass(frozen=True)
class FileState:
    """What the cache knows of one file."""

    size: int
    mtime_ns: int
    sha256: str


@dataclass
class Index:
    """Everything one build leaves for the next."""

    format: int = FORMAT
    scanned_ns: int = 0  # wall clock when the inputs were last scanned
    files: dict[str, FileState] = field(default_factory=dict)  # input path -> state
    fingerprint: str = ""  # over every input and flag of the last good build
    outputs: dict[str, FileState] = field(default_factory=dict)  # as written
    out: str = ""  # the output folder those outputs were written to
    links_key: str = ""  # what internal links could point at (build.py)
    warnings: list = field(default_factory=list)  # of the last good build


class Cache:
    """Read and write the build cache of one project."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.objects = folder / "objects"
        self.index = self._load()
        self._scan_started_ns = time.time_ns()
        self._records: dict | None = None  # parse key -> parse.Record
        self._render_keys: dict[str, str] = {}  # output path -> render key

    @property
    def records(self) -> dict:
        """Return the cached Records (read from disk on first use)."""
        if self._records is None:
            self._load_records()
        return self._records

    @records.setter
    def records(self, value: dict) -> None:
        self._records = value

    @property
    def render_keys(self) -> dict[str, str]:
        """Return the render key of every output of the last build."""
        if self._records is None:
            self._load_records()
        return self._render_keys

    def _load_records(self) -> None:
        self._records, self._render_keys = {}, {}
        if not self.index.outputs:
            return  # the index was reset: records may belong to another build
        try:
            with (self.folder / "records.pickle").open("rb") as handle:
                self._records, self._render_keys = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError,
                ImportError, TypeError, ValueError):
            log.debug("no usable records in the build cache")

    def _load(self) -> Index:
        path = self.folder / "index.pickle"
        try:
            with path.open("rb") as handle:
                index = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError,
                ImportError, TypeError):
            return Index()
        if getattr(index, "format", None) != FORMAT:
            log.debug("ignoring a build cache of another format")
            return Index()
        return index

    def discard_changes(self) -> None:
        """Go back to what is on disk, dropping what this build changed."""
        self.index = self._load()
        self._records = None
        self._render_keys = {}

    def start_scan(self) -> None:
        """Note the time a build starts reading its inputs (see RACY_SECONDS)."""
        self._scan_started_ns = time.time_ns()

    def save(self) -> None:
        """Write the index atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.index.scanned_ns = self._scan_started_ns
        if self._records is not None:
            _dump(self.folder / "records.pickle", (self._records, self._render_keys))
        _dump(self.folder / "index.pickle", self.index)

    def digest(self, path: Path, key: str | None = None) -> str:
        """Return the sha256 of ``path``'s content, reading it only if changed."""
        key = key or str(path)
        stat = path.stat()
        known = self.index.files.get(key)
        racy = stat.st_mtime_ns >= self.index.scanned_ns - RACY_SECONDS * 1e9
        if known and not racy and (known.size, known.mtime_ns) == (
                stat.st_size, stat.st_mtime_ns):
            return known.sha256
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        self.index.files[key] = FileState(stat.st_size, stat.st_mtime_ns, sha)
        return sha

    def put(self, content: bytes) -> str:
        """Store ``content`` in the object store; return its sha256."""
        sha = hashlib.sha256(content).hexdigest()
        store(self.objects, sha, content)
        return sha

    def get(self, sha: str) -> bytes:
        """Return the stored object ``sha``."""
        return (self.objects / sha).read_bytes()

    def output_intact(self, out: Path) -> bool:
        """Tell whether ``out`` still holds exactly what the last build wrote."""
        if self.index.out != str(out) or not self.index.outputs:
            return False
        for name, state in self.index.outputs.items():
            try:
                stat = (out / name).stat()
            except OSError:
                return False
            if (stat.st_size, stat.st_mtime_ns) != (state.size, state.mtime_ns):
                return False
        return True

    def collect_garbage(self, keep: set[str]) -> int:
        """Delete objects no longer referenced; return how many went."""
        removed = 0
        if not self.objects.exists():
            return 0
        for path in self.objects.iterdir():
            if path.name not in keep and not path.name.startswith("."):
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _dump(path: Path, value) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, path)


def store(objects: Path, sha: str, content: bytes) -> None:
    """Write ``content`` as object ``sha`` unless it is already there."""
    target = objects / sha
    if target.exists():
        return
    objects.mkdir(parents=True, exist_ok=True)
    temporary = objects / f".{sha}.{os.getpid()}.tmp"
    temporary.write_bytes(content)
    os.replace(temporary, target)


def combine(*parts) -> str:
    """Return a sha256 over ``parts`` (strings, or iterables of strings)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, str):
            digest.update(part.encode())
        else:
            for item in part:
                digest.update(str(item).encode())
                digest.update(b"\x1f")
        digest.update(b"\x1e")
    return digest.hexdigest()
