"""The digits experiments and the five distillation widget tasks.

Three groups: resolving the data set and the task modules without torch;
the post's claims, checked against the data committed under ``data/``
(so prose and numbers cannot drift apart); and the experiment code itself,
which trains real (small) runs and is marked ``model``.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO

from precompute import digits
from precompute.context import Context

POST = REPO / "content" / "posts" / "knowledge-distillation" / "index.md"
POST_DATA = REPO / "data" / "widgets" / "knowledge-distillation"
KINDS = ("soft-targets", "training-curves", "sweep", "dark-knowledge", "loss-blend")


def committed(kind: str) -> dict:
    """Return the payload of the post's one widget of ``kind``."""
    for path in sorted(POST_DATA.glob("*.json")):
        stored = json.loads(path.read_text())
        if stored["kind"] == kind:
            return stored["data"]
    raise AssertionError(f"no {kind} data under {POST_DATA}; run probable precompute")


# Resolving, without torch ----------------------------------------------------


def test_resolve_checksums_the_digits_file_scikit_learn_ships():
    ref = digits.resolve()
    path = Path(ref.location) / ref.file
    assert ref.id == "digits"
    assert ref.name == digits.DATASET_NAME
    assert path.name == "digits.csv.gz"
    assert ref.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_resolve_names_the_fix_when_scikit_learn_is_missing(monkeypatch):
    from precompute.models import ModelNotFound

    monkeypatch.setattr(digits.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelNotFound, match="run 'make precompute'"):
        digits.resolve()


def test_resolving_and_importing_the_tasks_import_neither_torch_nor_sklearn():
    code = (
        "import sys\n"
        "from precompute.models import resolve\n"
        "from precompute.tasks import load\n"
        f"for kind in {KINDS!r}:\n"
        "    load(kind)\n"
        "resolve('digits')\n"
        "print(sorted(m for m in ('torch', 'sklearn') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, text=True,
                            capture_output=True, check=True)
    assert result.stdout.strip() == "[]"


def test_recipe_rejects_an_alpha_outside_zero_to_one():
    with pytest.raises(ValueError, match="alpha must lie in"):
        digits.Recipe(alpha=1.5, temperature=4, seed=0)


def test_recipe_treats_whole_and_decimal_numbers_alike():
    a, b = digits.Recipe(0, 4, 0), digits.Recipe(0.0, 4.0, 0)
    assert a == b
    assert digits.cache_key(recipe=vars(a)) == digits.cache_key(recipe=vars(b))


def test_spread_uses_the_sample_standard_deviation():
    spread = digits.spread([0.9, 1.0])
    assert spread["mean"] == pytest.approx(0.95)
    assert spread["std"] == pytest.approx(0.0707107, abs=1e-6)
    assert (spread["min"], spread["max"], spread["runs"]) == (0.9, 1.0, [0.9, 1.0])


def test_parameter_counts_add_weights_and_biases():
    assert digits.parameter_count(digits.MLPConfig((3,), 1, 0.1, 1, 0.0)) == (
        64 * 3 + 3 + 3 * 10 + 10)


# The post's claims, against the committed data -------------------------------


def test_post_uses_every_distillation_widget():
    text = POST.read_text()
    for kind in KINDS:
        assert f"```{kind}\n" in text


def test_sweep_no_cell_beats_hard_labels_by_more_than_their_spread():
    # The post: "No cell beats the hard-label baseline by more than the
    # baseline's own spread over seeds; the differences amount to a few
    # test images".
    sweep = committed("sweep")
    base = sweep["baseline"]
    for row in sweep["cells"]:
        for cell in row:
            assert cell["mean"] <= base["mean"] + base["std"]
            assert abs(cell["mean"] - base["mean"]) <= 4 / sweep["test_size"]


def test_sweep_high_temperatures_narrow_the_spread_over_seeds():
    # The post: "at the higher temperatures the students agree with each
    # other more closely than the label-trained ones do".
    sweep = committed("sweep")
    for t, column in zip(sweep["temperatures"], zip(*sweep["cells"])):
        if t >= 4:
            assert all(c["std"] < sweep["baseline"]["std"] for c in column), t


def test_curves_soft_students_start_slower_and_finish_near_the_teacher():
    # The post: soft-target students start more slowly; at the end the
    # three students land close together and close to the teacher.
    series = {s["id"]: s["accuracy"] for s in committed("training-curves")["series"]}
    for epoch in range(3):
        assert series["hard"][epoch] > series["soft"][epoch]
        assert series["hard"][epoch] > series["blend"][epoch]
    finals = [series[k][-1] for k in ("hard", "soft", "blend")]
    assert max(finals) - min(finals) < 0.01
    assert series["teacher"][-1] - min(finals) < 0.015


def test_dark_knowledge_hard_student_names_none_and_hot_students_most():
    # The post: the hard-label student gets none of the test 3s right; at
    # T = 1 the distilled one names almost none; as T rises, most come out
    # right, and the other nine digits hold up.
    dark = committed("dark-knowledge")
    assert dark["digit"] == 3
    assert dark["hard"]["unseen"]["max"] == 0
    rows = {row["temperature"]: row for row in dark["distilled"]}
    assert rows[1]["unseen"]["mean"] < 0.05
    for t in (4, 8, 16):
        assert rows[t]["unseen"]["mean"] > 0.5
        assert rows[t]["others"]["mean"] >= dark["hard"]["others"]["mean"] - 0.01


def test_loss_blend_halves_differ_at_equal_weights():
    # The post: "at alpha = 0.5 the weights are equal, but the two halves of
    # the loss are not".
    point = next(p for p in committed("loss-blend")["points"] if p["alpha"] == 0.5)
    assert abs(point["ce"] - point["soft"]) > 0.1 * max(point["ce"], point["soft"])


def test_loss_blend_hard_label_student_disagrees_with_the_teacher_most():
    # The post: at alpha = 1 the soft term is the largest on the grid, far
    # above any student with a tenth of the weight on imitation, while the
    # accuracy is about the same.
    points = committed("loss-blend")["points"]
    hard, distilled = points[-1], points[:-1]
    assert hard["alpha"] == 1
    assert hard["soft"] > 2 * max(p["soft"] for p in distilled)
    assert abs(hard["accuracy"] - distilled[0]["accuracy"]) < 0.01


def test_post_quotes_the_speech_results_of_hinton_vinyals_and_dean():
    # Table 1 of arXiv:1503.02531: baseline, 10x ensemble, distilled model.
    text = " ".join(POST.read_text().split())
    for figure in ("58.9%", "61.1%", "10.9%", "10.7%", "60.8%"):
        assert figure in text


# The experiments, trained for real --------------------------------------------


@pytest.fixture(scope="module")
def ctx(tmp_path_factory) -> Context:
    """Return a context whose cache starts empty (the teacher trains once)."""
    cache = tmp_path_factory.mktemp("precompute-cache")
    return Context(model=digits.resolve(), cache_dir=cache)


@pytest.mark.model
def test_teacher_reaches_about_98_percent(ctx):
    assert digits.teacher(ctx).accuracy > 0.97


@pytest.mark.model
def test_a_student_does_not_depend_on_who_trains_beside_it(ctx):
    teacher = digits.teacher(ctx)
    alone = digits.train_students([digits.Recipe(0.5, 4, 0)], teacher)[0]
    together = digits.train_students(
        [digits.Recipe(0, 2, 1), digits.Recipe(0.5, 4, 0)], teacher)[1]
    assert alone == together


@pytest.mark.model
def test_alpha_one_trains_the_hard_label_student_whatever_t(ctx):
    teacher = digits.teacher(ctx)
    hot, plain = digits.train_students(
        [digits.Recipe(1.0, 4.0, 3), digits.hard_recipe(3)], teacher)
    assert hot["curve"] == plain["curve"]
    assert hot["test_ce"] == plain["test_ce"]


@pytest.mark.model
def test_hard_label_student_never_names_a_digit_it_never_saw(ctx):
    result = digits.students(ctx, [digits.hard_recipe(0, drop_digit=7)])[0]
    assert result["per_class"][7] == 0


@pytest.mark.model
def test_students_are_cached_on_disk_and_not_retrained(ctx, monkeypatch):
    recipe = digits.Recipe(0.25, 2, 5)
    first = digits.students(ctx, [recipe])[0]

    def no_training(*args):
        raise AssertionError("trained although the cache holds the result")

    monkeypatch.setattr(digits, "train_students", no_training)
    monkeypatch.setattr(digits, "train_teacher", no_training)
    fresh_run = Context(model=ctx.model, cache_dir=ctx.cache_dir)
    assert digits.students(fresh_run, [recipe])[0] == first
    assert digits.teacher(fresh_run).curve == digits.teacher(ctx).curve


@pytest.mark.model
def test_training_twice_gives_identical_numbers(ctx, tmp_path):
    recipe = digits.Recipe(0, 8, 2)
    first = digits.students(ctx, [recipe])[0]
    again = digits.train_students([recipe], digits.load_teacher(tmp_path))[0]
    assert again == first


@pytest.mark.model
def test_soft_targets_shows_the_smallest_margin_image_of_each_digit(ctx):
    import torch

    from precompute.tasks import soft_targets

    data = soft_targets.compute({"temperature": 4, "digit": 3}, ctx)
    teacher, split = digits.teacher(ctx), digits.load_split()
    top2 = teacher.logits_test.topk(2, dim=1).values
    margins = (top2[:, 0] - top2[:, 1]).tolist()
    labels = split.y_test.tolist()
    for label, image in enumerate(data["images"]):
        assert image["label"] == labels[image["test_index"]] == label
        same = [m for m, y in zip(margins, labels) if y == label]
        assert image["margin"] == pytest.approx(min(same), abs=1e-6)
        expected = torch.softmax(torch.tensor(image["logits"]) / 4, 0).tolist()
        assert image["probabilities"] == pytest.approx(expected, abs=1e-5)
        assert image["pixels"] == split.pixels_test[image["test_index"]]


@pytest.mark.model
def test_sweep_baseline_is_the_alpha_one_student(ctx):
    from precompute.tasks import sweep

    data = sweep.compute({"temperatures": [2], "alphas": [0.5], "seeds": 5}, ctx)
    hard = digits.students(ctx, [digits.hard_recipe(s) for s in range(5)])
    assert data["baseline"]["runs"] == pytest.approx([r["accuracy"] for r in hard])
    assert len(data["cells"]) == 1 and len(data["cells"][0]) == 1


@pytest.mark.model
def test_dark_knowledge_counts_the_removed_and_remaining_images(ctx):
    from precompute.tasks import dark_knowledge

    data = dark_knowledge.compute({"digit": 7, "alpha": 0, "temperatures": [4],
                                   "temperature": 4, "seeds": 2}, ctx)
    split = digits.load_split()
    assert data["removed"] == int((split.y_train == 7).sum())
    assert data["removed"] + data["train_size"] == len(split.y_train)
    assert data["test_count"] == int((split.y_test == 7).sum())
    assert data["hard"]["unseen"]["max"] == 0


def test_dark_knowledge_rejects_a_start_temperature_off_its_list():
    from precompute.tasks import dark_knowledge

    options = {"digit": 3, "alpha": 0, "temperatures": [1, 4], "temperature": 3,
               "seeds": 2}
    assert dark_knowledge.check(options) == [
        "'temperature' 3 must be one of 'temperatures' [1, 4]"]
    with pytest.raises(ValueError, match="must be one of"):
        dark_knowledge.compute(options, ctx=None)


def test_soft_targets_rejects_a_start_temperature_off_the_slider():
    from precompute.tasks import soft_targets

    assert soft_targets.check({"temperature": 1.5, "digit": 3}) == []
    with pytest.raises(ValueError, match="multiple of 0.5"):
        soft_targets.compute({"temperature": 1.2, "digit": 3}, ctx=None)


def test_loss_blend_rejects_an_alpha_off_its_grid():
    from precompute.tasks import loss_blend

    assert loss_blend.check({"temperature": 4, "alpha": 0.3, "seed": 0}) == []
    with pytest.raises(ValueError, match="multiple of 0.1"):
        loss_blend.compute({"temperature": 4, "alpha": 0.25, "seed": 0}, ctx=None)


def test_sweep_rejects_an_empty_grid():
    from precompute.tasks import sweep

    assert sweep.check({"temperatures": [], "alphas": [0], "seeds": 5}) == [
        "'temperatures' needs at least one value"]


@pytest.mark.model
def test_loss_blend_measures_both_terms_of_the_trained_students(ctx):
    from precompute.tasks import loss_blend

    data = loss_blend.compute({"temperature": 2, "alpha": 0.5, "seed": 1}, ctx)
    assert [p["alpha"] for p in data["points"]] == list(loss_blend.ALPHAS)
    results = digits.students(ctx, [digits.Recipe(a, 2, 1) for a in loss_blend.ALPHAS])
    for point, result in zip(data["points"], results):
        assert point["ce"] == pytest.approx(result["test_ce"], abs=1e-6)
        assert point["soft"] == pytest.approx(result["test_soft"], abs=1e-6)
