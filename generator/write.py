"""Stage 4: write the site into ``public/`` without ever leaving it half-built.

In: a mapping of output paths to bytes (or to source files to copy). Out:
the output folder. Everything is written into a sibling folder first and
swapped in by two renames at the end, so a build that fails, or is
interrupted, leaves the previous site exactly as it was.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def write_site(files: dict[str, bytes | Path], out: Path) -> int:
    """Write ``files`` to a fresh folder and swap it in for ``out``; return bytes."""
    staging = out.with_name(f".{out.name}.new")
    retired = out.with_name(f".{out.name}.old")
    for leftover in (staging, retired):
        if leftover.exists():
            shutil.rmtree(leftover)

    total = 0
    for name in sorted(files):
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        content = files[name]
        if isinstance(content, Path):
            shutil.copyfile(content, target)
            total += target.stat().st_size
        else:
            target.write_bytes(content)
            total += len(content)

    if out.exists():
        os.rename(out, retired)
    os.rename(staging, out)
    if retired.exists():
        shutil.rmtree(retired)
    return total
