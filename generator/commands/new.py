"""``probable new "Title"``."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import re

from generator.config import load_config
from generator.errors import ProbableError

log = logging.getLogger("probable.new")

TEMPLATE = """---
title: "{title}"
date: {date}
summary: ""
tags: []
draft: true
---

Write the opening paragraph here.

## First section
"""


def slugify(title: str) -> str:
    """Return a URL slug for ``title``: ``"Hello, World!"`` -> ``hello-world``."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("title", help="the post's title, in quotes")
    parser.add_argument("--date", type=dt.date.fromisoformat, default=None,
                        help="publication date YYYY-MM-DD (default: today)")


def run(args: argparse.Namespace) -> int:
    """Scaffold a post bundle content/posts/<slug>/index.md as a draft."""
    config = load_config(args.root)
    slug = slugify(args.title)
    if not slug:
        raise ProbableError(f"cannot make a URL slug from '{args.title}'; use a title "
                            "with letters or digits")
    folder = config.content_dir / "posts" / slug
    if folder.exists():
        raise ProbableError(f"{folder} already exists; choose another title")

    folder.mkdir(parents=True)
    date = args.date or dt.date.today()
    title = args.title.replace('"', '\\"')
    (folder / "index.md").write_text(TEMPLATE.format(title=title, date=date),
                                     encoding="utf-8")
    log.info("created %s (a draft: build with --drafts to see it)",
             (folder / "index.md").relative_to(config.root))
    return 0
