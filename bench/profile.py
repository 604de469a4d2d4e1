"""Profile clean, no-op and one-edit builds, and say where the time goes.

In: a Probable project (``bench/run.py`` writes one; ``--posts`` makes one
here). Builds: clean, no-op, one edit from the command line's point of view
(a fresh process), and one edit as ``probable serve`` rebuilds (the cache
kept in memory). Out, in ``bench/out/profile/`` or ``--out``: ``<build>.html``
(pyinstrument's call tree), ``<build>.txt`` and ``profile.json``, and a
table on stdout that sums the sampled time into categories: Markdown
parsing, Pygments, Jinja, YAML, hashing and the cache, writing, link
checking, imports, and so on.

The clean build runs with ``processes=1``: a sampling profiler only sees the
process it runs in, so with the usual worker pool the parse work would be
invisible. The same build without the profiler gives its true length. The
table ends with a command-line no-op split into interpreter start-up,
imports and the build. Each sample is charged to the innermost frame that belongs to a
known package or generator module (``re`` under Pygments counts as
Pygments); anything under an import counts as an import.

Usage: ``.venv/bin/python bench/profile.py --posts 1000`` (pyinstrument is
in the project's venv).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out" / "profile"

#: (substring of a frame's file path, category), first match wins.
CATEGORIES = (
    ("importlib._bootstrap", "imports"),
    ("/markdown_it/", "Markdown parse and render (markdown-it)"),
    ("/mdit_py_plugins/", "Markdown plugins (mdit-py-plugins)"),
    ("generator/markdown.py", "Markdown rules (generator/markdown.py)"),
    ("/pygments/", "Pygments highlighting"),
    ("/jinja2/", "Jinja templates"),
    ("/markupsafe/", "Jinja templates"),
    ("/yaml/", "YAML (front matter, widget options)"),
    ("/latex2mathml/", "math (latex2mathml)"),
    ("generator/mathml.py", "math (latex2mathml)"),
    ("generator/write.py", "write public/"),
    ("generator/links.py", "link checks"),
    ("generator/cache.py", "cache: hashing, pickle, objects"),
    ("generator/jobs.py", "job pool"),
    ("generator/widgets.py", "widgets: options and data"),
    ("generator/assets.py", "assets: CSS bundle, fingerprints"),
    ("generator/load.py", "load: read sources"),
    ("generator/parse.py", "parse: glue around Markdown"),
    ("generator/render.py", "render: glue around Jinja"),
    ("generator/stages.py", "stages: keys and bookkeeping"),
    ("generator/templates.py", "Jinja templates"),
    ("generator/build.py", "build: scan inputs, fingerprint"),
    ("generator/", "other generator code"),
)


def category(file_path: str | None) -> str | None:
    """Return the category of a frame's file, or None to inherit its caller's."""
    if not file_path:
        return None
    for needle, name in CATEGORIES:
        if needle in file_path:
            return name
    return None


def categorise(root) -> dict[str, float]:
    """Sum the self time of every frame into the category it is charged to."""
    totals: dict[str, float] = {}
    stack = [(root, "outside the build")]
    while stack:
        frame, inherited = stack.pop()
        own = category(frame.file_path)
        charged = inherited if inherited == "imports" else own or inherited
        children = frame.children
        self_time = frame.time - sum(child.time for child in children)
        totals[charged] = totals.get(charged, 0.0) + max(self_time, 0.0)
        stack.extend((child, charged) for child in children)
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def profile_build(name: str, root: Path, out: Path, processes: int | None
                  ) -> dict:
    """Build under pyinstrument; write its reports; return the categories."""
    from pyinstrument import Profiler

    from generator.build import build

    if name == "unprofiled":
        started = time.perf_counter()
        build(root, out=out, processes=processes)
        return {"seconds": round(time.perf_counter() - started, 3)}
    options = {"out": out, "processes": processes}
    if name == "serve":
        # As `probable serve` rebuilds: one Cache kept in memory, dev reload
        # on, only the path the watcher reports scanned, the cache saved later.
        from generator.cache import Cache
        from generator.config import load_config

        # The second edit is profiled: the first warms what a long-running
        # process keeps (lexers, templates).
        options.update(out=out.with_name("serve-site"), dev_reload=True,
                       cache=Cache(load_config(root).cache_dir / "build"))
        build(root, **options)
        options.update(changed={_newest_post(root)}, save=False)
        edit_post(root)
        build(root, **options)
        edit_post(root, sentence=EDIT.replace("One more", "Another"))
    profiler = Profiler(interval=0.001)
    started = time.perf_counter()
    profiler.start()
    try:
        result = build(root, **options)
    finally:
        profiler.stop()
        if name == "serve":
            restore_post(root)
    seconds = time.perf_counter() - started

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.html").write_text(profiler.output_html(), encoding="utf-8")
    (OUT / f"{name}.txt").write_text(profiler.output_text(unicode=True),
                                     encoding="utf-8")
    totals = categorise(profiler.last_session.root_frame(trim_stem=False))
    return {"seconds": round(seconds, 3), "written": result.written,
            "categories": {k: round(v, 3) for k, v in totals.items()}}


EDIT = "\nOne more sentence, added by the profiler.\n"


def _newest_post(root: Path) -> Path:
    posts = sorted((root / "content" / "posts").glob("*/index.md"))
    return max(posts, key=lambda p: p.read_text(encoding="utf-8").split(
        "date:", 1)[1][:12])


def edit_post(root: Path, sentence: str = EDIT) -> None:
    """Append a sentence to the newest post."""
    newest = _newest_post(root)
    newest.write_text(newest.read_text(encoding="utf-8") + sentence,
                      encoding="utf-8")


def restore_post(root: Path) -> None:
    """Take away every sentence the profiler appended to the newest post."""
    newest = _newest_post(root)
    text = newest.read_text(encoding="utf-8")
    newest.write_text(text.split(EDIT, 1)[0], encoding="utf-8")


def table(results: dict[str, dict]) -> str:
    """Return the categories of each build as a markdown table."""
    names = list(results)
    rows = sorted({c for r in results.values() for c in r["categories"]},
                  key=lambda c: -max(r["categories"].get(c, 0)
                                     for r in results.values()))
    lines = ["| where the time goes | " + " | ".join(
        f"{n} ({results[n]['seconds']:.2f} s)" for n in names) + " |",
             "|---|" + "---:|" * len(names)]
    for row in rows:
        cells = []
        for name in names:
            value = results[name]["categories"].get(row, 0.0)
            share = value / max(sum(results[name]["categories"].values()), 1e-9)
            cells.append(f"{value:.2f} s ({share:.0%})" if value >= 0.005 else "")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _wall(command: list[str], runs: int = 5) -> float:
    """Return the median wall-clock seconds of ``command``."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def startup(root: Path, site: Path) -> dict:
    """Split a command-line no-op build into interpreter, imports and build."""
    python = sys.executable
    probable = str(Path(python).parent / "probable")
    imports = subprocess.run([python, "-X", "importtime", "-c",
                              "import generator.cli"], capture_output=True,
                             text=True, check=True).stderr
    slowest = sorted(((int(line.split("|")[1]), line.split("|")[2].strip())
                      for line in imports.splitlines()[1:]), reverse=True)
    return {
        "interpreter_s": round(_wall([python, "-c", "pass"]), 3),
        "import_cli_s": round(_wall([python, "-c", "import generator.cli"]), 3),
        "noop_cli_s": round(_wall([probable, "-q", "--root", str(root), "build",
                                   "--out", str(site)]), 3),
        "slowest_imports_ms": {name: round(us / 1000, 1)
                               for us, name in slowest[:8]},
    }


BUILDS = {
    # name: (title in the table, worker processes)
    "unprofiled": ("clean, serial, without the profiler", 1),
    "clean": ("clean, serial", 1),
    "noop": ("no-op", None),
    "edit": ("one edit", None),
    "serve": ("serve: one edit", None),
}


def profile_in_child(name: str, root: Path) -> dict:
    """Profile one build in a fresh interpreter, as the command line runs it."""
    done = subprocess.run([sys.executable, __file__, "--root", str(root),
                           "--out", str(OUT), "--build", name],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"profiling the {name} build failed:\n{done.stderr}")
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    """Profile the three builds and print where their time goes."""
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="a Probable project to profile")
    parser.add_argument("--posts", type=int, default=1000,
                        help="without --root: write a corpus of this many posts")
    parser.add_argument("--out", type=Path, default=OUT,
                        help=f"folder for the reports (default: {OUT})")
    parser.add_argument("--build", choices=BUILDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    OUT = args.out.resolve()
    sys.path.insert(0, str(REPO))
    site = OUT / "site"
    if args.build:
        _, processes = BUILDS[args.build]
        json.dump(profile_build(args.build, args.root, site, processes), sys.stdout)
        return 0

    if args.root is None:
        sys.path.insert(0, str(BENCH))
        import corpus

        corpus.write_corpus(args.posts, BENCH / "out" / "profile-corpus",
                            generators=("probable",))
        args.root = BENCH / "out" / "profile-corpus" / "probable"
    root = args.root.resolve()
    shutil.rmtree(root / ".cache", ignore_errors=True)
    shutil.rmtree(site, ignore_errors=True)
    results = {}
    for name, (title, _) in BUILDS.items():
        if name in ("unprofiled", "clean"):
            shutil.rmtree(root / ".cache", ignore_errors=True)
            shutil.rmtree(site, ignore_errors=True)
        if name == "edit":
            edit_post(root)
        if name == "serve":
            restore_post(root)
        results[title] = profile_in_child(name, root)

    profile_in_child("noop", root)
    results["command-line no-op"] = startup(root, site)

    (OUT / "profile.json").write_text(json.dumps(results, indent=2),
                                      encoding="utf-8")
    print(table({k: v for k, v in results.items() if "categories" in v}))
    unprofiled = results[BUILDS["unprofiled"][0]]["seconds"]
    profiled = results[BUILDS["clean"][0]]["seconds"]
    print(f"\nThe same clean serial build takes {unprofiled:.2f} s without the "
          f"profiler: sampling stretches it {profiled / unprofiled:.1f} times, "
          "most where calls are many and short, so read the shares as rough.")
    print("\ncommand-line no-op, medians of 5:",
          json.dumps(results["command-line no-op"], indent=1))
    trees = ",".join(name for name in BUILDS if name != "unprofiled")
    print(f"\ncall trees: {OUT}/{{{trees}}}.html")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
