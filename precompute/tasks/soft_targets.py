"""The teacher's logits for a few test images the teacher finds hardest.

Rule: for each digit 0..9, the test image of that digit on which the
teacher's two largest logits are closest (the smallest top-two margin).
These are the images whose soft targets say the most besides the answer.
The widget divides the stored logits by the temperature on its slider and
takes the softmax in the browser, p_i = exp(z_i / T) / sum_j exp(z_j / T);
the payload also holds those probabilities at the starting temperature for
the page's default state.

Payload::

    {
      "rule": "...",                   # the selection rule, in words
      "temperature": 1.0,              # the starting temperature
      "teacher_accuracy": 0.98,
      "images": [                      # one per digit, in digit order
        {"label": 3, "test_index": 17, # position in the fixed test split
         "pixels": [0, 5, ...],        # 64 values 0..16, row by row
         "logits": [...],              # the teacher's 10 logits
         "prediction": 3,              # the teacher's argmax
         "ranking": [3, 9, ...],       # digits by logit, largest first
         "margin": 1.9,                # top logit minus the runner-up
         "probabilities": [...]}       # softmax(logits / temperature)
      ]
    }
"""

from __future__ import annotations

from precompute import rounding
from precompute.tasks import Option

KIND = "soft-targets"
SUMMARY = "the teacher's distribution over digits, softened by temperature"
MODEL = "digits"
OPTIONS = {
    "temperature": Option((int, float), "the slider's starting temperature "
                          "(0.5 to 20 in steps of 0.5)", default=1, minimum=0.5,
                          maximum=20),
    "digit": Option(int, "the digit shown first", default=3, minimum=0,
                    maximum=9),
}

RULE = ("for each digit, the test image of that digit on which the teacher's "
        "two largest logits are closest")


def check(options: dict) -> list[str]:
    """Return what is wrong with ``options`` beyond what OPTIONS checks."""
    if (float(options["temperature"]) * 2) % 1:
        return [(f"'temperature' must be a multiple of 0.5 (the slider's step), "
                f"not {options['temperature']}")]
    return []


def compute(options: dict, ctx) -> dict:
    """Pick the smallest-margin test image of each digit; return its logits."""
    import torch

    from precompute import digits

    if problems := check(options):
        raise ValueError("; ".join(problems))
    t = float(options["temperature"])
    teacher = digits.teacher(ctx)
    split = digits.load_split()
    logits = teacher.logits_test  # (N_test, K)
    top2 = logits.topk(2, dim=1).values  # (N_test, 2)
    margins = top2[:, 0] - top2[:, 1]  # (N_test,)

    images = []
    for label in range(digits.CLASSES):
        candidates = (split.y_test == label).nonzero().squeeze(1)
        index = int(candidates[margins[candidates].argmin()])
        z = logits[index]  # (K,)
        images.append({
            "label": label,
            "test_index": index,
            "pixels": split.pixels_test[index],
            "logits": z.tolist(),
            "prediction": int(z.argmax()),
            "ranking": z.argsort(descending=True, stable=True).tolist(),
            "margin": float(margins[index]),
            "probabilities": torch.softmax(z.double() / t, dim=0).tolist(),
        })

    return rounding({
        "rule": RULE,
        "temperature": t,
        "teacher_accuracy": teacher.accuracy,
        "images": images,
    })
