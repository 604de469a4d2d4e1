"""A widget kind that exists only in tests: its "computation" is arithmetic.

It lets the precompute runner be tested without torch: the runner resolves
its model (the digits data file, which needs no torch to checksum) and calls
``compute`` like any other task.
"""

from precompute.tasks import Option

KIND = "echo"
SUMMARY = "test widget: squares a number"
MODEL = "digits"
OPTIONS = {"x": Option(int, "a number to square", default=3)}
CALLS = []  # options of every compute call, for the tests to count


def compute(options: dict, ctx) -> dict:
    """Return the square of ``x`` and a float with many decimals."""
    CALLS.append(dict(options))
    return {"square": options["x"] ** 2, "third": options["x"] / 3}
