"""``probable check``."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from generator.config import load_config
from generator.errors import Problems

log = logging.getLogger("probable.check")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--drafts", action="store_true",
                        help="include posts marked 'draft: true'")


def run(args: argparse.Namespace) -> int:
    """Build into a temporary folder and check internal links, anchors, images."""
    import tempfile

    from generator.build import build
    from generator.check import check_site  # needs the Markdown stack

    with tempfile.TemporaryDirectory(prefix="probable-check-") as folder:
        out = Path(folder) / "public"
        # Not saved: the cache keeps describing public/, so that the next
        # `probable build` finds its pages there instead of rendering them.
        build(args.root, out=out, drafts=args.drafts, strict=True, save=False)
        problems = Problems(out)
        pages = check_site(out, problems, load_config(args.root).base_url)
        problems.raise_if_failed(strict=True)
    log.info("checked %d pages: every internal link, anchor and image resolves",
             pages)
    return 0
