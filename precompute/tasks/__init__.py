"""Widget definitions: the options a widget takes and the task that feeds it.

Every widget kind has one module here, named for the widget with
underscores (``next-token`` -> ``next_token.py``). A module defines:

``KIND``
    The widget's name as authors write it in a fenced block.
``SUMMARY``
    One line that error messages show next to the name.
``OPTIONS``
    A mapping of option name to :class:`Option`. The build validates the
    YAML body of the block against it and fills in defaults.
``MODEL``
    ``"lm"`` (a causal language model), ``"digits"`` (the distillation
    experiments) or ``None`` for widgets that need no computed data.
``compute(options, ctx) -> dict``
    Only when ``MODEL`` is not ``None``. Returns the widget's payload: plain
    JSON values, floats already rounded with :func:`precompute.rounding`.
``check(options) -> list[str]`` (optional)
    Checks that ``OPTIONS`` cannot express (the shape of a list of
    mappings, say); each message becomes a build error at the author's line.

Importing these modules must never import torch: the build reads
``OPTIONS`` on machines that have no torch. Import heavy libraries inside
``compute``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

TASKS_DIR = Path(__file__).parent

#: Every widget kind, in the order the documentation lists them.
KINDS = (
    "next-token",
    "tokenizer",
    "softmax",
    "cross-entropy",
    "attention",
    "temperature",
    "formula",
    "soft-targets",
    "training-curves",
    "sweep",
    "dark-knowledge",
    "loss-blend",
)


@dataclass(frozen=True)
class Option:
    """One option of a widget, as an author writes it in the YAML body."""

    type: type | tuple[type, ...]  # accepted Python type(s) after YAML parsing
    help: str  # one line, shown when the option is missing or wrong
    default: Any = None  # used when the author leaves the option out
    required: bool = False  # True: the author must give it
    choices: tuple = ()  # when not empty, the value must be one of these
    minimum: float | None = None  # inclusive lower bound for numbers
    maximum: float | None = None  # inclusive upper bound for numbers
    items: type | None = None  # element type when ``type`` is list


@dataclass(frozen=True)
class Widget:
    """What the build and precompute know of one widget kind."""

    kind: str
    summary: str
    options: dict[str, Option]
    model: str | None
    module: ModuleType = field(repr=False)

    @property
    def source_path(self) -> Path:
        """Return the file whose content is this widget's code version."""
        return Path(self.module.__file__)


def module_name(kind: str) -> str:
    """Return the module name for a widget kind: ``next-token`` -> ``next_token``."""
    return kind.replace("-", "_")


def load(kind: str) -> Widget:
    """Import the definition of one widget kind."""
    module = importlib.import_module(f"{__name__}.{module_name(kind)}")
    return Widget(
        kind=module.KIND,
        summary=module.SUMMARY,
        options=dict(module.OPTIONS),
        model=module.MODEL,
        module=module,
    )


def available() -> dict[str, Widget]:
    """Return every widget kind whose module exists, keyed by kind."""
    found = {}
    for kind in KINDS:
        if (TASKS_DIR / f"{module_name(kind)}.py").exists():
            found[kind] = load(kind)
    return found
