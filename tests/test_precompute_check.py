"""The committed numbers are real: a fresh run of every model reproduces them.

This is ``probable precompute --check`` on the repository itself: every
widget's data is recomputed with the real models (from an empty scratch
cache) and compared with ``data/`` within ``precompute.CHECK_TOLERANCE``.
It takes a minute or two, most of it loading the language model.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.model
def test_precompute_check_reproduces_every_committed_value(repo):
    result = subprocess.run(
        [sys.executable, "-m", "generator", "--root", str(repo), "precompute",
         "--check"], capture_output=True, text=True, timeout=900)

    assert result.returncode == 0, result.stderr[-3000:]
    assert " 0 differ from data/" in result.stderr
