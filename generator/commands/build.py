"""``probable build``."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strict", action="store_true",
                        help="fail on warnings too (use in CI)")
    parser.add_argument("--drafts", action="store_true",
                        help="include posts marked 'draft: true'")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: public/ in the project)")


def run(args: argparse.Namespace) -> int:
    """Build the site into public/; leave the old site untouched on failure."""
    from generator.build import build

    build(args.root, out=args.out, drafts=args.drafts, strict=args.strict)
    return 0
