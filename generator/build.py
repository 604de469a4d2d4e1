"""The build: one call per stage, everything gathered before anything is written.

A build first checksums its inputs. When nothing changed since the last
good build and ``public/`` still holds what that build wrote, it stops
there. Otherwise it loads, parses and renders only what the change reaches,
reusing the rest from the build cache (``generator/cache.py``), and writes
only the files whose bytes differ. A build with an empty cache does all the
work and writes the same bytes.
"""

from __future__ import annotations

import importlib.metadata
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from generator.cache import Cache, combine
from generator.config import SiteConfig, load_config
from generator.errors import Problems
from generator.write import write_site

log = logging.getLogger("probable.build")

CODE_DIRS = ("generator", "precompute")
LIBRARIES = ("jinja2", "markdown-it-py", "mdit-py-plugins", "pygments",
             "latex2mathml", "pyyaml", "imagesize")
INPUT_DIRS = ("content", "templates", "static", "data")


@dataclass
class BuildResult:
    """What a successful build produced."""

    out: Path
    posts: int
    pages: int
    files: int  # files in the output folder
    written: int  # files this build wrote (0 when up to date)
    seconds: float
    warnings: list  # Problems that did not fail the build


@dataclass
class Inputs:
    """The checksum of every file the build reads."""

    code: str  # over the generator's own source and library versions
    files: dict[str, str]  # project-relative path -> sha256

    def digest(self, prefix: str) -> str:
        """Return a checksum over every input file under ``prefix``."""
        return combine(f"{k}={v}" for k, v in self.files.items()
                       if k.startswith(prefix))


def build(root: Path, out: Path | None = None, drafts: bool = False,
          strict: bool = False, dev_reload: bool = False,
          processes: int | None = None) -> BuildResult:
    """Build the site of the project at ``root`` into ``out`` (default public/)."""
    started = time.perf_counter()
    root = root.resolve()
    config = load_config(root)
    out = (out or root / "public").resolve()
    cache = Cache(config.cache_dir / "build")

    # Scan: checksum every input; stop here if nothing changed.
    inputs = scan_inputs(config, cache)
    fingerprint = combine(inputs.code, (f"{k}={v}" for k, v in inputs.files.items()),
                          [drafts, dev_reload, out])
    if cache.index.fingerprint == fingerprint and cache.output_intact(out):
        return _up_to_date(cache, out, strict, started)

    from generator.stages import run_stages

    problems = Problems(root)
    site = run_stages(config, inputs, cache, problems, drafts, dev_reload, processes)
    check_links_of(site, problems)

    # Write: only when nothing failed, so public/ keeps the last good site.
    problems.raise_if_failed(strict=strict)
    for warning in problems.warnings:
        log.warning("%s", warning)
    written, manifest = write_site(site.outputs, out, cache)

    cache.index.fingerprint = fingerprint
    cache.index.outputs = manifest
    cache.index.out = str(out)
    cache.index.warnings = problems.warnings
    cache.collect_garbage(site.objects)
    cache.save()

    seconds = time.perf_counter() - started
    log.info("built %d posts and %d pages into %s: %d of %d files written, "
             "%d parsed, in %.0f ms", len(site.posts), len(site.pages),
             _display(out, root), written, len(site.outputs), site.parsed,
             seconds * 1000)
    return BuildResult(out, len(site.posts), len(site.pages), len(site.outputs),
                       written, seconds, problems.warnings)


def scan_inputs(config: SiteConfig, cache: Cache) -> Inputs:
    """Checksum the project's inputs and the code that turns them into a site."""
    code_files = []
    package_root = Path(__file__).resolve().parent.parent
    for name in CODE_DIRS:
        for path in sorted((package_root / name).rglob("*.py")):
            code_files.append(f"{path.name}={cache.digest(path)}")
    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name}={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name}=absent")

    files = {}
    root = config.root
    for name in INPUT_DIRS:
        folder = root / name
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                relative = path.relative_to(root).as_posix()
                files[relative] = cache.digest(path, relative)
    files["site.toml"] = cache.digest(root / "site.toml", "site.toml")
    return Inputs(code=combine(code_files, versions, [str(root)]), files=files)


def check_links_of(site, problems: Problems) -> None:
    """Report broken internal links and anchors in the site's Markdown."""
    from generator.links import check_links

    check_links(site.posts + site.pages, set(site.outputs), problems)


def _up_to_date(cache: Cache, out: Path, strict: bool, started: float
                ) -> BuildResult:
    problems = Problems(Path.cwd())
    problems.items = list(cache.index.warnings)
    problems.raise_if_failed(strict=strict)
    for warning in problems.warnings:
        log.warning("%s", warning)
    seconds = time.perf_counter() - started
    posts = sum(1 for n in cache.index.outputs if n.startswith("posts/")
                and n.endswith("/index.html"))
    log.info("up to date: nothing changed since the last build (%.0f ms)",
             seconds * 1000)
    return BuildResult(out, posts, 0, len(cache.index.outputs), 0, seconds,
                       problems.warnings)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root)) + "/"
    except ValueError:
        return str(path)

