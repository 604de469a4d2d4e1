"""The next-token distribution after a prompt, re-shaped by temperature.

Temperature T divides the logits before softmax: p_T(i) = exp(l_i / T) /
sum_j exp(l_j / T), which is the same as re-weighting each probability by
p^(1/T) and renormalising. The normaliser runs over the whole vocabulary,
so the browser cannot recompute it from the few tokens it shows; instead
this task evaluates the exact distribution for every temperature on the
slider's grid, and the widget looks values up.

Payload::

    {
      "prompt": [token, ...],
      "vocab_size": 49152,
      "candidates": [                  # top_k tokens by logit (the same
        {"id": ..., "text": ..., "display": ..., "logit": 17.3}  # order at
      ],                               # every T > 0)
      "grid": [                        # one row per slider position
        {"t": 0.1,
         "p": [0.99, ...],             # p_T of each candidate
         "rest": 0.0,                  # p_T of every other token together
         "entropy": 0.01}              # of the full distribution, in nats
      ],
      "seed": 42                       # seed of the widget's sampler
    }
"""

from __future__ import annotations

from precompute import rounding
from precompute.tasks import Option

KIND = "temperature"
SUMMARY = "temperature re-shaping a real next-token distribution, with sampling"
MODEL = "lm"
OPTIONS = {
    "prompt": Option(str, "the text whose next token is sampled", required=True),
    "top_k": Option(int, "candidates shown (3 to 12)", default=8,
                    minimum=3, maximum=12),
    "seed": Option(int, "seed of the sampler (mulberry32) in the widget",
                   default=42, minimum=0, maximum=2**32 - 1),
}

#: The slider's range and step; every position is precomputed.
T_MIN, T_MAX, T_STEP = 0.1, 3.0, 0.05


def grid() -> list[float]:
    """Return the temperatures the slider can take, smallest first."""
    count = round((T_MAX - T_MIN) / T_STEP) + 1
    return [round(T_MIN + i * T_STEP, 2) for i in range(count)]


def compute(options: dict, ctx) -> dict:
    """Return the exact distribution over the candidates at every temperature."""
    lm = ctx.lm()
    ids = lm.tokenize(options["prompt"])
    if not ids:
        raise ValueError("'prompt' is empty; give the text the model continues")

    logits = lm.logits(ids).double()  # [V]
    candidates = lm.top(logits, options["top_k"])
    shown = [c.id for c in candidates]

    rows = []
    for t in grid():
        log_p = (logits / t).log_softmax(dim=-1)  # [V]
        p = log_p.exp()
        top = [float(p[i]) for i in shown]
        rows.append({
            "t": t,
            "p": top,
            "rest": max(0.0, 1.0 - sum(top)),
            "entropy": float(-(p * log_p).sum()),
        })

    return rounding({
        "prompt": [t.to_json() for t in lm.tokens(ids)],
        "vocab_size": lm.vocab_size,
        "candidates": [
            {**c.to_json(), "logit": float(logits[c.id])} for c in candidates
        ],
        "grid": rows,
        "seed": options["seed"],
    })
