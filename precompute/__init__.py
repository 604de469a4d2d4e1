"""Run real models and store what they produce as JSON under ``data/``.

This package is the only writer of ``data/``; the build only reads it, and
the browser widgets only read the copies the build publishes. The shape of
those files is the contract between Python and JavaScript, written down
here once.

``data/models.json``
    ``{"<model id>": {"sha256": str, "file": str, "name": str}}``: the
    weights each model id resolved to when precompute last ran. The build
    uses it to compute freshness keys without having the weights.

``data/widgets/<post slug>/<widget id>.json``
    One file per widget that needs data::

        {
          "kind": "next-token",          # widget kind
          "key": "<64 hex digits>",      # freshness key, see freshness.py
          "options": {...},              # the validated options it was run with
          "provenance": {
            "model": "SmolLM2-135M-Instruct",   # human-readable model name
            "model_id": "smollm2",              # what site.toml / options named
            "sha256": "<weights checksum>",
            "libraries": {"torch": "2.13.0", "transformers": "..."},
            "computed": "2026-12-03"            # date of the run (UTC)
          },
          "data": {...}                  # the payload; shape per widget kind,
                                         # documented in that kind's module
        }

Floats in ``data`` are rounded with :func:`rounding` so that a rerun on the
same machine writes the same bytes; ``precompute --check`` compares a fresh
run with the committed values within :data:`CHECK_TOLERANCE`.
"""

from __future__ import annotations

import math
from typing import Any

#: Decimal places kept for every float in a payload. Probabilities of the
#: order 1e-5 still show two significant digits.
DECIMALS = 6

#: ``precompute --check`` accepts a recomputed float that differs from the
#: committed one by at most this much (absolute). The models run in float32
#: on the CPU; different CPUs may order the sums of a matrix product
#: differently, which moves the sixth decimal but not the fourth.
CHECK_TOLERANCE = 2e-4


def rounding(value: Any, decimals: int = DECIMALS) -> Any:
    """Round every float inside ``value`` (dicts, lists, tuples) for storage."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot store the non-finite float {value!r}")
        rounded = round(value, decimals)
        return 0.0 if rounded == 0 else rounded
    if isinstance(value, int | str):
        return value
    if isinstance(value, dict):
        return {str(k): rounding(v, decimals) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounding(v, decimals) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and torch tensors
        return rounding(value.tolist(), decimals)
    raise TypeError(f"cannot store a value of type {type(value).__name__}")
