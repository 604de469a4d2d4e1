"""Time builds inside one Python process, without interpreter start-up.

In: a Probable project and an output folder. Out: one JSON object on
stdout: the seconds to import the generator, a clean build (empty cache),
a no-op build right after it and a build after appending a sentence to one
post (then taken away again). Run it with the project's venv; ``bench/run.py``
does, and subtracts these from the command line's times to show what
start-up costs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EDIT = "\nOne more sentence, added by the in-process benchmark.\n"


def timed(function, *args, **kwargs) -> tuple[float, object]:
    """Return the seconds ``function`` took and what it returned."""
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - started, value


def main(argv: list[str] | None = None) -> int:
    """Run the builds and print their times as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--post", required=True,
                        help="the Markdown file to edit, relative to --root")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))

    shutil.rmtree(args.root / ".cache", ignore_errors=True)
    shutil.rmtree(args.out, ignore_errors=True)
    import_s, module = timed(__import__, "generator.build", fromlist=["build"])
    build = module.build
    clean_s, _ = timed(build, args.root, out=args.out)
    noop_s, noop = timed(build, args.root, out=args.out)

    post = args.root / args.post
    original = post.read_text(encoding="utf-8")
    post.write_text(original + EDIT, encoding="utf-8")
    try:
        edit_s, edit = timed(build, args.root, out=args.out)
    finally:
        post.write_text(original, encoding="utf-8")
    build(args.root, out=args.out)

    json.dump({"import_s": round(import_s, 3), "clean_s": round(clean_s, 3),
               "noop_s": round(noop_s, 3), "noop_written": noop.written,
               "edit_s": round(edit_s, 3), "edit_written": edit.written},
              sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
