"""Score the article pages with Lighthouse, served locally with Netlify's headers.

Builds the site into a temporary folder (or takes ``--site``), serves it on
127.0.0.1 with the headers of ``_headers`` (so the CSP is enforced), runs
the Lighthouse of ``package.json`` (``npm ci --ignore-scripts`` installs
it) with Debian's Chromium on every ``posts/*/`` page, and prints the four
category scores and the main timings. Reports go to ``bench/out/``.

    .venv/bin/python bench/lighthouse.py              # mobile, one run
    .venv/bin/python bench/lighthouse.py --preset desktop --runs 3

Scores are those of Lighthouse's simulated throttling ("mobile": a slow 4G
network and a 4x slower CPU), so they say little about this machine's speed
and vary by a point or two between runs; ``--runs`` reports the median.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from generator.build import build  # noqa: E402
from support import CHROMIUM, CHROMIUM_ARGS, SiteServer  # noqa: E402

LIGHTHOUSE = REPO / "node_modules" / "lighthouse" / "cli" / "index.js"
OUT = REPO / "bench" / "out" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
#: Timings shown beside the scores: audit id -> column title.
TIMINGS = {"first-contentful-paint": "FCP", "largest-contentful-paint": "LCP",
           "total-blocking-time": "TBT", "cumulative-layout-shift": "CLS"}


def lighthouse(url: str, report: Path, preset: str) -> dict:
    """Run Lighthouse once on ``url``; return its JSON report."""
    flags = " ".join(a for a in CHROMIUM_ARGS if a != "--headless")
    command = ["node", str(LIGHTHOUSE), url, "--quiet", "--output=json",
               f"--output-path={report}", f"--chrome-flags=--headless=new {flags}",
               f"--only-categories={','.join(CATEGORIES)}"]
    if preset == "desktop":
        command.append("--preset=desktop")
    env = dict(os.environ, CHROME_PATH=CHROMIUM)
    subprocess.run(command, check=True, env=env, timeout=300)
    return json.loads(report.read_text(encoding="utf-8"))


def scores(report: dict) -> dict[str, float]:
    """Return each category score (0-100) and each timing of one report."""
    row = {name: report["categories"][name]["score"] * 100 for name in CATEGORIES}
    for audit, title in TIMINGS.items():
        row[title] = report["audits"][audit]["numericValue"]
    return row


def failing_audits(report: dict) -> list[str]:
    """Return the audits below full marks in the non-performance categories."""
    found = []
    for name in CATEGORIES[1:]:
        for ref in report["categories"][name]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                found.append(f"{name}: {audit['id']}: {audit['title']}")
    return found


def _format(row: dict[str, float]) -> str:
    cells = [f"{row[name]:5.0f}" for name in CATEGORIES]
    cells += [f"{row['FCP'] / 1000:4.1f} s", f"{row['LCP'] / 1000:4.1f} s",
              f"{row['TBT']:5.0f} ms", f"{row['CLS']:.3f}"]
    return "  ".join(cells)


def main(argv: list[str] | None = None) -> int:
    """Build, serve and score every article page; print one line per page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build "
                        "the repository's into a temporary folder)")
    parser.add_argument("--preset", choices=("mobile", "desktop"), default="mobile")
    parser.add_argument("--runs", type=int, default=1,
                        help="runs per page; the median is printed")
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.exists():
        print(f"{LIGHTHOUSE} is missing; run npm ci --ignore-scripts",
              file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory(prefix="probable-lighthouse-") as folder:
        site = args.site or build(REPO, out=Path(folder) / "public").out
        pages = sorted(site.glob("posts/*/index.html"))
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"{'page':40} {'perf':>5}  {'a11y':>5}  {'b.p.':>5}  {'seo':>5}  "
              f"{'FCP':>6}  {'LCP':>6}  {'TBT':>8}  CLS   ({args.preset})")
        with SiteServer(site) as server:
            for page in pages:
                path = "/" + page.relative_to(site).parent.as_posix() + "/"
                rows, report = [], {}
                for run in range(args.runs):
                    name = f"{page.parent.name}-{args.preset}-{run + 1}.json"
                    report = lighthouse(server.url + path, OUT / name, args.preset)
                    rows.append(scores(report))
                median = {key: statistics.median(r[key] for r in rows)
                          for key in rows[0]}
                print(f"{path:40} {_format(median)}")
                for audit in failing_audits(report):
                    print(f"{'':40} {audit}")
    shutil.rmtree(OUT / "tmp", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
