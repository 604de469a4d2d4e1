"""``probable precompute``."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true",
                       help="recompute everything and fail if any stored value "
                            "differs beyond the tolerance; write nothing")
    group.add_argument("--force", action="store_true",
                       help="recompute and rewrite every widget's data")


def run(args: argparse.Namespace) -> int:
    """Compute missing or stale widget data with real models into data/."""
    from precompute.run import run as run_precompute  # the Markdown stack, tqdm

    run_precompute(args.root, check=args.check, force=args.force,
                   progress=sys.stderr.isatty())
    return 0
