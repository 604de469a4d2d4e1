"""A formula whose terms appear one at a time and explain themselves.

No model runs for this widget: the build renders each term's LaTeX to
MathML, the template writes every term with its explanation (the no-JS
state shows them all), and the script hides the terms after the first
until the reader asks for the next one.

Options::

    terms:
      - latex: P(w_t
        explanation: The probability that the next token is w_t.
      - latex: \\mid w_{<t}
        explanation: ...

Each term is a piece of standard LaTeX that converts on its own; pieces
sit side by side, so an opening parenthesis may close in a later term.
"""

from __future__ import annotations

from precompute.tasks import Option

KIND = "formula"
SUMMARY = "a formula revealed term by term, each term explained"
MODEL = None

#: The next-token formula from the post, used when the author gives no terms.
DEFAULT_TERMS = [
    {
        "latex": r"P(w_t",
        "explanation": "The probability that the token at position t is "
        "w\u209c: one particular entry of the vocabulary, such as \u201cmat\u201d.",
    },
    {
        "latex": r"\mid w_{<t}",
        "explanation": "Given every token before position t: the prompt and "
        "whatever the model has generated so far. Nothing else goes in.",
    },
    {
        "latex": r";\,\theta)",
        "explanation": "\u03b8 (theta) stands for the parameters, the weights "
        "learned in training. They stay fixed while the model writes.",
    },
    {
        "latex": r"=\operatorname{softmax}",
        "explanation": "Softmax turns a list of scores into probabilities: "
        "exponentiate every score, then divide by their sum.",
    },
    {
        "latex": r"(z_t)_{w_t}",
        "explanation": "z\u209c holds the logits, one raw score per "
        "vocabulary entry, which the transformer computes from the context. "
        "The subscript w\u209c picks the entry of the token in question.",
    },
]

OPTIONS = {
    "terms": Option(
        list,
        "the formula's pieces in order, each a mapping with 'latex' and "
        "'explanation'",
        default=DEFAULT_TERMS,
        items=dict,
    ),
}


def check(options: dict) -> list[str]:
    """Return what is wrong with the terms, one message per problem."""
    problems = []
    if not options["terms"]:
        problems.append("'terms' is empty; give at least one term")
    for number, term in enumerate(options["terms"], start=1):
        for name in ("latex", "explanation"):
            if not isinstance(term.get(name), str) or not term[name].strip():
                problems.append(
                    f"term {number} of 'terms' needs a non-empty '{name}' "
                    f"(text); found {term.get(name)!r}"
                )
        extra = sorted(set(term) - {"latex", "explanation"})
        if extra:
            problems.append(
                f"term {number} of 'terms' has unknown keys {', '.join(extra)}; "
                "only 'latex' and 'explanation' are read"
            )
    return problems
