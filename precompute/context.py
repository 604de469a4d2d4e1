"""What a widget's ``compute`` function gets besides its options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from precompute.models import ModelRef


@dataclass
class Context:
    """Shared state of one precompute run: loaded models and memoised results."""

    model: ModelRef  # the model this widget runs on (resolved, not loaded)
    cache_dir: Path  # scratch space that is safe to delete (.cache/precompute)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def memo(self, name: str, factory: Callable[[], Any]) -> Any:
        """Return ``factory()``, computed once per run under ``name``."""
        if name not in self._memo:
            self._memo[name] = factory()
        return self._memo[name]

    def lm(self):
        """Return the loaded language model for ``self.model`` (loads once)."""
        from precompute import lm

        return self.memo(f"lm:{self.model.sha256}", lambda: lm.load(self.model))

    def for_model(self, model: ModelRef) -> Context:
        """Return a context for another model that shares this run's memo."""
        return Context(model=model, cache_dir=self.cache_dir, _memo=self._memo)
