"""Final test accuracy of the student over a grid of temperatures and alphas.

Every cell trains one student per seed with the blended loss
alpha * CE(hard) + (1 - alpha) * T^2 * KL(soft) at one (alpha, T) and
reports the spread of their final test accuracies. The baseline is the same
student trained on hard labels alone (alpha = 1, where T plays no part),
over the same seeds.

Payload::

    {
      "temperatures": [1.0, 2.0, 4.0, 8.0, 16.0],   # columns
      "alphas": [0.0, 0.25, 0.5, 0.75],             # rows
      "seeds": [0, 1, ...],
      "cells": [[spread, ...], ...],   # cells[row][column]; a spread is
                                       # {"mean", "std", "min", "max",
                                       #  "runs": [accuracy per seed]}
      "baseline": spread,              # hard labels only
      "teacher": 0.98,                 # the teacher's test accuracy
      "test_size": 540,                # test images behind each accuracy
      "parameters": {"teacher": 76810, "student": 1210}
    }

``std`` is the sample standard deviation over seeds.
"""

from __future__ import annotations

from precompute import rounding
from precompute.tasks import Option

KIND = "sweep"
SUMMARY = "student accuracy over temperature x alpha, with spread over seeds"
MODEL = "digits"
OPTIONS = {
    "temperatures": Option(list, "temperatures T of the columns (each > 0)",
                           default=[1, 2, 4, 8, 16], items=(int, float),
                           minimum=0.1, maximum=100),
    "alphas": Option(list, "weights alpha of the hard-label term, one row each "
                     "(0 to 1; 1 is the baseline, shown apart)",
                     default=[0, 0.25, 0.5, 0.75], items=(int, float),
                     minimum=0, maximum=1),
    "seeds": Option(int, "students per cell, seeds 0 to seeds - 1 (5 to 20)",
                    default=10, minimum=5, maximum=20),
}


def check(options: dict) -> list[str]:
    """Return what is wrong with ``options`` beyond what OPTIONS checks."""
    return [f"'{name}' needs at least one value"
            for name in ("temperatures", "alphas") if not options[name]]


def compute(options: dict, ctx) -> dict:
    """Train every cell's students and the baseline; return their spreads."""
    from precompute import digits

    if problems := check(options):
        raise ValueError("; ".join(problems))
    temperatures = [float(t) for t in options["temperatures"]]
    alphas = [float(a) for a in options["alphas"]]
    seeds = list(range(options["seeds"]))

    grid = [[[digits.Recipe(alpha, t, seed) for seed in seeds]
             for t in temperatures] for alpha in alphas]
    baseline = [digits.hard_recipe(seed) for seed in seeds]
    everything = [r for row in grid for cell in row for r in cell] + baseline
    results = dict(zip(everything, digits.students(ctx, everything)))

    def cell(recipes):
        return digits.spread(results[r]["accuracy"] for r in recipes)

    teacher = digits.teacher(ctx)
    return rounding({
        "temperatures": temperatures,
        "alphas": alphas,
        "seeds": seeds,
        "cells": [[cell(recipes) for recipes in row] for row in grid],
        "baseline": cell(baseline),
        "teacher": teacher.accuracy,
        "test_size": len(teacher.logits_test),
        "parameters": {
            "teacher": digits.parameter_count(digits.TEACHER),
            "student": digits.parameter_count(digits.STUDENT),
        },
    })
