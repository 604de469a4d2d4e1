"""Test accuracy after every epoch: the teacher and three ways to train a student.

The three students share their architecture, seeds and schedule and differ
only in what they learn from: hard labels (alpha = 1), the teacher's soft
targets at temperature T (alpha = 0), or the blend of both at the given
alpha. Each student curve is the mean over the seeds; the teacher is one
model, trained once.

Payload::

    {
      "epochs": 60,
      "temperature": 4.0,
      "alpha": 0.5,
      "seeds": [0, 1, 2, 3, 4],
      "series": [
        {"id": "teacher", "label": "Teacher", "accuracy": [0.87, ...]},
        {"id": "hard", "label": "Hard labels", "accuracy": [...]},
        {"id": "soft", "label": "Soft targets", "accuracy": [...]},
        {"id": "blend", "label": "Blend", "accuracy": [...]}
      ],
      "parameters": {"teacher": 76810, "student": 1210}
    }

``accuracy[e]`` is the test accuracy after epoch e + 1.
"""

from __future__ import annotations

from precompute import rounding
from precompute.tasks import Option

KIND = "training-curves"
SUMMARY = "test accuracy per epoch: teacher and hard, soft and blended students"
MODEL = "digits"
OPTIONS = {
    "temperature": Option((int, float), "temperature T of the soft and blended "
                          "students", default=4, minimum=0.1, maximum=100),
    "alpha": Option((int, float), "weight of the hard-label term of the "
                    "blended student (strictly between 0 and 1)", default=0.5,
                    minimum=0.05, maximum=0.95),
    "seeds": Option(int, "students averaged per curve, seeds 0 to seeds - 1",
                    default=5, minimum=1, maximum=20),
}


def compute(options: dict, ctx) -> dict:
    """Train the three students over the seeds; return every curve."""
    from precompute import digits

    t, alpha = float(options["temperature"]), float(options["alpha"])
    seeds = list(range(options["seeds"]))
    ways = {
        "hard": ("Hard labels", [digits.hard_recipe(s) for s in seeds]),
        "soft": ("Soft targets", [digits.Recipe(0.0, t, s) for s in seeds]),
        "blend": ("Blend", [digits.Recipe(alpha, t, s) for s in seeds]),
    }
    everything = [r for _, recipes in ways.values() for r in recipes]
    results = dict(zip(everything, digits.students(ctx, everything)))

    def mean_curve(recipes):
        curves = [results[r]["curve"] for r in recipes]
        return [sum(epoch) / len(epoch) for epoch in zip(*curves)]

    teacher = digits.teacher(ctx)
    series = [{"id": "teacher", "label": "Teacher", "accuracy": teacher.curve}]
    series += [{"id": key, "label": label, "accuracy": mean_curve(recipes)}
               for key, (label, recipes) in ways.items()]
    return rounding({
        "epochs": digits.STUDENT.epochs,
        "temperature": t,
        "alpha": alpha,
        "seeds": seeds,
        "series": series,
        "parameters": {
            "teacher": digits.parameter_count(digits.TEACHER),
            "student": digits.parameter_count(digits.STUDENT),
        },
    })
