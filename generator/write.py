"""Stage 4: write the site into ``public/`` without ever leaving it half-built.

In: every output as an :class:`Output` (a checksum and its bytes, or a file
to copy). Out: the output folder, and the manifest of what it now holds.

When the folder still holds exactly what the last build wrote (sizes and
modification times as recorded), only files whose checksum changed are
replaced, each by writing a temporary file and renaming it over the old
one, and files no longer produced are removed. Otherwise the whole site is
assembled in a sibling folder (:func:`start_staging`; the build's workers
already wrote the post pages into it) and swapped in by two renames. Either
way the build calls this only when it has found no problem, so a failed
build leaves the previous site exactly as it was.
"""

from __future__ import annotations

import errno
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from generator.cache import Cache, FileState


@dataclass(frozen=True)
class Output:
    """One file of the site: its checksum and where its bytes come from."""

    sha256: str
    content: bytes | None = None  # the bytes, or
    path: str | Path | None = None  # a file to copy them from
    movable: bool = False  # path is this build's own: move it, do not copy
    placed: bool = False  # already in the staging folder, where it belongs


def _place(output: Output, target: Path, moved: dict, atomic: bool) -> None:
    """Put ``output`` at ``target``; ``moved`` maps moved objects to their place.

    With ``atomic``, bytes are written to a temporary file renamed over
    ``target``, so a reader never sees half a file.
    """
    if output.movable and output.path not in moved:
        # A rename is atomic and costs a tenth of a copy; the object is used
        # up. A cache folder on another file system cannot be renamed from.
        try:
            os.replace(output.path, target)
            moved[output.path] = target
            return
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
    written = target.with_name(f".{target.name}.new") if atomic else target
    if output.content is not None:
        written.write_bytes(output.content)
    else:
        shutil.copyfile(moved.get(output.path, output.path), written)
    if atomic:
        os.replace(written, target)


def _state(path: Path, sha: str) -> FileState:
    stat = path.stat()
    return FileState(stat.st_size, stat.st_mtime_ns, sha)


def start_staging(out: Path) -> Path:
    """Return an empty folder beside ``out`` to assemble a whole new site in.

    Leftovers of a build that stopped half-way are removed first.
    """
    staging = out.with_name(f".{out.name}.new")
    for leftover in (staging, out.with_name(f".{out.name}.old")):
        if leftover.exists():
            shutil.rmtree(leftover)
    staging.mkdir(parents=True)
    return staging


def write_site(outputs: dict[str, Output], out: Path, cache: Cache,
               staging: Path | None = None) -> tuple[int, dict[str, FileState]]:
    """Bring ``out`` to ``outputs``; return (files written, new manifest).

    Without ``staging`` (from :func:`start_staging`) ``out`` must still hold
    what the last build wrote, and is updated in place.
    """
    if staging is None:
        return _update(outputs, out, cache.index.outputs)
    return _replace(outputs, out, staging)


def _update(outputs: dict[str, Output], out: Path,
            previous: dict[str, FileState]) -> tuple[int, dict[str, FileState]]:
    manifest, written, moved = {}, 0, {}
    for name in sorted(outputs):
        output = outputs[name]
        old = previous.get(name)
        if old is not None and old.sha256 == output.sha256:
            manifest[name] = old
            continue
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        _place(output, target, moved, atomic=True)
        manifest[name] = _state(target, output.sha256)
        written += 1

    for name in sorted(set(previous) - set(outputs)):
        (out / name).unlink(missing_ok=True)
        _remove_empty_parents(out / name, out)
    return written, manifest


def _remove_empty_parents(path: Path, out: Path) -> None:
    folder = path.parent
    while folder != out and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _replace(outputs: dict[str, Output], out: Path, staging: Path
             ) -> tuple[int, dict[str, FileState]]:
    retired = out.with_name(f".{out.name}.old")
    manifest, moved = {}, {}
    for name in sorted(outputs):
        if outputs[name].placed:
            continue
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        _place(outputs[name], target, moved, atomic=False)

    if out.exists():
        os.rename(out, retired)
    os.rename(staging, out)
    for name in sorted(outputs):
        manifest[name] = _state(out / name, outputs[name].sha256)
    if retired.exists():
        shutil.rmtree(retired)
    return len(outputs), manifest
