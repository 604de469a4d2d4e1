"""Softmax worked by hand on the real logits of the top next-token candidates.

The widget walks through softmax for the ``top_k`` tokens with the highest
logits after the prompt: subtract the largest logit (which leaves the result
unchanged and keeps the exponentials between 0 and 1), exponentiate, sum,
divide. Dividing by the sum over the ``top_k`` shown renormalises them to
100 %; the model itself divides by the sum over the whole vocabulary, so
both results are stored, with the share the rest of the vocabulary holds.

Payload::

    {
      "prompt": [token, ...],
      "vocab_size": 49152,
      "max_logit": 17.3,              # subtracted from every logit
      "candidates": [                 # highest logit first
        {"id": ..., "text": ..., "display": ...,
         "logit": 17.3,               # raw score from the output layer
         "shifted": 0.0,              # logit - max_logit
         "exp": 1.0,                  # exp(shifted)
         "p_shown": 0.31,             # exp / sum_shown
         "p_full": 0.07}              # exp / sum_full: the model's probability
      ],
      "sum_shown": 3.2,               # sum of exp over the candidates
      "sum_full": 14.0,               # sum of exp over the whole vocabulary
      "mass_shown": 0.23,             # sum_shown / sum_full
      "rest": 0.77                    # 1 - mass_shown
    }
"""

from __future__ import annotations

import math

from precompute import rounding
from precompute.tasks import Option

KIND = "softmax"
SUMMARY = "softmax step by step over the real logits of the top candidates"
MODEL = "lm"
OPTIONS = {
    "prompt": Option(str, "the text whose next-token logits are shown",
                     required=True),
    "top_k": Option(int, "candidates shown (2 to 10)", default=5,
                    minimum=2, maximum=10),
}


def compute(options: dict, ctx) -> dict:
    """Return the top logits and every intermediate value of their softmax."""
    lm = ctx.lm()
    ids = lm.tokenize(options["prompt"])
    if not ids:
        raise ValueError("'prompt' is empty; give the text the model continues")

    logits = lm.logits(ids).double()  # [V]
    candidates = lm.top(logits, options["top_k"])
    max_logit = float(logits.max())
    sum_full = float((logits - max_logit).exp().sum())

    rows = []
    for token in candidates:
        shifted = float(logits[token.id]) - max_logit
        rows.append({**token.to_json(), "logit": float(logits[token.id]),
                     "shifted": shifted, "exp": math.exp(shifted)})
    sum_shown = sum(row["exp"] for row in rows)
    for row in rows:
        row["p_shown"] = row["exp"] / sum_shown
        row["p_full"] = row["exp"] / sum_full

    return rounding({
        "prompt": [t.to_json() for t in lm.tokens(ids)],
        "vocab_size": lm.vocab_size,
        "max_logit": max_logit,
        "candidates": rows,
        "sum_shown": sum_shown,
        "sum_full": sum_full,
        "mass_shown": sum_shown / sum_full,
        "rest": 1.0 - sum_shown / sum_full,
    })
