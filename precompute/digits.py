"""Train the teacher and the students of the distillation post on digits.

In: scikit-learn's bundled handwritten digits (1,797 greyscale 8x8 images,
pixel values 0..16) and a :class:`Recipe` saying how a student learns.
Out: plain Python results (test accuracy per epoch, per-digit accuracy, the
two loss terms on the test set, the teacher's logits) that the widget tasks
in ``precompute/tasks`` turn into payloads.

Everything runs on the CPU with fixed seeds and deterministic kernels, so a
rerun gives the same numbers. One run of ``probable precompute`` trains the
teacher once (``ctx.memo``); trained teachers and student results are also
kept under ``ctx.cache_dir`` keyed by a hash of everything that made them
(configs, recipe, data checksum, this file), so a rerun retrains only what
is stale and deleting the cache folder is always safe.

Shapes: ``N`` examples, ``P = 64`` pixels, ``K = 10`` classes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from precompute.models import ModelRef

log = logging.getLogger(__name__)

#: Human-readable name of the data set, shown in every widget's provenance.
DATASET_NAME = "scikit-learn load_digits (1,797 8x8 images)"

#: Where scikit-learn keeps the digits inside its package folder.
DATA_FILE = Path("datasets") / "data" / "digits.csv.gz"

PIXELS = 64  # P: an 8x8 image, flattened row by row
CLASSES = 10  # K: the digits 0..9
MAX_PIXEL = 16  # pixel values in load_digits run from 0 to 16

TEST_FRACTION = 0.3  # share of each digit held out for testing (stratified)
SPLIT_SEED = 0  # seed of the stratified train/test split
TEACHER_SEED = 0  # seed of the teacher's initial weights and batch order
THREADS = 1  # torch intra-op threads: fixed, since sum order depends on it


@dataclass(frozen=True)
class MLPConfig:
    """Shape and training schedule of one multilayer perceptron."""

    hidden: tuple[int, ...]  # widths of the hidden ReLU layers, P -> ... -> K
    epochs: int  # full passes over the training split
    lr: float  # Adam learning rate
    batch_size: int  # examples per optimiser step; an epoch drops the rest
    weight_decay: float  # Adam L2 penalty on all weights and biases


#: The big model: one wide hidden layer, about 98% test accuracy.
TEACHER = MLPConfig(hidden=(1024,), epochs=60, lr=1e-3, batch_size=64,
                    weight_decay=1e-4)

#: The small model every student shares, whatever it learns from: 1,210
#: parameters against the teacher's 76,810.
STUDENT = MLPConfig(hidden=(16,), epochs=60, lr=1e-2, batch_size=128,
                    weight_decay=0.0)


@dataclass(frozen=True)
class Recipe:
    """How one student learns: the loss blend, its temperature, its data."""

    alpha: float  # weight of CE on hard labels; 1 - alpha weighs T^2 * KL
    temperature: float  # T that softens teacher and student during training
    seed: int  # seed of the student's initial weights and batch order
    drop_digit: int | None = None  # digit removed from the training split

    def __post_init__(self) -> None:
        # YAML gives 0 and 0.0 alike; one spelling keeps cache keys equal.
        object.__setattr__(self, "alpha", float(self.alpha))
        object.__setattr__(self, "temperature", float(self.temperature))
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1], got {self.alpha}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be positive: {self.temperature}")


def parameter_count(config: MLPConfig) -> int:
    """Return the number of weights and biases of a perceptron of ``config``."""
    widths = [PIXELS, *config.hidden, CLASSES]
    return sum(a * b + b for a, b in itertools.pairwise(widths))


def spread(values: Sequence[float]) -> dict[str, Any]:
    """Return the mean, sample standard deviation, min, max and the values."""
    values = list(values)
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / max(1, len(values) - 1)
    return {"mean": mean, "std": variance**0.5, "min": min(values),
            "max": max(values), "runs": values}


def hard_recipe(seed: int, drop_digit: int | None = None) -> Recipe:
    """Return the recipe of a student that learns from hard labels only."""
    return Recipe(alpha=1.0, temperature=1.0, seed=seed, drop_digit=drop_digit)


def data_file() -> Path:
    """Return the path of the digits file that scikit-learn ships."""
    from precompute.models import ModelNotFound

    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise ModelNotFound("model 'digits' needs scikit-learn, which is not "
                            "installed; run 'make precompute', which installs "
                            "the '.[models]' extras")
    path = Path(spec.origin).parent / DATA_FILE
    if not path.is_file():
        raise ModelNotFound(f"model 'digits': {path} is missing; reinstall "
                            "scikit-learn")
    return path


@cache
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def resolve() -> ModelRef:
    """Find and checksum the digits data file (imports neither torch nor sklearn)."""
    path = data_file()
    return ModelRef(
        id="digits",
        name=DATASET_NAME,
        sha256=_sha256(path),
        location=str(path.parent),
        file=path.name,
    )


@dataclass(frozen=True)
class Split:
    """The fixed stratified split, as float32 tensors scaled to [0, 1]."""

    x_train: Any  # (N_train, P)
    y_train: Any  # (N_train,) int64 labels
    x_test: Any  # (N_test, P)
    y_test: Any  # (N_test,)
    pixels_test: list[list[int]]  # raw 0..16 pixels of each test image


@contextmanager
def deterministic_cpu() -> Iterator[None]:
    """Run the block with deterministic kernels on THREADS threads.

    The settings are restored afterwards: other widgets of the same
    precompute run (the language models) may use every core.
    """
    import torch

    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


@cache
def load_split() -> Split:
    """Load digits and split it the same way every time."""
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    images, labels = load_digits(return_X_y=True)  # (N, P) floats, (N,)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=TEST_FRACTION, stratify=labels,
        random_state=SPLIT_SEED,
    )

    def pixels(x):
        return torch.tensor(x / MAX_PIXEL, dtype=torch.float32)

    def classes(y):
        return torch.tensor(y, dtype=torch.int64)

    return Split(
        x_train=pixels(x_train),
        y_train=classes(y_train),
        x_test=pixels(x_test),
        y_test=classes(y_test),
        pixels_test=x_test.astype(int).tolist(),
    )


@dataclass
class Stack:
    """S perceptrons of one shape, trained side by side as batched matrices.

    Member ``s`` is an ordinary ReLU perceptron P -> hidden... -> K; keeping
    the S of them in one set of (S, fan_in, fan_out) tensors lets a single
    batched matrix product train a whole sweep at the cost of about one
    model. Members never mix: each has its own loss, gradients and Adam
    state, so a member's result does not depend on who trains beside it.
    """

    weights: list[Any]  # one (S, fan_in, fan_out) tensor per layer
    biases: list[Any]  # one (S, 1, fan_out) tensor per layer

    def __call__(self, x):
        """Return logits (S, B, K) for inputs (S, B, P)."""
        import torch

        h = x
        last = len(self.weights) - 1
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(bias, h, weight)  # (S, B, fan_out)
            if i < last:
                h = torch.relu(h)
        return h

    def parameters(self) -> list[Any]:
        """Return every trainable tensor."""
        return [*self.weights, *self.biases]


def init_stack(config: MLPConfig, seeds: Sequence[int]) -> Stack:
    """Return S untrained perceptrons, member s seeded with ``seeds[s]``."""
    import torch
    from torch import nn

    widths = [PIXELS, *config.hidden, CLASSES]
    members = []
    for seed in seeds:
        # The same draws as an nn.Sequential of these layers after this seed.
        torch.manual_seed(seed)
        members.append([nn.Linear(a, b) for a, b in itertools.pairwise(widths)])

    def stacked(tensors):
        return torch.stack(tensors).detach().requires_grad_()

    layers = range(len(widths) - 1)
    return Stack(
        weights=[stacked([m[i].weight.T for m in members]) for i in layers],
        biases=[stacked([m[i].bias[None, :] for m in members]) for i in layers],
    )


def evaluate(stack: Stack, x):
    """Return the logits (S, N, K) of every member for the inputs (N, P)."""
    import torch

    with torch.no_grad():
        return stack(x.expand(len(stack.weights[0]), *x.shape))


def member_losses(logits, labels, teacher_logits, alpha, temperature):
    """Return each member's (total, CE, T^2 * KL), every one of shape (S,).

    ``logits`` (S, B, K) are the students', ``labels`` (S, B) the hard
    labels, ``teacher_logits`` (S, B, K) or None when every alpha is 1;
    ``alpha`` and ``temperature`` are (S, 1) tensors. With p^T = softmax(z/T):

        total = alpha * CE(hard) + (1 - alpha) * T^2 * KL(p_teacher^T || p_student^T)

    The T^2 keeps the soft term's gradients at the same scale whatever T is
    (they shrink as 1 / T^2 otherwise).
    """
    import torch

    log_p = torch.log_softmax(logits, dim=-1)
    ce = -log_p.gather(-1, labels[..., None]).squeeze(-1).mean(-1)
    if teacher_logits is None:
        return ce, ce, torch.zeros_like(ce)

    t = temperature[..., None]  # (S, 1, 1)
    log_p_student = torch.log_softmax(logits / t, dim=-1)
    log_p_teacher = torch.log_softmax(teacher_logits / t, dim=-1)
    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(-1).mean(-1)
    soft = temperature[:, 0] ** 2 * kl
    a = alpha[:, 0]
    return a * ce + (1 - a) * soft, ce, soft


def train_stack(config: MLPConfig, recipes: Sequence[Recipe], x, y,
                teacher_logits, x_test, y_test) -> tuple[Stack, list[list[float]]]:
    """Train one member per recipe on (x, y); return them and their test curves.

    ``x`` (N, P), ``y`` (N,) and ``teacher_logits`` (N, K), or None for
    hard labels only. Each member draws its own batch order from a
    generator seeded with its recipe's seed. The curves hold each member's
    test accuracy after every epoch, shape (S, epochs).

    Every batch is full (an epoch drops the last few examples, different
    ones each time). Besides giving every step the same weight, this keeps
    each member's slice of a batch at the same memory alignment whatever
    its place in the stack: vectorised reductions sum misaligned rows in
    another order, and a member's numbers must not depend on its
    neighbours.
    """
    import torch

    stack = init_stack(config, [r.seed for r in recipes])
    optimiser = torch.optim.Adam(stack.parameters(), lr=config.lr,
                                 weight_decay=config.weight_decay)
    alpha = torch.tensor([[r.alpha] for r in recipes])  # (S, 1)
    temperature = torch.tensor([[r.temperature] for r in recipes])  # (S, 1)
    orders = [torch.Generator().manual_seed(r.seed) for r in recipes]
    curves: list[list[float]] = [[] for _ in recipes]
    for _ in range(config.epochs):
        permutations = torch.stack([torch.randperm(len(y), generator=g)
                                    for g in orders])  # (S, N)
        for start in range(0, len(y) - config.batch_size + 1, config.batch_size):
            batch = permutations[:, start:start + config.batch_size]  # (S, B)
            targets = None if teacher_logits is None else teacher_logits[batch]
            total, _, _ = member_losses(stack(x[batch]), y[batch], targets,
                                        alpha, temperature)
            optimiser.zero_grad()
            total.sum().backward()
            optimiser.step()

        predicted = evaluate(stack, x_test).argmax(-1)  # (S, N_test)
        for curve, hits in zip(curves, (predicted == y_test).float().mean(-1)):
            curve.append(hits.item())
    return stack, curves


@dataclass
class Teacher:
    """The trained teacher and what the students need from it."""

    stack: Stack  # a stack of one
    curve: list[float]  # test accuracy after each epoch
    logits_train: Any  # (N_train, K): the students' soft targets, before T
    logits_test: Any  # (N_test, K)

    @property
    def accuracy(self) -> float:
        """Return the final test accuracy."""
        return self.curve[-1]


#: The teacher learns from hard labels only.
TEACHER_RECIPE = hard_recipe(TEACHER_SEED)


@cache
def code_digest() -> str:
    """Return the sha256 of this file, part of every cache key."""
    return _sha256(Path(__file__))


def cache_key(**material: Any) -> str:
    """Return a hash of everything that determines one cached result."""
    material |= {
        "code": code_digest(),
        "data": _sha256(data_file()),
        "split": [TEST_FRACTION, SPLIT_SEED],
        "teacher": [asdict(TEACHER), asdict(TEACHER_RECIPE)],
        "threads": THREADS,
    }
    encoded = json.dumps(material, sort_keys=True)
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]


def _write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    write(partial)
    partial.replace(path)


def train_teacher() -> tuple[Stack, list[float]]:
    """Train the teacher on hard labels; return it and its test curve."""
    split = load_split()
    with deterministic_cpu():
        stack, curves = train_stack(TEACHER, [TEACHER_RECIPE], split.x_train,
                                    split.y_train, None, split.x_test,
                                    split.y_test)
    return stack, curves[0]


def load_teacher(cache_dir: Path) -> Teacher:
    """Return the trained teacher, from ``cache_dir`` when it is there."""
    import torch

    split = load_split()
    path = cache_dir / "digits" / f"teacher-{cache_key()}.pt"
    if path.is_file():
        saved = torch.load(path, weights_only=True)
        stack = Stack(weights=saved["weights"], biases=saved["biases"])
        curve = saved["curve"]
        log.debug("teacher loaded from %s", path)
    else:
        started = time.perf_counter()
        stack, curve = train_teacher()
        saved = {"weights": stack.weights, "biases": stack.biases, "curve": curve}
        _write_atomically(path, lambda p: torch.save(saved, p))
        log.info("trained the teacher in %.1fs", time.perf_counter() - started)

    with deterministic_cpu():
        return Teacher(
            stack=stack,
            curve=curve,
            logits_train=evaluate(stack, split.x_train)[0],
            logits_test=evaluate(stack, split.x_test)[0],
        )


def teacher(ctx) -> Teacher:
    """Return this run's teacher, trained or loaded once per run."""
    return ctx.memo("digits:teacher", lambda: load_teacher(ctx.cache_dir))


def per_class_accuracy(predicted, labels) -> list[float]:
    """Return the accuracy on the test examples of each digit 0..9."""
    return [(predicted[labels == k] == k).float().mean().item()
            for k in range(CLASSES)]


def train_students(recipes: Sequence[Recipe], teacher: Teacher) -> list[dict]:
    """Train one student per recipe (all with one drop_digit); return results.

    Each result holds ``curve`` (test accuracy per epoch), ``accuracy``
    (after the last epoch), ``per_class`` (final accuracy on each digit),
    and the two loss terms on the test set after training, unweighted:
    ``test_ce`` (CE on hard labels) and ``test_soft`` (T^2 * KL at the
    recipe's T).
    """
    split = load_split()
    dropped = {r.drop_digit for r in recipes}
    if len(dropped) != 1:
        raise ValueError(f"one training set per call, got drop_digit {dropped}")

    keep = split.y_train >= 0  # (N_train,) all True
    if (digit := dropped.pop()) is not None:
        keep = split.y_train != digit
    with deterministic_cpu():
        stack, curves = train_stack(STUDENT, recipes, split.x_train[keep],
                                    split.y_train[keep],
                                    teacher.logits_train[keep], split.x_test,
                                    split.y_test)
        return [_final_result(stack, s, recipe, curve, teacher)
                for s, (recipe, curve) in enumerate(zip(recipes, curves))]


def _final_result(stack: Stack, s: int, recipe: Recipe, curve: list[float],
                  teacher: Teacher) -> dict[str, Any]:
    """Measure member ``s`` of a trained stack on the test set."""
    import torch

    split = load_split()
    # Copies, not views: a slice that starts mid-stack may be misaligned in
    # memory, which changes the order of vectorised sums, and a member's
    # numbers must not depend on its neighbours.
    member = Stack(weights=[w[s:s + 1].clone() for w in stack.weights],
                   biases=[b[s:s + 1].clone() for b in stack.biases])
    logits = evaluate(member, split.x_test)  # (1, N_test, K)
    _, ce, soft = member_losses(
        logits,
        split.y_test[None, :],
        teacher.logits_test[None, :, :],
        torch.tensor([[recipe.alpha]]),
        torch.tensor([[recipe.temperature]]),
    )
    return {
        "curve": curve,
        "accuracy": curve[-1],
        "per_class": per_class_accuracy(logits[0].argmax(-1), split.y_test),
        "test_ce": ce.item(),
        "test_soft": soft.item(),
    }


def students(ctx, recipes: Sequence[Recipe]) -> list[dict]:
    """Return each recipe's result, from this run, the disk cache or training.

    Recipes that neither this run nor ``ctx.cache_dir`` has seen are trained
    together, one stack per training set.
    """
    known: dict[Recipe, dict] = ctx.memo("digits:students", dict)
    folder = ctx.cache_dir / "digits" / "students"

    def path(recipe: Recipe) -> Path:
        key = cache_key(recipe=asdict(recipe), student=asdict(STUDENT))
        return folder / f"{key}.json"

    missing = []
    for recipe in dict.fromkeys(recipes):
        if recipe in known:
            continue
        if path(recipe).is_file():
            known[recipe] = json.loads(path(recipe).read_text())
        else:
            missing.append(recipe)

    for digit in dict.fromkeys(r.drop_digit for r in missing):
        group = [r for r in missing if r.drop_digit == digit]
        started = time.perf_counter()
        results = train_students(group, teacher(ctx))
        for recipe, result in zip(group, results):
            text = json.dumps(result)
            _write_atomically(path(recipe), lambda p, t=text: p.write_text(t))
            known[recipe] = result
        log.info("trained %d students in %.1fs", len(group),
                 time.perf_counter() - started)

    return [known[r] for r in recipes]
