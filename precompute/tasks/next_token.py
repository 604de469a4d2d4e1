"""Greedy generation one token at a time, with the candidates of every step.

Each step runs the model on the prompt plus the tokens chosen so far, keeps
the ``top_k`` most probable next tokens and appends the most probable one
(greedy decoding, no sampling). Generation stops early when the model picks
an end-of-text token.

Payload::

    {
      "prompt": [{"id": 504, "text": "The", "display": "The"}, ...],
      "vocab_size": 49152,
      "steps": [                      # one per press of the button
        {
          "candidates": [             # top_k tokens, most probable first
            {"id": 2644, "text": " cat", "display": "␣cat", "p": 0.0713}
          ],
          "chosen": {"id": ..., "text": ..., "display": ...},  # the argmax
          "rest": 0.79                # probability of every other token
        }
      ],
      "stopped": false                # true when an end-of-text token ended it
    }
"""

from __future__ import annotations

from precompute import rounding
from precompute.tasks import Option

KIND = "next-token"
SUMMARY = "greedy next-token prediction, one step per button press"
MODEL = "lm"
OPTIONS = {
    "prompt": Option(str, "the text the model continues", required=True),
    "steps": Option(int, "how many tokens to generate (1 to 12)", default=4,
                    minimum=1, maximum=12),
    "top_k": Option(int, "candidates shown at each step (2 to 10)", default=5,
                    minimum=2, maximum=10),
}


def compute(options: dict, ctx) -> dict:
    """Generate ``steps`` tokens greedily and keep each step's top candidates."""
    lm = ctx.lm()
    ids = lm.tokenize(options["prompt"])
    if not ids:
        raise ValueError("'prompt' is empty; give the text the model continues")

    steps = []
    stopped = False
    for _ in range(options["steps"]):
        probs = lm.next_token_distribution(ids)  # [V]
        candidates = lm.top(probs, options["top_k"])
        shown = [float(probs[c.id]) for c in candidates]
        chosen = candidates[0]
        steps.append({
            "candidates": [
                {**c.to_json(), "p": p} for c, p in zip(candidates, shown)
            ],
            "chosen": chosen.to_json(),
            "rest": 1.0 - sum(shown),
        })
        ids = [*ids, chosen.id]

        if chosen.id in lm.tokenizer.all_special_ids:
            stopped = True
            break

    prompt = lm.tokens(lm.tokenize(options["prompt"]))
    return rounding({
        "prompt": [t.to_json() for t in prompt],
        "vocab_size": lm.vocab_size,
        "steps": steps,
        "stopped": stopped,
    })
