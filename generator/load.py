"""Stage 1: find the posts and pages under ``content/`` and read their front matter.

In: the content folder. Out: one :class:`Source` per Markdown file, with its
front matter checked and its body kept verbatim together with the line it
starts on, so that later stages can report ``path:line``.

Posts live in ``content/posts/``, either as a page bundle
(``posts/<slug>/index.md`` with its images beside it) or as a single file
(``posts/<slug>.md``). Every other ``.md`` file is a plain page, served at
``/<name>/``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from generator.errors import Problems

REQUIRED = ("title", "date")
OPTIONAL = ("updated", "summary", "tags", "hero", "draft", "authors")
#: libyaml's loader when PyYAML was built with it: about 10x faster.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class Source:
    """One Markdown file and its checked front matter."""

    path: Path  # absolute path of the .md file
    kind: str  # "post" or "page"
    slug: str  # URL segment: folder name of a bundle, file stem otherwise
    title: str
    date: dt.date
    body: str  # Markdown after the front matter
    body_line: int  # 1-based line of the file where ``body`` starts
    updated: dt.date | None = None
    summary: str = ""
    tags: list[str] = field(default_factory=list)
    hero: dict | None = None  # {"image": relative path, "alt": text}
    draft: bool = False
    authors: list[str] = field(default_factory=list)
    key: str = ""  # parse key, set by the build (see generator/stages.py)

    @property
    def bundle_dir(self) -> Path | None:
        """Return the folder of a page bundle, or None for a single file."""
        return self.path.parent if self.path.name == "index.md" else None

    @functools.cached_property  # asked for a few times per post and build
    def url(self) -> str:
        """Return the site path, e.g. ``/posts/my-post/`` or ``/about/``."""
        return f"/posts/{self.slug}/" if self.kind == "post" else f"/{self.slug}/"


def load_sources(content_dir: Path, problems: Problems) -> list[Source]:
    """Read every Markdown file under ``content_dir``, reporting bad ones."""
    sources = []
    for path in sorted(content_dir.rglob("*.md")):
        source = read_source(path, content_dir, problems)
        if source is not None:
            sources.append(source)

    check_duplicate_slugs(sources, problems)
    return sources


def read_source(path: Path, content_dir: Path, problems: Problems) -> Source | None:
    """Read one file; return None (after recording why) if it is unusable."""
    text = path.read_text(encoding="utf-8")
    kind, slug = kind_and_slug(path, content_dir)
    if not SLUG_RE.match(slug):
        problems.add(
            path,
            0,
            f"'{slug}' is not a usable URL slug; rename the "
            f"{'folder' if path.name == 'index.md' else 'file'} to lowercase "
            "letters, digits and hyphens",
        )
        return None

    meta, body, body_line = split_front_matter(text, path, problems)
    if meta is None:
        return None

    fields_ = check_front_matter(meta, text, path, problems)
    if fields_.get("hero") and not _size_hero(fields_["hero"], path, text, problems):
        return None
    return Source(path=path, kind=kind, slug=slug, body=body, body_line=body_line,
                  **fields_)


def kind_and_slug(path: Path, content_dir: Path) -> tuple[str, str]:
    relative = path.relative_to(content_dir)
    is_post = relative.parts[0] == "posts"
    slug = path.parent.name if path.name == "index.md" else path.stem
    return ("post" if is_post else "page"), slug


def split_front_matter(
    text: str, path: Path, problems: Problems
) -> tuple[dict | None, str, int]:
    """Split ``---`` YAML front matter from the body; parse the YAML."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        problems.add(path, 1, "no front matter; start the file with a line '---', "
                     "then 'title:' and 'date:', then another '---'")
        return None, "", 1

    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            break
    else:
        problems.add(path, 1, "front matter is not closed; add a line '---' "
                     "after the last front matter key")
        return None, "", 1

    yaml_text = "".join(lines[1:index])
    body = "".join(lines[index + 1:])
    try:
        meta = yaml.load(yaml_text, Loader=SafeLoader)
    except yaml.YAMLError as error:
        # The context mark is where the broken construct starts (an
        # unclosed bracket, say); the problem mark is where YAML gave up.
        mark = getattr(error, "context_mark", None) or getattr(
            error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        reason = getattr(error, "problem", None) or str(error)
        problems.add(path, line, f"malformed YAML in front matter: {reason}; "
                     "check indentation and quote values that contain ': '")
        return None, "", 1

    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        problems.add(path, 2, "front matter must be a YAML mapping of 'key: value' "
                     "lines")
        return None, "", 1
    return meta, body, index + 2


def _key_line(text: str, key: str) -> int:
    """Return the 1-based line where front matter ``key:`` is written."""
    match = re.search(rf"^{re.escape(key)}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _as_date(value, key: str, text: str, path: Path, problems: Problems):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        problems.add(path, _key_line(text, key), f"'{key}: {value}' is not a date; "
                     "write it as YYYY-MM-DD, e.g. 2026-06-15")
        return None


def check_front_matter(meta: dict, text: str, path: Path, problems: Problems) -> dict:
    """Check required, optional and unknown keys; return the Source fields."""
    allowed = ", ".join(REQUIRED + OPTIONAL)
    for key in meta:
        if key not in REQUIRED + OPTIONAL:
            problems.warn(path, _key_line(text, key), f"unknown front matter key "
                          f"'{key}' is ignored; allowed keys are {allowed}")

    for key in REQUIRED:
        if meta.get(key) in (None, ""):
            problems.add(path, 1, f"front matter has no '{key}'; add "
                         f"'{key}: ...' between the '---' lines")

    fields_ = {"title": str(meta.get("title", ""))}
    if meta.get("date") not in (None, ""):
        fields_["date"] = _as_date(meta["date"], "date", text, path, problems)
    if meta.get("updated") is not None:
        fields_["updated"] = _as_date(meta["updated"], "updated", text, path, problems)

    for key in ("tags", "authors"):
        value = meta.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.add(path, _key_line(text, key), f"'{key}' must be a list of "
                         f"strings, e.g. {key}: [one, two]")
            value = []
        fields_[key] = value

    summary = meta.get("summary", "")
    if not isinstance(summary, str):
        problems.add(path, _key_line(text, "summary"), "'summary' must be text")
    fields_["summary"] = str(summary or "")

    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        problems.add(path, _key_line(text, "draft"), "'draft' must be true or false")
    fields_["draft"] = draft is True

    hero = meta.get("hero")
    if hero is not None:
        if not (isinstance(hero, dict) and isinstance(hero.get("image"), str)
                and isinstance(hero.get("alt"), str)):
            problems.add(path, _key_line(text, "hero"), "'hero' needs 'image' (a file "
                         "beside the post) and 'alt' (its description), e.g. "
                         "hero: {image: cover.png, alt: A chart of ...}")
            hero = None
        fields_["hero"] = hero

    # A file with errors still goes through the later stages, so that one run
    # reports its other problems and links to it do not count as broken. The
    # build fails anyway, so the stand-in values are never published.
    if fields_.get("date") is None:
        fields_["date"] = dt.date.min
    return fields_


def _size_hero(hero: dict, path: Path, text: str, problems: Problems) -> bool:
    """Check that the hero image sits beside the post; record its size."""
    import imagesize  # here: it imports urllib.request, 30 ms a build

    image = path.parent / hero["image"]
    if not image.is_file():
        problems.add(path, _key_line(text, "hero"), f"hero image '{hero['image']}' "
                     f"not found next to {path.name}; put it there or fix the name")
        return False
    width, height = imagesize.get(image)
    hero["width"], hero["height"] = (int(width), int(height)) if width > 0 else (
        None, None)
    return True


def check_duplicate_slugs(sources: list[Source], problems: Problems) -> None:
    seen: dict[str, Source] = {}
    for source in sources:
        if source.url in seen:
            first = problems.relative(seen[source.url].path)
            problems.add(source.path, 1, f"slug '{source.slug}' is already used by "
                         f"{first} (both would be {source.url}); rename one of them")
        else:
            seen[source.url] = source
