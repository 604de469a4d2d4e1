"""Widgets in Markdown: check a fenced block's options and find its data.

A widget is a fenced block whose info string names a kind from
``precompute/tasks`` and whose body is YAML options. This module turns such
a block into a :class:`WidgetUse` (options checked, defaults filled, data
file located and checked for freshness). It is shared by the build, which
renders the use, and by ``probable precompute``, which computes its data.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from precompute import freshness
from precompute.tasks import Option, Widget

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

#: Options every widget accepts besides its own.
COMMON = {
    "id": Option(str, "a name for the widget, unique in the post (letters, digits, "
                 "hyphens); defaults to the kind and a number"),
}
MODEL_OPTION = "model"


@dataclass
class WidgetUse:
    """One widget block in one post."""

    kind: str
    id: str  # unique within the post, e.g. "next-token-1"
    options: dict[str, Any]  # checked, defaults filled, common options removed
    line: int  # line of the opening fence in the Markdown file
    slug: str  # the post's slug
    definition: Widget = field(repr=False)
    model_id: str | None = None  # model the data comes from, None if no data
    key: str = ""  # freshness key, "" if no data
    data_path: Path | None = None  # data/widgets/<slug>/<id>.json
    stored: dict | None = None  # the data file's content when fresh
    payload: bytes = b""  # the JSON the browser fetches (the "data" member)
    data_url: str = ""  # where the build publishes ``payload``

    @property
    def data(self) -> Any:
        """Return the payload, or None for widgets without data."""
        return self.stored["data"] if self.stored else None

    @property
    def provenance(self) -> dict | None:
        return self.stored["provenance"] if self.stored else None


class WidgetError(ValueError):
    """A widget block is wrong; ``line`` is the file line to report."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def parse_options(body: str, fence_line: int) -> dict:
    """Parse the YAML body of a widget block (which starts after the fence)."""
    try:
        options = yaml.safe_load(body) if body.strip() else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "context_mark", None) or getattr(
            error, "problem_mark", None)
        line = fence_line + 1 + (mark.line if mark is not None else 0)
        reason = getattr(error, "problem", None) or str(error)
        raise WidgetError(line, f"malformed YAML in widget options: {reason}; "
                          "write one 'option: value' per line") from None
    if not isinstance(options, dict):
        raise WidgetError(fence_line + 1, "widget options must be 'option: value' "
                          "lines (a YAML mapping)")
    return options


def _option_line(body: str, fence_line: int, name: str) -> int:
    match = re.search(rf"^{re.escape(str(name))}\s*:", body, re.MULTILINE)
    return fence_line + 1 + body.count("\n", 0, match.start()) if match else fence_line


def _type_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or "
             "false", list: "a list", dict: "a mapping"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _check_value(name: str, value: Any, spec: Option) -> str | None:
    """Return what is wrong with ``value`` for option ``name``, or None."""
    kinds = spec.type if isinstance(spec.type, tuple) else (spec.type,)
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) and bool not in kinds:
        return f"'{name}' must be {_type_name(spec.type)}, not {value!r}"
    if not isinstance(value, kinds):
        return f"'{name}' must be {_type_name(spec.type)}, not {value!r}"
    if spec.choices and value not in spec.choices:
        allowed = ", ".join(str(c) for c in spec.choices)
        return f"'{name}' must be one of {allowed}, not {value!r}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            return f"'{name}' must be at least {spec.minimum}, not {value}"
        if spec.maximum is not None and value > spec.maximum:
            return f"'{name}' must be at most {spec.maximum}, not {value}"
    if isinstance(value, list) and spec.items is not None:
        for item in value:
            if not isinstance(item, spec.items) or isinstance(item, bool) and (
                    spec.items is not bool):
                return f"every item of '{name}' must be {_type_name(spec.items)}"
            if spec.minimum is not None and isinstance(item, int | float) and (
                    item < spec.minimum):
                return f"items of '{name}' must be at least {spec.minimum}"
            if spec.maximum is not None and isinstance(item, int | float) and (
                    item > spec.maximum):
                return f"items of '{name}' must be at most {spec.maximum}"
    return None


def allowed_options(widget: Widget) -> dict[str, Option]:
    """Return every option ``widget`` accepts, common ones included."""
    allowed = dict(widget.options)
    allowed.update(COMMON)
    if widget.model == "lm":
        allowed[MODEL_OPTION] = Option(str, "model id: smollm2, a local folder or "
                                       "a hub id of a causal language model")
    return allowed


def check_options(
    widget: Widget, raw: dict, body: str, fence_line: int, default_model: str
) -> tuple[list[WidgetError], dict]:
    """Return (errors, options with defaults) for a widget block's options."""
    allowed = allowed_options(widget)
    listing = "; ".join(f"{n} ({s.help})" for n, s in allowed.items())
    errors = []
    for name in raw:
        if name not in allowed:
            close = difflib.get_close_matches(str(name), list(allowed), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            errors.append(WidgetError(
                _option_line(body, fence_line, name),
                f"unknown option '{name}' for widget '{widget.kind}'; {hint}"
                f"allowed: {listing}"))

    options = {}
    for name, spec in allowed.items():
        if name not in raw or raw[name] is None:
            if spec.required:
                errors.append(WidgetError(
                    fence_line, f"widget '{widget.kind}' needs option '{name}' "
                    f"({spec.help}); add a line '{name}: ...'"))
            options[name] = spec.default
            continue
        problem = _check_value(name, raw[name], spec)
        if problem:
            errors.append(WidgetError(_option_line(body, fence_line, name),
                                      f"{problem} ({spec.help})"))
        value = raw[name]
        if spec.type is float and isinstance(value, int) and not isinstance(
                value, bool):
            value = float(value)
        options[name] = value

    if widget.model == "lm" and options.get(MODEL_OPTION) is None:
        options[MODEL_OPTION] = default_model
    return errors, options


def _module_check(widget: Widget, options: dict, body: str, fence_line: int
                  ) -> list[WidgetError]:
    """Run the widget module's own ``check(options)``, if it has one.

    Each message is reported at the line of the first option it quotes.
    """
    checker = getattr(widget.module, "check", None)
    if checker is None:
        return []
    errors = []
    for message in checker(options):
        named = [n for n in options if f"'{n}'" in message]
        line = _option_line(body, fence_line, named[0]) if named else fence_line
        errors.append(WidgetError(line, f"widget '{widget.kind}': {message}"))
    return errors


def read_models_manifest(data_dir: Path) -> dict:
    """Return ``data/models.json`` (model id -> checksum), or {} if absent."""
    path = data_dir / "models.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def data_path(data_dir: Path, slug: str, widget_id: str) -> Path:
    """Return where the data of one widget is stored."""
    return data_dir / "widgets" / slug / f"{widget_id}.json"


def make_use(
    widget: Widget,
    body: str,
    fence_line: int,
    slug: str,
    number: int,
    default_model: str,
    data_dir: Path,
    manifest: dict,
) -> tuple[WidgetUse, list[WidgetError]]:
    """Build the WidgetUse of one block; errors list what is wrong with it."""
    raw = parse_options(body, fence_line)
    errors, options = check_options(widget, raw, body, fence_line, default_model)

    errors += _module_check(widget, options, body, fence_line) if not errors else []
    widget_id = options.pop("id") or f"{widget.kind}-{number}"
    if not ID_RE.match(widget_id):
        errors.append(WidgetError(_option_line(body, fence_line, "id"),
                                  f"'id: {widget_id}' must be lowercase letters, "
                                  "digits and hyphens"))
    use = WidgetUse(kind=widget.kind, id=widget_id, options=options,
                    line=fence_line, slug=slug, definition=widget)
    if widget.model is None or errors:
        return use, errors

    use.model_id = options.get(MODEL_OPTION) or widget.model
    use.data_path = data_path(data_dir, slug, widget_id)
    checksum = manifest.get(use.model_id, {}).get("sha256", "")
    use.key = freshness.key(widget, options, use.model_id, checksum) if checksum else ""
    return use, errors


def load_fresh(use: WidgetUse) -> str:
    """Load the stored data of ``use``; return "fresh", "stale" or "missing"."""
    if use.data_path is None:
        return "fresh"
    if not use.key or not use.data_path.exists():
        return "missing"
    stored = json.loads(use.data_path.read_text(encoding="utf-8"))
    if stored.get("key") != use.key:
        return "stale"
    use.stored = stored
    return "fresh"
