"""Stage 0: read ``site.toml`` into a :class:`SiteConfig`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from generator.errors import ConfigError


@dataclass(frozen=True)
class SiteConfig:
    """Site-wide settings; every field can be set in ``site.toml``."""

    root: Path  # project folder holding site.toml, content/, templates/ ...
    title: str  # site name, shown in the header, feed and <title>
    base_url: str  # absolute URL the site is served from, ends with "/"
    description: str = ""  # one sentence for the home page meta and the feed
    language: str = "en"  # <html lang> and the feed's <language>
    author: str = ""  # default author of posts that name none
    model: str = "smollm2"  # default model id of language-model widgets
    words_per_minute: int = 220  # reading speed behind "N min read"
    feed_items: int = 20  # newest posts the feed carries in full
    nav: tuple[tuple[str, str], ...] = field(default=())  # (label, url) pairs

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def static_dir(self) -> Path:
        return self.root / "static"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def cache_dir(self) -> Path:
        return self.root / ".cache"

    def url(self, path: str) -> str:
        """Return the absolute URL of a site path such as ``/posts/x/``."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


def load_config(root: Path) -> SiteConfig:
    """Read ``root/site.toml``; raise ConfigError naming the file and line."""
    path = root / "site.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: not found; run probable from the project folder "
            "or create site.toml with at least title and base_url"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}; fix the TOML syntax") from None

    known = {f.name for f in fields(SiteConfig)} - {"root"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; "
            f"allowed are {', '.join(sorted(known))}"
        )
    for name in ("title", "base_url"):
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise ConfigError(f"{path}: '{name}' is required and must be a string")

    nav = tuple((str(item["label"]), str(item["url"])) for item in raw.pop("nav", []))
    raw["base_url"] = raw["base_url"].rstrip("/") + "/"
    return SiteConfig(root=root, nav=nav, **raw)
