"""The one rule that decides whether a widget's stored data is still valid.

A widget's data is fresh when the key stored in its data file equals the key
computed now from:

* the widget kind and its validated options (defaults filled in),
* the model id and the sha256 of the weights it resolved to,
* the code version: the sha256 of the widget's module and of the shared
  model module it runs on (``lm.py`` or ``digits.py``).

Editing an option, swapping the weights or changing the code that computes
the numbers therefore makes the data stale; reformatting the Markdown around
the widget does not. The build and precompute both call :func:`key`.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from precompute.tasks import Widget

PACKAGE_DIR = Path(__file__).parent

#: Shared modules that feed each model family's widgets.
MODEL_CODE = {
    "lm": ("lm.py",),
    "digits": ("digits.py",),
}


@cache
def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def code_version(widget: Widget) -> str:
    """Return the sha256 over the source files that compute ``widget``'s data."""
    digest = hashlib.sha256()
    paths = [widget.source_path]
    paths += [PACKAGE_DIR / name for name in MODEL_CODE.get(widget.model, ())]
    for path in paths:
        digest.update(path.name.encode())
        digest.update(_file_digest(path).encode())
    return digest.hexdigest()


def key(widget: Widget, options: dict, model_id: str, model_sha256: str) -> str:
    """Return the freshness key of one widget's data."""
    material = {
        "kind": widget.kind,
        "options": options,
        "model": [model_id, model_sha256],
        "code": code_version(widget),
    }
    encoded = json.dumps(material, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()
