"""The two terms of the distillation loss, weighed by alpha, at real magnitudes.

The student's loss is alpha * CE(hard) + (1 - alpha) * T^2 * KL(soft). For
every alpha on a grid of eleven (0, 0.1, ..., 1) this task trains one
student at temperature T and measures both terms on the test set after
training, unweighted, so the widget can show how each alpha weighs them.
At alpha = 1 the soft term gets no weight and the student is the
hard-label one; its soft term is still measured, at the same T.

Payload::

    {
      "temperature": 4.0,
      "seed": 0,
      "points": [                       # one per alpha, ascending
        {"alpha": 0.0,
         "ce": 0.09,                    # CE(student, hard labels), nats
         "soft": 0.31,                  # T^2 * KL(teacher^T || student^T)
         "accuracy": 0.97}              # the student's test accuracy
      ]
    }
"""

from __future__ import annotations

from precompute import rounding
from precompute.tasks import Option

KIND = "loss-blend"
SUMMARY = "how alpha weighs the hard-label and soft-target loss terms"
MODEL = "digits"

#: The slider's positions: alpha from 0 to 1 in steps of 0.1.
ALPHAS = tuple(i / 10 for i in range(11))

OPTIONS = {
    "temperature": Option((int, float), "temperature T of the soft term",
                          default=4, minimum=0.1, maximum=100),
    "alpha": Option((int, float), "the slider's starting alpha (a multiple of "
                    "0.1 from 0 to 1)", default=0.5, minimum=0, maximum=1),
    "seed": Option(int, "seed of every student on the grid", default=0,
                   minimum=0, maximum=2**31 - 1),
}


def check(options: dict) -> list[str]:
    """Return what is wrong with ``options`` beyond what OPTIONS checks."""
    if round(options["alpha"] * 10, 9) % 1:
        return [(f"'alpha' must be a multiple of 0.1 (the slider's step), not "
                f"{options['alpha']}")]
    return []


def compute(options: dict, ctx) -> dict:
    """Train one student per alpha; return both loss terms of each on the test set."""
    from precompute import digits

    if problems := check(options):
        raise ValueError("; ".join(problems))
    t = float(options["temperature"])
    recipes = [digits.Recipe(alpha, t, options["seed"]) for alpha in ALPHAS]
    results = digits.students(ctx, recipes)
    return rounding({
        "temperature": t,
        "seed": options["seed"],
        "points": [
            {"alpha": r.alpha, "ce": result["test_ce"], "soft": result["test_soft"],
             "accuracy": result["accuracy"]}
            for r, result in zip(recipes, results)
        ],
    })
