"""``probable precompute``: compute the data of every widget that needs it.

In: every widget block in every post (drafts included). Out: one JSON file
per widget under ``data/widgets/<slug>/`` and ``data/models.json``. Each
widget is reported as fresh (left alone), stale or missing (computed); files
of widgets that no longer exist are removed. Files are written to a
temporary name and renamed into place, so an interrupted run never leaves a
half-written file. With ``check=True`` everything is recomputed and compared
with the stored values instead, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.config import load_config
from generator.errors import PrecomputeError, Problems
from generator.load import load_sources
from generator.parse import Parser, find_widget_uses
from generator.templates import create_environment
from generator.widgets import WidgetUse, read_models_manifest
from precompute import CHECK_TOLERANCE, freshness, rounding
from precompute.context import Context
from precompute.models import ModelRef, resolve
from precompute.tasks import available

log = logging.getLogger("probable.precompute")

#: Libraries whose versions each model family's provenance records.
LIBRARIES = {
    "lm": ("torch", "transformers", "gguf", "numpy"),
    "digits": ("torch", "scikit-learn", "numpy"),
}


@dataclass
class Summary:
    """Counts of one precompute run."""

    fresh: int = 0
    stale: int = 0
    missing: int = 0
    removed: int = 0
    mismatched: int = 0
    seconds: float = 0.0


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as stable, indented JSON via a temporary file and rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _versions(names: tuple[str, ...]) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def collect_uses(root: Path, problems: Problems):
    """Return (config, every widget use that needs data) of the project."""
    config = load_config(root)
    sources = load_sources(config.content_dir, problems)
    env = create_environment(config, lambda name: name)
    parser = Parser(config, available(), env, read_models_manifest(config.data_dir),
                    problems)
    uses = [use for source in sources for use in find_widget_uses(parser, source)]
    problems.raise_if_failed()
    return config, [use for use in uses if use.data_path is not None]


def _compute(use: WidgetUse, ref: ModelRef, context: Context) -> dict:
    """Run one widget's task and wrap its payload with key and provenance."""
    payload = use.definition.module.compute(dict(use.options), context)
    return {
        "kind": use.kind,
        "key": use.key,
        "options": use.options,
        "provenance": {
            "model": ref.name,
            "model_id": ref.id,
            "sha256": ref.sha256,
            "libraries": _versions(LIBRARIES.get(use.definition.model, ())),
            "computed": dt.datetime.now(dt.timezone.utc).date().isoformat(),
        },
        "data": rounding(payload),
    }


def differences(stored: Any, fresh: Any, where: str = "data") -> list[str]:
    """List where two payloads differ beyond CHECK_TOLERANCE."""
    if isinstance(stored, dict) and isinstance(fresh, dict):
        if stored.keys() != fresh.keys():
            return [f"{where}: keys {sorted(stored)} != {sorted(fresh)}"]
        return [d for k in stored for d in differences(stored[k], fresh[k],
                                                       f"{where}.{k}")]
    if isinstance(stored, list) and isinstance(fresh, list):
        if len(stored) != len(fresh):
            return [f"{where}: {len(stored)} items != {len(fresh)}"]
        return [d for i, (a, b) in enumerate(zip(stored, fresh))
                for d in differences(a, b, f"{where}[{i}]")]
    numbers = (int, float)
    if isinstance(stored, numbers) and isinstance(fresh, numbers) and not (
            isinstance(stored, bool) or isinstance(fresh, bool)):
        if isinstance(stored, float) or isinstance(fresh, float):
            if abs(stored - fresh) <= CHECK_TOLERANCE:
                return []
    if stored != fresh:
        return [f"{where}: stored {stored!r}, recomputed {fresh!r}"]
    return []


def run(root: Path, check: bool = False, force: bool = False,
        progress: bool = True) -> Summary:
    """Bring data/ up to date (or, with ``check``, verify it); return counts."""
    started = time.perf_counter()
    problems = Problems(root)
    config, uses = collect_uses(root.resolve(), problems)
    summary = Summary()

    # Resolve every model the widgets name: files and checksums, no torch.
    refs = {}
    for model_id in sorted({use.model_id for use in uses}):
        refs[model_id] = resolve(model_id)
    manifest = {ref.id: {"sha256": ref.sha256, "name": ref.name, "file": ref.file}
                for ref in refs.values()}
    for use in uses:
        ref = refs[use.model_id]
        use.key = freshness.key(use.definition, use.options, ref.id, ref.sha256)

    # Decide what to compute: the freshness rule lives in freshness.py.
    todo = []
    for use in uses:
        status = _status(use)
        setattr(summary, status, getattr(summary, status) + 1)
        log.info("%-7s %s/%s (%s)", status, use.slug, use.id, use.kind)
        if check or force or status != "fresh":
            todo.append(use)

    # --check proves the numbers can be made again, so it must not read
    # results that tasks cached on disk (trained teachers, say).
    scratch = tempfile.TemporaryDirectory(prefix="probable-check-") if check else None
    cache_dir = Path(scratch.name) if scratch else config.cache_dir / "precompute"
    context = Context(model=None, cache_dir=cache_dir)
    failures = []
    for use in _progress(todo, progress, "checking" if check else "computing"):
        ref = refs[use.model_id]
        began = time.perf_counter()
        try:
            result = _compute(use, ref, context.for_model(ref))
        except Exception as error:
            raise PrecomputeError(f"{use.slug}/{use.id} ({use.kind}, "
                                  f"content line {use.line}): {error}") from error
        if check:
            stored = _read(use.data_path)
            found = (["no stored data"] if stored is None
                     else differences(stored.get("data"), result["data"]))
            if stored is not None and stored.get("key") != use.key:
                found.insert(0, "stored key is stale")
            if found:
                summary.mismatched += 1
                failures.append(f"{use.data_path.relative_to(config.root)}: "
                                + "; ".join(found[:3])
                                + (f" and {len(found) - 3} more" if len(found) > 3
                                   else ""))
        else:
            write_json(use.data_path, result)
        log.info("%s %s/%s in %.1f s", "checked" if check else "computed", use.slug,
                 use.id, time.perf_counter() - began)

    if scratch is not None:
        scratch.cleanup()
    if not check:
        if read_models_manifest(config.data_dir) != manifest:
            write_json(config.data_dir / "models.json", manifest)
        summary.removed = _remove_orphans(config.data_dir, uses)

    summary.seconds = time.perf_counter() - started
    _report(summary, check, len(todo))
    if failures:
        raise PrecomputeError("recomputed values differ from data/ beyond the "
                              f"tolerance {CHECK_TOLERANCE}:\n  "
                              + "\n  ".join(failures))
    return summary


def _status(use: WidgetUse) -> str:
    stored = _read(use.data_path)
    if stored is None:
        return "missing"
    return "fresh" if stored.get("key") == use.key else "stale"


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _progress(items: list, enabled: bool, verb: str):
    if not items:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=verb, unit="widget", disable=not enabled,
                bar_format="{desc} {n_fmt}/{total_fmt} {bar} {elapsed} "
                           "{postfix}")


def _remove_orphans(data_dir: Path, uses: list[WidgetUse]) -> int:
    keep = {use.data_path.resolve() for use in uses}
    removed = 0
    for path in sorted((data_dir / "widgets").rglob("*.json")):
        if path.resolve() not in keep:
            path.unlink()
            removed += 1
            log.info("removed %s (no widget uses it any more)", path.name)
    return removed


def _report(summary: Summary, check: bool, done: int) -> None:
    if check:
        log.info("checked %d widgets: %d differ from data/ (%.1f s)", done,
                 summary.mismatched, summary.seconds)
        return
    log.info("%d fresh, %d stale, %d missing; computed %d, removed %d (%.1f s)",
             summary.fresh, summary.stale, summary.missing, done, summary.removed,
             summary.seconds)
