"""Self-attention weights of every layer and head for one sentence.

Row i of a head's matrix says how token i spreads its attention over
tokens 0..i; the causal mask zeroes every later token, so only the lower
triangle is stored. A word may split into several tokens: the query word
is represented by its last token (the first one that has seen the whole
word), and attention to the key word is the sum over its tokens.

The widget opens on the head where the query word attends most to the key
word (by default "it" -> "animal"), found here by that rule over all layers
and heads.

Payload::

    {
      "tokens": [token, ...],          # T tokens of the sentence
      "layers": 30, "heads": 9,
      "weights": [                     # [L][H][T] rows; row i has i + 1
        [[[1.0], [0.49, 0.51], ...]]   # weights, rounded to DIGITS places
      ],
      "query": {"word": "it", "tokens": [8], "index": 8},
      "key": {"word": "animal", "tokens": [1]},
      "default": {"layer": 4, "head": 2, "weight": 0.61},  # 0-based
      "mean_row": [0.5, 0.04, ...]     # the query token's attention
    }                                  # averaged over all L x H heads
"""

from __future__ import annotations

import re

from precompute import rounding
from precompute.tasks import Option

KIND = "attention"
SUMMARY = "real self-attention weights of every layer and head for a sentence"
MODEL = "lm"
OPTIONS = {
    "sentence": Option(
        str,
        "the sentence whose attention is shown (keep it under 24 tokens)",
        default="The animal didn't cross the street because it was tired",
    ),
    "query_word": Option(str, "word whose attention picks the opening head",
                         default="it"),
    "key_word": Option(str, "word the opening head should attend to most",
                       default="animal"),
}

#: Decimal places kept for attention weights: enough to read, small to ship.
DIGITS = 3

#: Longest sentence accepted, in tokens; the matrix grows with its square.
MAX_TOKENS = 24


def compute(options: dict, ctx) -> dict:
    """Return every head's causal attention rows and the opening head."""
    lm = ctx.lm()
    sentence = options["sentence"]
    ids = lm.tokenize(sentence)
    if not 2 <= len(ids) <= MAX_TOKENS:
        raise ValueError(
            f"'sentence' has {len(ids)} tokens; give one of 2 to {MAX_TOKENS}"
        )

    spans = lm.spans(sentence)
    query = _word_tokens(sentence, spans, options["query_word"], "query_word")
    key = _word_tokens(sentence, spans, options["key_word"], "key_word")
    if query[-1] <= min(key):
        raise ValueError(
            f"'query_word' {options['query_word']!r} must come after 'key_word' "
            f"{options['key_word']!r}: a token attends only to earlier tokens"
        )

    weights = lm.attentions(ids).double()  # [L, H, T, T]
    to_key = weights[:, :, query[-1], key].sum(dim=-1)  # [L, H]
    best = int(to_key.argmax())
    layer, head = divmod(best, lm.heads)

    rows = [
        [[weights[l, h, i, : i + 1].tolist() for i in range(len(ids))]
         for h in range(lm.heads)]
        for l in range(lm.layers)
    ]
    return {
        "tokens": [t.to_json() for t in lm.tokens(ids)],
        "layers": lm.layers,
        "heads": lm.heads,
        "weights": rounding(rows, DIGITS),
        "query": {"word": options["query_word"], "tokens": query,
                  "index": query[-1]},
        "key": {"word": options["key_word"], "tokens": key},
        "default": {"layer": layer, "head": head,
                    "weight": rounding(float(to_key[layer, head]), DIGITS)},
        "mean_row": rounding(weights[:, :, query[-1], : query[-1] + 1]
                             .mean(dim=(0, 1)), DIGITS),
    }


def _word_tokens(
    sentence: str, spans: list[tuple[int, int]], word: str, option: str
) -> list[int]:
    """Return the indices of the tokens that overlap the first whole ``word``."""
    match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", sentence)
    if match is None:
        raise ValueError(
            f"'{option}' {word!r} is not a word of the sentence {sentence!r}; "
            "pick a word that occurs in it"
        )

    start, end = match.span()
    return [i for i, (a, b) in enumerate(spans) if a < end and b > start]
