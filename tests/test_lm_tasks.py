"""The language-model widget tasks: resolving, payload invariants, the post's claims.

Tests without a mark need no model. ``@pytest.mark.model`` tests load
SmolLM2 once per module (about 25 s on two cores) and call each task's
``compute`` directly. The last group reads the committed files under
``data/`` and checks the sentences of the LLM post that describe them, so
that a rerun of precompute which changes the story fails here.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO

from precompute import lm
from precompute.tasks import load

POST = "llm-probability-engines"
DATA = REPO / "data" / "widgets" / POST

# -- no model ------------------------------------------------------------------


def test_task_modules_and_resolving_do_not_import_torch():
    code = (
        "import sys\n"
        "from precompute.tasks import load\n"
        "for kind in ('next-token', 'tokenizer', 'softmax', 'cross-entropy',\n"
        "             'attention', 'temperature', 'formula'):\n"
        "    load(kind)\n"
        "from precompute import lm\n"
        "lm.resolve('smollm2')\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)})

    assert out.stdout.split() == ["False", "False"]


def test_resolve_smollm2_finds_the_packaged_gguf():
    ref = lm.resolve("smollm2")

    assert ref.id == "smollm2"
    assert ref.file.endswith(".gguf")
    assert (Path(ref.location) / ref.file).is_file()
    assert len(ref.sha256) == 64


def test_file_digest_is_reused_until_the_file_changes(tmp_path, monkeypatch):
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"first")
    cache = tmp_path / "digests.json"
    first = lm.file_sha256(weights, cache_file=cache)

    def no_hashing(*args):
        raise AssertionError("the cached digest should have been used")

    monkeypatch.setattr(lm.hashlib, "sha256", no_hashing)
    assert lm.file_sha256(weights, cache_file=cache) == first

    monkeypatch.undo()
    weights.write_bytes(b"second, longer")
    assert lm.file_sha256(weights, cache_file=cache) != first


def test_unknown_model_id_raises_model_not_found_with_a_fix():
    with pytest.raises(lm.ModelNotFound, match="fix the model option"):
        lm.resolve("no-such-model")


def test_hub_id_that_is_not_cached_raises_model_not_found_with_a_fix(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(lm.ModelNotFound, match="local hub cache"):
        lm.resolve("example-owner/model-that-is-not-cached")


def test_folder_without_weights_raises_model_not_found(tmp_path):
    (tmp_path / "config.json").write_text("{}")

    with pytest.raises(lm.ModelNotFound, match="holds no weights"):
        lm.resolve(str(tmp_path))


def test_visible_marks_spaces_and_line_breaks():
    assert lm.visible(" cat\n\tx") == "\u2423cat\u21b5\u21e5x"


def test_byte_decoder_inverts_the_byte_level_alphabet():
    decoder = lm._byte_decoder()

    assert len(decoder) == 256
    assert sorted(decoder.values()) == list(range(256))
    assert decoder["\u0120"] == ord(" ")
    assert decoder["\u010a"] == ord("\n")


def test_temperature_grid_matches_the_slider():
    grid = load("temperature").module.grid()

    assert grid[0] == 0.1 and grid[-1] == 3.0
    assert len(grid) == 59
    assert 1.0 in grid


def test_formula_default_terms_pass_the_check_and_convert_to_mathml():
    from generator.mathml import to_mathml

    formula = load("formula").module
    options = {"terms": formula.DEFAULT_TERMS}

    assert formula.check(options) == []
    for term in formula.DEFAULT_TERMS:
        assert to_mathml(term["latex"]).startswith("<math")


def test_formula_check_names_each_bad_term():
    formula = load("formula").module
    options = {"terms": [{"latex": "x"}, {"latex": "y", "explanation": "ok",
                                          "colour": "red"}]}

    assert formula.check(options) == [
        "term 1 of 'terms' needs a non-empty 'explanation' (text); found None",
        ("term 2 of 'terms' has unknown keys colour; only 'latex' and "
         "'explanation' are read"),
    ]


# -- with the model ----------------------------------------------------------------


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    """Return a precompute Context on SmolLM2 whose model loads once."""
    from precompute.context import Context

    context = Context(model=lm.resolve("smollm2"),
                      cache_dir=tmp_path_factory.mktemp("precompute"))
    context.lm()
    return context


def compute(kind: str, ctx, **options):
    """Run one task with its defaults filled in, as the build would."""
    widget = load(kind)
    filled = {name: spec.default for name, spec in widget.options.items()}
    filled.update(options)
    return widget.module.compute(filled, ctx)


@pytest.mark.model
def test_next_token_appends_the_most_probable_token_each_step(ctx):
    data = compute("next-token", ctx, prompt="The cat sat on the", steps=3)
    model = ctx.lm()
    ids = model.tokenize("The cat sat on the")

    for step in data["steps"]:
        probs = model.next_token_distribution(ids)
        assert step["chosen"]["id"] == int(probs.argmax())
        shown = [c["p"] for c in step["candidates"]]
        assert shown == sorted(shown, reverse=True)
        assert step["rest"] == pytest.approx(1 - sum(shown), abs=1e-5)
        ids.append(step["chosen"]["id"])


@pytest.mark.model
def test_next_token_is_the_same_on_a_second_run(ctx):
    first = compute("next-token", ctx, prompt="Once upon a time", steps=2)

    assert compute("next-token", ctx, prompt="Once upon a time", steps=2) == first


@pytest.mark.model
def test_next_token_rejects_an_empty_prompt(ctx):
    with pytest.raises(ValueError, match="'prompt' is empty"):
        compute("next-token", ctx, prompt="")


@pytest.mark.model
def test_tokenizer_tokens_cover_the_text_in_order(ctx):
    text = "Tokenizers don't cut where you'd expect: naïve, 2026.\n  Done."
    data = compute("tokenizer", ctx, text=text)

    assert "".join(t["text"] for t in data["tokens"]) == text
    assert [t["start"] for t in data["tokens"][1:]] == [
        t["end"] for t in data["tokens"][:-1]]
    assert data["tokens"][-1]["end"] == len(text) == data["characters"]
    assert data["bytes"] == len(text.encode())


@pytest.mark.model
def test_softmax_steps_agree_with_each_other_and_with_next_token(ctx):
    data = compute("softmax", ctx, prompt="The cat sat on the", top_k=5)
    rows = data["candidates"]

    assert rows[0]["shifted"] == 0 and rows[0]["exp"] == 1
    assert sum(r["p_shown"] for r in rows) == pytest.approx(1, abs=1e-5)
    for row in rows:
        assert row["exp"] == pytest.approx(math.exp(row["shifted"]), abs=1e-6)
        assert row["p_full"] == pytest.approx(row["exp"] / data["sum_full"],
                                              abs=1e-6)
    assert data["mass_shown"] + data["rest"] == pytest.approx(1, abs=1e-6)

    greedy = compute("next-token", ctx, prompt="The cat sat on the", steps=1)
    assert [c["p"] for c in greedy["steps"][0]["candidates"]] == [
        r["p_full"] for r in rows]


@pytest.mark.model
def test_cross_entropy_loss_is_minus_ln_p_and_sums_over_tokens(ctx):
    data = compute("cross-entropy", ctx, prompt="The cat sat on the",
                   target="windowsill")
    parts = data["target_tokens"]

    assert len(parts) == 2
    # Probabilities are stored to 6 decimals, losses come from unrounded
    # values: compare each in the unit it was rounded in.
    assert data["p"] == pytest.approx(math.prod(t["p"] for t in parts), abs=1e-6)
    assert data["loss"] == pytest.approx(sum(t["loss"] for t in parts), abs=1e-5)
    assert math.exp(-data["loss"]) == pytest.approx(data["p"], abs=1e-6)
    for t in parts:
        assert math.exp(-t["loss"]) == pytest.approx(t["p"], abs=1e-6)
    assert data["curve"][0] == pytest.approx(-math.log(0.01), abs=1e-6)
    assert data["curve"][-1] == 0


@pytest.mark.model
def test_cross_entropy_target_rank_matches_the_alternatives(ctx):
    data = compute("cross-entropy", ctx, prompt="The capital of France is",
                   target="Paris")
    first = data["target_tokens"][0]
    listed = [a["id"] for a in data["alternatives"]]

    if first["rank"] <= len(listed):
        assert listed[first["rank"] - 1] == first["id"]
    else:
        assert first["id"] not in listed


@pytest.mark.model
def test_cross_entropy_rejects_an_empty_target(ctx):
    with pytest.raises(ValueError, match="non-empty"):
        compute("cross-entropy", ctx, prompt="The cat", target=" ")


@pytest.mark.model
def test_attention_rows_are_causal_distributions(ctx):
    data = compute("attention", ctx)
    n = len(data["tokens"])

    assert len(data["weights"]) == data["layers"]
    for layer in data["weights"]:
        assert len(layer) == data["heads"]
        for head in layer:
            assert [len(row) for row in head] == list(range(1, n + 1))
            for row in head:
                # Three decimals per weight: the rounding errors add up.
                assert sum(row) == pytest.approx(1, abs=0.5e-3 * len(row) + 1e-9)


@pytest.mark.model
def test_attention_opening_head_is_where_the_query_attends_most_to_the_key(ctx):
    data = compute("attention", ctx)
    q, keys = data["query"]["index"], data["key"]["tokens"]

    def to_key(layer: int, head: int) -> float:
        return sum(data["weights"][layer][head][q][k] for k in keys)

    best = max(to_key(l, h) for l in range(data["layers"])
               for h in range(data["heads"]))
    chosen = data["default"]
    assert to_key(chosen["layer"], chosen["head"]) == pytest.approx(best, abs=2e-3)
    assert data["tokens"][q]["text"].strip() == "it"
    assert [data["tokens"][k]["text"].strip() for k in keys] == ["animal"]


@pytest.mark.model
def test_attention_joins_the_pieces_of_a_split_key_word(ctx):
    data = compute("attention", ctx, sentence="The windowsill was warm, so it "
                   "was popular", query_word="it", key_word="windowsill")

    assert len(data["key"]["tokens"]) == 2


@pytest.mark.model
def test_attention_rejects_a_word_missing_from_the_sentence(ctx):
    with pytest.raises(ValueError, match="'key_word' 'zebra' is not a word"):
        compute("attention", ctx, key_word="zebra")


@pytest.mark.model
def test_attention_rejects_a_query_before_its_key(ctx):
    with pytest.raises(ValueError, match="must come after"):
        compute("attention", ctx, query_word="animal", key_word="tired")


@pytest.mark.model
def test_temperature_one_is_the_model_distribution(ctx):
    data = compute("temperature", ctx, prompt="Once upon a time, there was a")
    at_one = next(row for row in data["grid"] if row["t"] == 1.0)
    plain = compute("next-token", ctx, prompt="Once upon a time, there was a",
                    steps=1, top_k=len(data["candidates"]))

    # Both are float64 softmaxes of the same logits, written differently.
    assert at_one["p"] == pytest.approx(
        [c["p"] for c in plain["steps"][0]["candidates"]], abs=2e-6)


@pytest.mark.model
def test_temperature_sharpens_below_one_and_flattens_above(ctx):
    data = compute("temperature", ctx, prompt="Once upon a time, there was a")
    grid = data["grid"]
    entropies = [row["entropy"] for row in grid]

    assert entropies == sorted(entropies)
    assert grid[0]["p"][0] > grid[-1]["p"][0]
    for row in grid:
        assert sum(row["p"]) + row["rest"] == pytest.approx(1, abs=1e-5)


# -- the post's claims, against data/ ------------------------------------------------


def stored(widget_id: str) -> dict:
    """Return the payload committed for one widget of the LLM post."""
    path = DATA / f"{widget_id}.json"
    if not path.exists():
        pytest.fail(f"{path.relative_to(REPO)} is missing; run probable precompute")
    return json.loads(path.read_text(encoding="utf-8"))["data"]


def test_post_claim_cat_is_the_favourite_and_mat_is_not_in_the_top_five():
    first = stored("next-token-cat")["steps"][0]
    shown = [c["text"] for c in first["candidates"]]

    assert shown[0] == " cat"
    assert " mat" not in shown


def test_post_claim_even_the_winner_holds_a_small_share():
    first = stored("next-token-cat")["steps"][0]

    assert first["candidates"][0]["p"] < 0.25
    assert first["rest"] > 0.5


def test_post_claim_the_tail_outweighs_the_five_favourites():
    data = stored("softmax-cat")

    assert data["rest"] > data["mass_shown"]


def test_post_claim_lazy_is_not_the_first_choice():
    data = stored("cross-entropy-lazy")

    assert data["target_tokens"][0]["rank"] > 1


def test_post_claim_windowsill_is_hard_only_at_its_first_piece():
    parts = stored("cross-entropy-windowsill")["target_tokens"]

    assert len(parts) > 1
    assert parts[0]["p"] < 0.05
    assert all(t["p"] > 0.9 for t in parts[1:])


def test_post_claim_the_model_has_thirty_blocks():
    text = " ".join((REPO / "content" / "posts" / POST / "index.md")
                    .read_text().split())
    layers = stored("attention-animal")["layers"]

    assert f"has {layers} blocks" in text


def test_post_claim_most_heads_look_at_the_first_token_not_at_animal():
    data = stored("attention-animal")
    q, keys = data["query"]["index"], data["key"]["tokens"]
    rows = [head[q] for layer in data["weights"] for head in layer]
    to_first = sum(row.index(max(row)) == 0 for row in rows)
    to_key = sum(row.index(max(row)) in keys for row in rows)

    assert to_first > len(rows) / 2
    assert to_key < len(rows) / 10


def test_post_claim_sydney_and_canberra_are_nearly_tied_and_greedy_is_wrong():
    first = stored("next-token-australia")["steps"][0]["candidates"]

    assert [c["text"] for c in first[:2]] == [" Sydney", " Canberra"]
    assert first[0]["p"] - first[1]["p"] < 0.05


def test_post_claim_a_name_comes_out_for_the_first_person_on_mars():
    steps = stored("next-token-mars")["steps"]
    words = [s["chosen"]["text"].strip() for s in steps]

    assert any(w[:1].isupper() for w in words)


def test_post_claim_the_tail_wins_at_high_temperature():
    hottest = stored("temperature-story")["grid"][-1]

    assert hottest["rest"] > max(hottest["p"])


def test_post_claim_digits_are_one_token_each():
    data = stored("tokenizer-intro")
    start = data["text"].index("2026")
    digits = [t["text"] for t in data["tokens"] if start <= t["start"] < start + 4]

    assert digits == ["2", "0", "2", "6"]
