"""The build cache: what the last build read and wrote, keyed by content hash.

Everything lives under ``.cache/build/`` and is safe to delete: a build
without it does the full work and writes the same bytes.

``index.pickle``
    One :class:`Index`: the checksums of every input file (with the ``stat``
    they had, so unchanged files are not read again), the fingerprint of the
    last good build, the manifest of the output folder it wrote and the
    render key of each output. This is all a build that finds nothing to do
    reads.
``records.pickle``
    The parse result of every source keyed by its parse key, each pickled on
    its own: a build unpickles only the Records it asks for and writes the
    bytes of the unchanged ones back as they were. A Record's key covers all
    it was made from, so any Record in the file is valid for its key, even
    when the index beside it comes from another build.
``entries.pickle``
    Each post's item in the lists of posts (home and tag pages), by parse
    key, with the render key they were made under: a build that renders
    the lists again after one post's title changed renders one item, not a
    thousand.
``objects/<sha256>``
    Content-addressed bytes: widget data, kept between builds, and pages a
    build rendered, which the write stage moves into the output folder
    (where later builds find them).
``objects/pack-<token>``
    The body HTML of posts, one pack per worker process and build, each
    body found by the (pack, offset, length) its Record carries. A file per
    body made a clean build create a third more files, and creating files
    is what a clean build spends most of its system time on: ext4 without
    a journal passes over every inode freed in the last minute or more.
    A pack goes when no Record uses any body in it.

A file's checksum is trusted from the index only while its size and
modification time are what they were *and* that time is older than the
scan that recorded it by more than :data:`RACY_SECONDS`; a file written in
the same instant as the scan is read again (git's "racy clean" rule).
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import logging
import os
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path, PosixPath
from typing import NamedTuple

log = logging.getLogger("probable.cache")

#: Bump when the layout of Index or Record changes; older caches are ignored.
FORMAT = 6
RACY_SECONDS = 2.0


class FileState(NamedTuple):
    """What the cache knows of one file (a tuple: it unpickles fast)."""

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
    render_keys: dict[str, str] = field(default_factory=dict)  # output -> key
    out: str = ""  # the output folder those outputs were written to
    links_key: str = ""  # what internal links could point at (build.py)
    warnings: list = field(default_factory=list)  # of the last good build


class Records:
    """Records by parse key, each unpickled on first use."""

    def __init__(self, blobs: dict[str, bytes] | None = None):
        self.blobs = blobs or {}  # parse key -> pickled Record
        self._loaded: dict = {}  # parse key -> Record unpickled from blobs

    def get(self, key: str):
        """Return the Record of ``key``, or None."""
        record = self._loaded.get(key)
        if record is None and key in self.blobs:
            record = self._loaded[key] = pickle.loads(self.blobs[key])
        return record

    def keep(self, records: list) -> Records:
        """Return the Records of ``records``, reusing the bytes of unchanged ones.

        A Record unpickled here and handed back is the same object, and the
        build never changes what a reused Record pickles (``html`` does not
        travel), so its bytes are still right.
        """
        blobs = {}
        for record in records:
            if self._loaded.get(record.key) is record:
                blobs[record.key] = self.blobs[record.key]
            else:
                blobs[record.key] = _pickle(record)
        kept = Records(blobs)
        kept._loaded = {r.key: r for r in records}
        return kept


class Cache:
    """Read and write the build cache of one project."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.objects = folder / "objects"
        self.index = self._load()
        self.inputs = None  # build.Inputs of this process's last scan
        # (body sha, absolute page URL) -> feed HTML, of the last feed rendered
        self.feed_html: dict[tuple[str, str], str] = {}
        self.saved = True  # False while a build's results exist only in memory
        self._scan_started_ns = time.time_ns()
        self._records: Records | None = None
        self._present: set[str] | None = None  # names in the object store
        self._in_use: set[str] | None = None  # objects the last good build uses
        self._held: set[str] | None = None  # see held
        self._pack_sizes: dict[str, int] = {}  # of packs seen in this build
        self._entries: tuple[str, dict[str, str]] | None = None  # see entries
        self._entries_changed = False

    @property
    def records(self) -> Records:
        """Return the cached Records (the file is read on first use)."""
        if self._records is None:
            self._records = self._load_records()
        return self._records

    def _load_records(self) -> Records:
        try:
            with (self.folder / "records.pickle").open("rb") as handle:
                version, blobs = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError,
                ImportError, TypeError, ValueError):
            log.debug("no usable records in the build cache")
            return Records()
        return Records(blobs if version == FORMAT else {})

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

    def start_scan(self) -> None:
        """Note the time a build starts reading its inputs (see RACY_SECONDS)."""
        self._scan_started_ns = time.time_ns()
        self._present = None
        self._held = None
        self._pack_sizes = {}

    def entries(self, render_key: str) -> dict[str, str]:
        """Return the list items kept under ``render_key`` (read on first use)."""
        if self._entries is None:
            try:
                with (self.folder / "entries.pickle").open("rb") as handle:
                    version, key, entries = pickle.load(handle)
                self._entries = (key, entries) if version == FORMAT else ("", {})
            except (OSError, pickle.UnpicklingError, EOFError, ValueError,
                    TypeError):
                self._entries = ("", {})
        key, entries = self._entries
        return entries if key == render_key else {}

    def keep_entries(self, render_key: str, entries: dict[str, str]) -> None:
        """Keep a good build's list items, made under ``render_key``, for save."""
        if self._entries != (render_key, entries):
            self._entries = (render_key, entries)
            self._entries_changed = True
            self.saved = False

    def remember(self, records: list, objects: set[str]) -> None:
        """Keep a good build's ``records`` and note the ``objects`` it uses."""
        self._records = self.records.keep(records)
        self._in_use = objects
        self.saved = False

    def save(self) -> None:
        """Drop unused objects, then write the records and the index atomically."""
        if self._in_use is not None:
            self.collect_garbage(self._in_use)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.index.scanned_ns = self._scan_started_ns
        if self._records is not None:
            _dump(self.folder / "records.pickle", (FORMAT, self._records.blobs))
        if self._entries_changed:
            _dump(self.folder / "entries.pickle", (FORMAT, *self._entries))
            self._entries_changed = False
        _dump(self.folder / "index.pickle", self.index)
        self.saved = True

    def digest(self, path: str | Path, key: str, stat: os.stat_result | None = None,
               changed: bool = False) -> str:
        """Return the sha256 of ``path``'s content, reading it only if changed.

        ``changed`` says that the file is known to have changed, so that its
        ``stat`` is not trusted.
        """
        stat = stat or os.stat(path)
        known = self.index.files.get(key)
        racy = stat.st_mtime_ns >= self.index.scanned_ns - RACY_SECONDS * 1e9
        if known and not racy and not changed and (known.size, known.mtime_ns) == (
                stat.st_size, stat.st_mtime_ns):
            return known.sha256
        with open(path, "rb") as handle:
            sha = hashlib.sha256(handle.read()).hexdigest()
        self.index.files[key] = FileState(stat.st_size, stat.st_mtime_ns, sha)
        return sha

    def has(self, sha: str) -> bool:
        """Tell whether object ``sha`` is in the store (listed once per build)."""
        if self._present is None:
            try:
                self._present = set(os.listdir(self.objects))
            except OSError:
                self._present = set()
        return sha in self._present

    def path(self, sha: str) -> str:
        """Return the file name of object ``sha``."""
        return f"{self.objects}/{sha}"

    def put(self, content: bytes) -> str:
        """Store ``content`` in the object store; return its sha256."""
        sha = hashlib.sha256(content).hexdigest()
        store(self.objects, sha, content)
        if self._present is not None:
            self._present.add(sha)
        return sha

    def get(self, sha: str) -> bytes:
        """Return the stored object ``sha``."""
        return (self.objects / sha).read_bytes()

    def holds_body(self, body: tuple[str, int, int]) -> bool:
        """Tell whether the pack of ``body`` is there and long enough."""
        pack, offset, length = body
        if not self.has(pack):
            return False
        size = self._pack_sizes.get(pack)
        if size is None:
            try:
                size = self._pack_sizes[pack] = os.stat(self.path(pack)).st_size
            except OSError:
                size = self._pack_sizes[pack] = -1
        return offset + length <= size

    def body(self, body: tuple[str, int, int]) -> str:
        """Return the body HTML at ``body`` (see :func:`read_body`)."""
        return read_body(self.objects, body)

    @property
    def held(self) -> set[str]:
        """Return the last build's outputs still in its folder as it wrote them.

        Checked once per build, by size and modification time as
        :meth:`output_intact` does. Pages are not kept in the object store
        once written (write.py moves them into place), so these files are
        where a later build finds the bytes of a page it need not render.
        """
        if self._held is None:
            self._held = set()
            for name, state in self.index.outputs.items():
                try:
                    stat = os.stat(f"{self.index.out}/{name}")
                except OSError:
                    continue
                if (stat.st_size, stat.st_mtime_ns) == (state.size, state.mtime_ns):
                    self._held.add(name)
        return self._held

    def output_intact(self, out: Path) -> bool:
        """Tell whether ``out`` still holds exactly what the last build wrote."""
        return bool(self.index.outputs) and self.index.out == str(out) and len(
            self.held) == len(self.index.outputs)

    def find(self, name: str, sha: str) -> str | None:
        """Return a file holding the bytes ``sha`` of output ``name``, or None."""
        if self.has(sha):
            return self.path(sha)
        if name in self.held and self.index.outputs[name].sha256 == sha:
            return f"{self.index.out}/{name}"
        return None

    def collect_garbage(self, keep: set[str]) -> int:
        """Delete objects no longer referenced; return how many went."""
        try:
            names = os.listdir(self.objects)
        except OSError:
            return 0
        removed = 0
        for name in names:
            if name not in keep and not name.startswith("."):
                try:
                    os.unlink(f"{self.objects}/{name}")
                except FileNotFoundError:
                    continue  # another build of this project took it first
                removed += 1
        if self._present is not None:
            self._present &= keep
        return removed


#: Paths pickle as one string. With pathlib's own form, a tuple of parts, a
#: Record takes a fifth longer to unpickle, and a one-edit build unpickles
#: every Record.
_DISPATCH = {**copyreg.dispatch_table,
             PosixPath: lambda path: (PosixPath, (str(path),))}


def _pickle(value) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(value)
    return buffer.getvalue()


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


class PackWriter:
    """Appends the body HTML one process makes in one build to one pack.

    The pack is created with the first body, under a random name, so that
    two processes (or two builds of one process) never share a pack.
    """

    def __init__(self, objects: Path):
        self.objects = objects
        self.name = ""
        self.size = 0
        self._fd: int | None = None

    def add(self, content: bytes) -> tuple[str, int, int]:
        """Append ``content``; return where it went: (pack, offset, length)."""
        if self._fd is None:
            self.objects.mkdir(parents=True, exist_ok=True)
            self.name = f"pack-{os.urandom(8).hex()}"
            self._fd = os.open(self.objects / self.name,
                               os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        offset = self.size
        view = memoryview(content)
        while view:
            view = view[os.write(self._fd, view):]
        self.size += len(content)
        return self.name, offset, len(content)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read_body(objects: Path, body: tuple[str, int, int]) -> str:
    """Return the body HTML that ``body`` (pack, offset, length) points at."""
    pack, offset, length = body
    fd = os.open(objects / pack, os.O_RDONLY)
    try:
        content = os.pread(fd, length, offset)
    finally:
        os.close(fd)
    if len(content) != length:
        raise OSError(f"{objects / pack} is cut short; delete the folder "
                      f"{objects.parent} (the build cache) and build again")
    return content.decode("utf-8")


def key_of(*parts: str) -> str:
    """Return a sha256 over string ``parts``: the per-source keys, in one update."""
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


def combine(*parts) -> str:
    """Return a sha256 over ``parts`` (strings, or iterables of strings)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, str):
            digest.update(part.encode())
        else:
            # One update per part: hashing item by item costs more than
            # the joining. The count keeps [] and [""] apart.
            items = list(map(str, part))
            joined = "\x1f".join(items)
            digest.update(f"{len(items)}\x1d{joined}".encode())
        digest.update(b"\x1e")
    return digest.hexdigest()
