"""The loss a language model pays for one target word after a prompt.

The target is appended to the prompt after one space (unless the prompt
already ends in whitespace) and tokenised with it. When the target takes
several tokens, its probability is the product of each token's probability
given the prompt and the target tokens before it (the chain rule; during
training every position is scored this way, "teacher forcing"), and its
loss is the sum of the per-token losses. ``-ln`` is the natural log, so the
loss is in nats.

Payload::

    {
      "prompt": [token, ...],
      "target": "lazy",                # as the author wrote it
      "target_tokens": [               # the target's tokens in context
        {"id": ..., "text": " lazy", "display": "␣lazy",
         "p": 0.91,                    # P(token | prompt, earlier target tokens)
         "loss": 0.094,                # -ln p
         "rank": 1}                    # 1 = the model's top choice there
      ],
      "p": 0.91,                       # product of the per-token p
      "loss": 0.094,                   # sum of the per-token losses = -ln p
      "alternatives": [                # top 5 at the first target position
        {"id": ..., "text": ..., "display": ..., "p": ...}
      ],
      "vocab_size": 49152,
      "curve": [4.605, 3.912, ...]     # -ln p at p = 1 %, 2 %, ... 100 %,
    }                                  # for the widget's chart
"""

from __future__ import annotations

import math

from precompute import rounding
from precompute.tasks import Option

KIND = "cross-entropy"
SUMMARY = "cross-entropy loss -ln p against the model's probability of a word"
MODEL = "lm"
OPTIONS = {
    "prompt": Option(str, "the text before the target word", required=True),
    "target": Option(str, "the word the model should predict next",
                     required=True),
}

#: Alternatives listed next to the target.
ALTERNATIVES = 5


def compute(options: dict, ctx) -> dict:
    """Score the target after the prompt, token by token."""
    lm = ctx.lm()
    prompt, target = options["prompt"], options["target"].strip()
    if not prompt.strip() or not target:
        raise ValueError("'prompt' and 'target' must both be non-empty text")

    prompt_ids = lm.tokenize(prompt)
    joiner = "" if prompt[-1].isspace() else " "
    full_ids = lm.tokenize(prompt + joiner + target)
    if full_ids[: len(prompt_ids)] != prompt_ids:
        raise ValueError(
            f"the tokens of 'prompt' change when {target!r} follows it, so the "
            "target cannot be scored on its own; end the prompt at a word "
            "boundary"
        )
    target_ids = full_ids[len(prompt_ids):]

    tokens, alternatives = [], []
    for position, token_id in enumerate(target_ids):
        probs = lm.next_token_distribution(full_ids[: len(prompt_ids) + position])
        p = float(probs[token_id])
        rank = int((probs > probs[token_id]).sum()) + 1
        tokens.append({**lm.token(token_id).to_json(), "p": p,
                       "loss": -math.log(p), "rank": rank})
        if position == 0:
            alternatives = [
                {**t.to_json(), "p": float(probs[t.id])}
                for t in lm.top(probs, ALTERNATIVES)
            ]

    return rounding({
        "prompt": [t.to_json() for t in lm.tokens(prompt_ids)],
        "target": target,
        "target_tokens": tokens,
        "p": math.prod(t["p"] for t in tokens),
        "loss": sum(t["loss"] for t in tokens),
        "alternatives": alternatives,
        "vocab_size": lm.vocab_size,
        "curve": [-math.log(percent / 100) for percent in range(1, 101)],
    })
