"""Can a student recognise a digit it never saw, from the teacher's hints?

Every training example of one digit is removed from the students' data
(the teacher still learned from all ten). A student trained on hard labels
then never sees that label and cannot name the digit. A distilled student
sees no example of it either, but the teacher's soft targets on the other
digits (a 5 that looks a little like a 3, an 8 that looks a little like a
3) still give the missing class some probability. This task measures how
much of the unseen digit each temperature recovers, over several seeds.

Payload::

    {
      "digit": 3,
      "alpha": 0.0,                 # weight of the hard-label term
      "seeds": [0, 1, 2, 3, 4],
      "removed": 128,               # training images of the digit removed
      "train_size": 1129,           # training images left
      "test_count": 55,             # test images of the digit
      "teacher": {"unseen": 1.0, "overall": 0.98},
      "hard": {"unseen": spread, "others": spread},
      "distilled": [
        {"temperature": 1.0, "unseen": spread, "others": spread}, ...
      ]
    }

``unseen`` is the test accuracy on the removed digit, ``others`` on the
other nine digits; a spread is {"mean", "std", "min", "max", "runs"} over
the seeds (sample standard deviation). The numbers are raw argmax
accuracies: no bias of the missing class is adjusted after training.
"""

from __future__ import annotations

from precompute import rounding
from precompute.tasks import Option

KIND = "dark-knowledge"
SUMMARY = "students that never saw one digit: hard labels versus soft targets"
MODEL = "digits"
OPTIONS = {
    "digit": Option(int, "the digit removed from the students' training data",
                    default=3, minimum=0, maximum=9),
    "alpha": Option((int, float), "weight of the hard-label term in the "
                    "distilled student's loss (0 = soft targets only)",
                    default=0.0, minimum=0, maximum=0.9),
    "temperatures": Option(list, "temperatures T to distil at (each > 0)",
                           default=[1, 2, 4, 8, 16], items=(int, float),
                           minimum=0.1, maximum=100),
    "temperature": Option((int, float), "the slider's starting temperature "
                          "(one of 'temperatures')", default=8),
    "seeds": Option(int, "students per setting, seeds 0 to seeds - 1",
                    default=5, minimum=2, maximum=20),
}


def check(options: dict) -> list[str]:
    """Return what is wrong with ``options`` beyond what OPTIONS checks."""
    temperatures = [float(t) for t in options["temperatures"]]
    if not temperatures:
        return ["'temperatures' needs at least one value"]
    if float(options["temperature"]) not in temperatures:
        return [(f"'temperature' {options['temperature']} must be one of "
                f"'temperatures' {options['temperatures']}")]
    return []


def compute(options: dict, ctx) -> dict:
    """Train the hard-label and distilled students without the digit."""
    from precompute import digits

    if problems := check(options):
        raise ValueError("; ".join(problems))
    digit = options["digit"]
    temperatures = [float(t) for t in options["temperatures"]]
    seeds = list(range(options["seeds"]))

    hard = [digits.hard_recipe(seed, drop_digit=digit) for seed in seeds]
    distilled = [[digits.Recipe(options["alpha"], t, seed, drop_digit=digit)
                  for seed in seeds] for t in temperatures]
    everything = hard + [r for row in distilled for r in row]
    results = dict(zip(everything, digits.students(ctx, everything)))

    split = digits.load_split()
    counts = [int((split.y_test == k).sum()) for k in range(digits.CLASSES)]

    def others(per_class):
        hits = sum(a * n for k, (a, n) in enumerate(zip(per_class, counts))
                   if k != digit)
        return hits / (sum(counts) - counts[digit])

    def summary(recipes):
        per_class = [results[r]["per_class"] for r in recipes]
        return {
            "unseen": digits.spread(p[digit] for p in per_class),
            "others": digits.spread(others(p) for p in per_class),
        }

    teacher = digits.teacher(ctx)
    teacher_per_class = digits.per_class_accuracy(
        teacher.logits_test.argmax(-1), split.y_test)
    removed = int((split.y_train == digit).sum())
    return rounding({
        "digit": digit,
        "alpha": float(options["alpha"]),
        "seeds": seeds,
        "removed": removed,
        "train_size": len(split.y_train) - removed,
        "test_count": counts[digit],
        "teacher": {"unseen": teacher_per_class[digit],
                    "overall": teacher.accuracy},
        "hard": summary(hard),
        "distilled": [{"temperature": t, **summary(row)}
                      for t, row in zip(temperatures, distilled)],
    })
