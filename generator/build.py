"""The build: one call per stage, everything gathered before anything is written."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from generator.assets import collect_assets
from generator.config import SiteConfig, load_config
from generator.errors import Problems
from generator.links import check_links
from generator.load import load_sources
from generator.parse import Document, Parser, bundle_files
from generator.render import Renderer
from generator.templates import create_environment
from generator.widgets import read_models_manifest
from generator.write import write_site
from precompute.tasks import available

log = logging.getLogger("probable.build")


@dataclass
class BuildResult:
    """What a successful build produced."""

    out: Path
    posts: int
    pages: int
    files: int
    bytes: int
    seconds: float
    warnings: list  # Problems that did not fail the build


def build(root: Path, out: Path | None = None, drafts: bool = False,
          strict: bool = False, dev_reload: bool = False) -> BuildResult:
    """Build the site of the project at ``root`` into ``out`` (default public/)."""
    started = time.perf_counter()
    root = root.resolve()
    config = load_config(root)
    out = (out or root / "public").resolve()
    problems = Problems(root)

    # Load: sources, assets, templates, widget definitions and model checksums.
    sources = load_sources(config.content_dir, problems)
    if not drafts:
        sources = [s for s in sources if not s.draft]
    assets = collect_assets(config.static_dir)
    env = create_environment(config, assets.url)
    widgets = available()
    manifest = read_models_manifest(config.data_dir)
    log.debug("loaded %d sources, %d assets", len(sources), len(assets.files))

    # Parse: Markdown to HTML, widgets to their default state.
    parser = Parser(config, widgets, env, manifest, problems)
    documents = [parser.parse(source) for source in sources]
    posts = [d for d in documents if d.source.kind == "post"]
    pages = [d for d in documents if d.source.kind == "page"]

    # Render: every page, list, feed and sitemap.
    renderer = Renderer(config, env, problems, dev_reload=dev_reload)
    outputs: dict[str, bytes | Path] = dict(renderer.render_site(posts, pages))
    outputs.update(assets.files)
    outputs.update(_bundle_outputs(documents))
    outputs.update(_data_outputs(documents))
    check_links(documents, set(outputs), problems)

    # Write: only when nothing failed, so public/ keeps the last good site.
    problems.raise_if_failed(strict=strict)
    for warning in problems.warnings:
        log.warning("%s", warning)
    written = write_site(outputs, out)

    seconds = time.perf_counter() - started
    log.info("built %d posts and %d pages (%d files, %.1f KB) into %s in %.0f ms",
             len(posts), len(pages), len(outputs), written / 1024,
             _display(out, root), seconds * 1000)
    return BuildResult(out, len(posts), len(pages), len(outputs), written, seconds,
                       problems.warnings)


def _bundle_outputs(documents: list[Document]) -> dict[str, Path]:
    files = {}
    for document in documents:
        folder = document.source.url.strip("/")
        for path in bundle_files(document):
            relative = path.relative_to(document.source.path.parent).as_posix()
            files[f"{folder}/{relative}"] = path
        hero = document.source.hero
        if hero and document.source.bundle_dir is not None:
            path = document.source.bundle_dir / hero["image"]
            if path.is_file():
                files[f"{folder}/{hero['image']}"] = path
    return files


def _data_outputs(documents: list[Document]) -> dict[str, bytes]:
    return {use.data_url.lstrip("/"): use.payload
            for document in documents for use in document.widgets if use.data_url}


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root)) + "/"
    except ValueError:
        return str(path)


__all__ = ["BuildResult", "SiteConfig", "build"]
