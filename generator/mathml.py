"""LaTeX to MathML at build time, so that pages need no math JavaScript.

latex2mathml writes a command it does not know as a literal identifier
(``<mi>\\foo</mi>``), which a reader would see as broken math; we turn that
into an error instead.
"""

from __future__ import annotations

import functools
import re

UNKNOWN_COMMAND = re.compile(r">(\\[A-Za-z]+)<")


class MathError(ValueError):
    """The LaTeX could not be turned into MathML."""


@functools.lru_cache(maxsize=4096)
def to_mathml(latex: str, display: bool = False) -> str:
    """Return MathML for ``latex``; raise MathError on unknown commands.

    Kept per process (errors are not): ``probable serve`` parses an edited
    post again at every save, and its formulas rarely change.
    """
    from latex2mathml.converter import convert  # 30 ms to import; few posts need it

    try:
        markup = convert(latex.strip(), display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many plain exception types
        raise MathError(f"cannot read the LaTeX '{latex.strip()}': {error}") from None

    unknown = sorted(set(UNKNOWN_COMMAND.findall(markup)))
    if unknown:
        raise MathError(
            f"unknown LaTeX command {', '.join(unknown)} in '{latex.strip()}'; "
            "use a standard command (e.g. \\frac, \\sum, \\mathrm) or write it out"
        )
    return markup
