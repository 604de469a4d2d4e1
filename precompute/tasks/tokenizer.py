"""How the model's tokenizer cuts a text into vocabulary entries.

Payload::

    {
      "text": "Tokenizers split ...",
      "tokens": [
        {"id": 20855, "text": "Token", "display": "Token",
         "start": 0, "end": 5}        # character offsets into "text"
      ],
      "characters": 57,               # len(text)
      "bytes": 59,                    # UTF-8 bytes; BPE works on bytes
      "vocab_size": 49152
    }

Offsets come from the tokenizer and include a token's leading space. A
token that holds only part of a multi-byte character shows the bytes it
does hold as ``\\xNN`` escapes.
"""

from __future__ import annotations

from precompute import rounding
from precompute.tasks import Option

KIND = "tokenizer"
SUMMARY = "the real tokens and ids of a piece of text"
MODEL = "lm"
OPTIONS = {
    "text": Option(
        str,
        "the text to split into tokens",
        default="Tokenizers don't cut where you'd expect: unbelievably, "
        "naïve, 2026.",
    ),
}


def compute(options: dict, ctx) -> dict:
    """Tokenise the text and return each token with its id and offsets."""
    lm = ctx.lm()
    text = options["text"]
    if not text:
        raise ValueError("'text' is empty; give the text to tokenise")

    ids = lm.tokenize(text)
    spans = lm.spans(text)
    tokens = [
        {**token.to_json(), "start": start, "end": end}
        for token, (start, end) in zip(lm.tokens(ids), spans)
    ]
    return rounding({
        "text": text,
        "tokens": tokens,
        "characters": len(text),
        "bytes": len(text.encode("utf-8")),
        "vocab_size": lm.vocab_size,
    })
