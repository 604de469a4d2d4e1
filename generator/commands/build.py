"""``probable build``."""

from __future__ import annotations

import argparse
import gc
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

    # One short pass whose garbage reference counting frees: the cycle
    # collector would only walk the cached Records again and again, about a
    # tenth of a one-edit rebuild.
    gc.disable()
    try:
        build(args.root, out=args.out, drafts=args.drafts, strict=args.strict)
    finally:
        gc.enable()
    return 0
