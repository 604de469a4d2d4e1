"""The one exception tree of Probable.

Author-facing problems are :class:`Problem` records that point at a file and
line. Stages gather them instead of stopping at the first, so that one run
reports everything; :class:`BuildError` carries the whole list out to the
CLI, which prints one line per problem and exits with status 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in an author's input, printed as ``path:line: message``."""

    path: str  # relative to the project root where possible
    line: int  # 1-based; 0 when the problem concerns the whole file
    message: str  # what is wrong and how to fix it, as one sentence or two
    warning: bool = False  # True: the build goes on unless --strict

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        kind = "warning: " if self.warning else ""
        return f"{where}: {kind}{self.message}"


class ProbableError(Exception):
    """Root of every error Probable raises on purpose."""

    exit_code = 1


class ConfigError(ProbableError):
    """site.toml is missing or wrong."""


class BuildError(ProbableError):
    """The input has problems; ``problems`` lists every one found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class PrecomputeError(ProbableError):
    """A model could not be found or a computation failed."""


class Problems:
    """A collector that stages append to; raises once at the end."""

    def __init__(self, root: Path):
        self.root = root
        self.items: list[Problem] = []

    def relative(self, path: Path | str) -> str:
        """Return ``path`` relative to the project root when it lies inside."""
        path = Path(path)
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def add(self, path: Path | str, line: int, message: str) -> None:
        """Record an error at ``path:line``."""
        self.items.append(Problem(self.relative(path), line, message))

    def warn(self, path: Path | str, line: int, message: str) -> None:
        """Record a warning at ``path:line``."""
        self.items.append(Problem(self.relative(path), line, message, warning=True))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.warning]

    def raise_if_failed(self, strict: bool = False) -> None:
        """Raise BuildError if there are errors (or warnings, when strict)."""
        failing = self.items if strict else self.errors
        if failing:
            raise BuildError(failing)
