"""The ``probable`` command line.

Exit codes: 0 success, 1 problems in the input (each printed as
``path:line: message``), 2 wrong usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import sys
from pathlib import Path

from generator.commands import build, check, new, precompute, serve
from generator.errors import BuildError, ProbableError

COMMANDS = {
    "build": build,
    "serve": serve,
    "new": new,
    "check": check,
    "precompute": precompute,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="probable",
        description="Build interactive machine-learning articles from Markdown.",
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(),
                        help="project folder holding site.toml (default: here)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log every file and show tracebacks")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="log warnings and errors only")
    subparsers = parser.add_subparsers(dest="command", required=True,
                                       metavar="COMMAND")
    for name, module in COMMANDS.items():
        doc = (module.run.__doc__ or "").strip()
        sub = subparsers.add_parser(name, help=doc.splitlines()[0], description=doc)
        module.add_arguments(sub)
    return parser


def _configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"
                                           if verbose else "%(message)s"))
    root = logging.getLogger("probable")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def run() -> None:
    """The ``probable`` command: :func:`main`, then the end of the process.

    After ``probable build`` the process ends without Python tearing down
    the objects it made, which took 20-25 ms of every build (a fifth of a
    build with nothing to do): the exit handlers still run and the output
    is flushed, and a build leaves no file open with unwritten data. The
    other commands (precompute's scratch folder goes with the tear-down)
    end as usual.
    """
    code = main(exit_after_build=True)
    raise SystemExit(code)


def main(argv: list[str] | None = None, *, exit_after_build: bool = False) -> int:
    """Run the command line; return the exit code.

    With ``exit_after_build``, ``build`` ends the process instead (see run).
    """
    args = _parser().parse_args(argv)
    _configure_logging(args.verbose, args.quiet)
    if exit_after_build and args.command == "build":
        code = _main(args)
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return _main(args)


def _main(args: argparse.Namespace) -> int:
    try:
        return COMMANDS[args.command].run(args) or 0
    except BuildError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        errors = sum(not p.warning for p in error.problems)
        warnings = len(error.problems) - errors
        print(f"failed: {errors} error(s), {warnings} warning(s) counted as errors; "
              "nothing was written", file=sys.stderr)
        return error.exit_code
    except ProbableError as error:
        if args.verbose:
            raise
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
