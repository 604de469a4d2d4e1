"""The stages of a build that has something to do: load, parse, render.

In: the scanned inputs and the build cache. Out: a :class:`Site`, every
output file as an :class:`~generator.write.Output` (a checksum plus bytes or
a file to copy), and the Records of every post and page. Nothing is
written to the output folder here.

Each stage reuses what the cache holds for inputs that did not change:

* a source whose parse key is unchanged is neither read nor parsed;
* a page whose render key is unchanged is not rendered;

where a key is a checksum over everything the step reads, listed next to
each key below.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from generator.assets import Assets, collect_assets
from generator.cache import Cache, combine, key_of
from generator.config import SiteConfig
from generator.errors import Problems
from generator.jobs import Job, Setup, Workers
from generator.load import check_duplicate_slugs
from generator.parse import Record
from generator.render import Renderer, collect_tags
from generator.templates import create_environment
from generator.widgets import read_models_manifest
from generator.write import Output

log = logging.getLogger("probable.build")


@dataclass
class Site:
    """Everything a build would write, and what it was made from."""

    outputs: dict[str, Output] = field(default_factory=dict)
    posts: list[Record] = field(default_factory=list)  # newest first
    pages: list[Record] = field(default_factory=list)
    objects: set[str] = field(default_factory=set)  # object store entries in use
    parsed_keys: set[str] = field(default_factory=set)  # parsed in this build
    render_keys: dict[str, str] = field(default_factory=dict)  # output -> key
    entries: dict[str, str] = field(default_factory=dict)  # list items by meta
    # When lists were rendered: (render key, list items by parse key), for
    # the cache to keep.
    kept_entries: tuple[str, dict[str, str]] | None = None

    @property
    def parsed(self) -> int:
        return len(self.parsed_keys)


@dataclass
class Keys:
    """Checksums over the inputs that whole stages depend on."""

    parse: str  # code, widget templates, site.toml, model checksums, root
    render: str  # code, every template, asset URLs, site.toml, flags
    assets: str  # the asset URL map (widget markup embeds asset URLs)


def run_stages(config: SiteConfig, inputs, cache: Cache, problems: Problems,
               drafts: bool, dev_reload: bool, processes: int | None,
               staging: Path | None = None) -> Site:
    """Load, parse and render the site; return what would be written.

    With ``staging``, the folder a clean build is assembled in, post and
    page renders are written there at once instead of into the cache.
    """
    site = Site()
    assets = _assets(config, inputs)
    keys = Keys(
        parse=combine(inputs.code, inputs.digest("templates/widgets/"),
                      inputs.files["site.toml"], inputs.files.get(
                          "data/models.json", "")),
        render=combine(inputs.code, inputs.digest("templates/"),
                       inputs.files["site.toml"],
                       [f"{k}={v}" for k, v in sorted(assets.urls.items())],
                       [drafts, dev_reload]),
        assets=combine(f"{k}={v}" for k, v in sorted(assets.urls.items())),
    )

    # A whole new site renders every page: start the workers now, so that
    # they set up while the sources are read.
    setup = Setup(config, assets.urls, keys.assets, read_models_manifest(
        config.data_dir), dev_reload, cache.objects, staging, keys.render)
    markdown = [name for name in inputs.files
                if name.startswith("content/") and name.endswith(".md")]
    workers = Workers(setup, processes, expected=len(markdown) if staging else 0)
    try:
        # Load: read front matter, except where the cache has a valid Record.
        data = _data_by_slug(inputs)
        sources, cached, load_warnings = load_stage(config, inputs, markdown, data,
                                                    cache, keys, problems, drafts,
                                                    workers)

        # Parse each source and render its own page, in parallel when many.
        records = parse_stage(sources, cached, load_warnings, data, cache, keys,
                              problems, site, workers)
    finally:
        workers.close()
    site.posts = sorted((r for r in records if r.source.kind == "post"),
                        key=lambda r: (r.source.date, r.source.slug), reverse=True)
    site.pages = [r for r in records if r.source.kind == "page"]

    # Render the lists, feed and sitemap; add assets, images and data.
    render_stage(config, cache, keys, assets, problems, dev_reload, site)
    _add_files(config, inputs, assets, cache, site)
    return site


_last_assets: tuple[str, Assets] | None = None  # this process's last, by key


def _assets(config: SiteConfig, inputs) -> Assets:
    """Return the static assets, read again only when ``static/`` changed.

    ``probable serve`` would otherwise read, bundle and fingerprint them for
    every save of a post.
    """
    global _last_assets
    key = combine(str(config.static_dir), inputs.digest("static/"))
    if _last_assets is None or _last_assets[0] != key:
        _last_assets = (key, collect_assets(config.static_dir))
    return _last_assets[1]


def parse_key(keys: Keys, inputs, relative: str, data: list[str]) -> str:
    """Key of one source: the parse key, its own bytes, its widget data."""
    return key_of(keys.parse, relative, inputs.files[relative], *data)


def _data_by_slug(inputs) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, sha in inputs.files.items():
        if name.startswith("data/widgets/"):
            slug = name.split("/")[2]
            found.setdefault(slug, []).append(f"{name}={sha}")
    return found


def _record_valid(record: Record | None, keys: Keys, inputs, cache: Cache
                  ) -> bool:
    if record is None:
        return False
    if record.uses_assets and record.uses_assets != keys.assets:
        return False
    # The bulky parts live in the object store, which may have been pruned.
    # (The tests before all() spare a generator for each of the many
    # Records that have neither widget data nor files.)
    if not cache.holds_body(record.body) or record.data and not all(
            cache.has(sha) for _, sha in record.data):
        return False
    return not record.depends or all(inputs.files.get(f"content/{path}") == sha
                                     for path, sha in record.depends.items())


def load_stage(config, inputs, markdown, data, cache, keys, problems, drafts,
               workers):
    """Return (sources, {parse key: cached Record}, {parse key: load warnings}).

    ``markdown``: the project-relative names of the Markdown inputs;
    ``data``: the widget data files of each post (see _data_by_slug).
    Sources the cache has no valid Record of are read by ``workers``.

    The dictionaries are keyed by parse key, which is unique per source and,
    unlike a Path, costs nothing to hash.
    """
    found, cached, warnings = [], {}, {}
    unread = []  # the names of the sources to read
    for relative in sorted(markdown):
        # The slug from the name alone: building a Path per source costs
        # more than the rest of this loop for a site whose posts are cached.
        parts = relative.split("/")
        slug = parts[-2] if parts[-1] == "index.md" else parts[-1][: -len(".md")]
        key = parse_key(keys, inputs, relative, data.get(slug, []))
        record = cache.records.get(key)
        if _record_valid(record, keys, inputs, cache):
            found.append((key, record.source))
            cached[key] = record
        else:
            found.append((key, None))
            unread.append(relative)

    # In the order of the names, which keeps the problems in that order.
    read = workers.read(unread)
    sources = []
    for key, source in found:
        if source is None:
            source, found_problems = next(read)
            problems.items.extend(found_problems)
            warnings[key] = [p for p in found_problems if p.warning]
        if source is not None:
            source.key = key
            sources.append(source)

    check_duplicate_slugs(sources, problems)
    if not drafts:
        sources = [s for s in sources if not s.draft]
    return sources, cached, warnings


def _neighbour(source) -> SimpleNamespace | None:
    # Post pages show a neighbour's title and address, and the page key
    # covers only those; a template that asks for more gets an error, not
    # a page that goes stale. (A whole Source would also send its Markdown
    # to the worker with every job that names it.)
    if source is None:
        return None
    return SimpleNamespace(source=SimpleNamespace(url=source.url, title=source.title))


def parse_stage(sources, cached, load_warnings, data, cache, keys, problems, site,
                workers) -> list[Record]:
    """Parse what changed and render every post and page whose inputs changed."""
    posts = sorted((s for s in sources if s.kind == "post"),
                   key=lambda s: (s.date, s.slug), reverse=True)
    # What a post page shows of its neighbours, newer first.
    shown = [f"{s.url}\x1f{s.title}" for s in posts]
    neighbours = {}
    for index, source in enumerate(posts):
        newer = posts[index - 1] if index > 0 else None
        older = posts[index + 1] if index + 1 < len(posts) else None
        neighbours[source.key] = (newer, older, shown[index - 1] if newer else "",
                                  shown[index + 1] if older else "")

    jobs, records, reused = [], {}, {}
    for source in sources:
        output = source.url[1:] + "index.html"
        newer, older, *shows = neighbours.get(source.key, (None, None, "", ""))
        # Page key: render environment, the source's parse key, neighbours.
        page_key = key_of(keys.render, source.key, *shows)
        record = cached.get(source.key)
        known = cache.index.outputs.get(output)
        found = known and cache.index.render_keys.get(output) == page_key and (
            cache.find(output, known.sha256))
        if record is not None and found:
            records[source.key] = record
            reused[output] = (page_key, known.sha256, found)
            continue
        # What a widget block depends on beyond its own lines (Parser.parse).
        widgets_key = "" if record is not None else combine(
            keys.parse, keys.assets, data.get(source.slug, []))
        jobs.append((page_key, Job(source, source.key, record, _neighbour(newer),
                                   _neighbour(older), output, widgets_key)))

    results = workers.run([job for _, job in jobs])
    for (page_key, job), result in zip(jobs, results):
        for problem in result.problems:
            problems.items.append(problem)
        record = result.record
        if job.record is None:
            site.parsed_keys.add(record.key)
            record.warnings = load_warnings.get(job.key, []) + record.warnings
        records[job.key] = record
        if result.entry:
            site.entries[record.meta] = result.entry
        if workers.setup.staging is not None:  # the worker wrote the page there
            site.outputs[job.output] = Output(result.page_sha, placed=True)
            site.render_keys[job.output] = page_key
        else:
            _set(site, job.output, page_key, result.page_sha,
                 cache.path(result.page_sha), rendered=True)

    for output, (page_key, sha, found) in reused.items():
        _set(site, output, page_key, sha, found)
    ordered = [records[s.key] for s in sources if s.key in records]
    for record in ordered:
        if record.key in cached:
            problems.items.extend(record.warnings)
        site.objects.add(record.body[0])
        site.objects.update(sha for _, sha in record.data)
    return ordered


def _set(site: Site, output: str, key: str, sha: str, path: str,
         rendered: bool = False) -> None:
    """Make ``output`` the bytes ``sha`` in ``path``, rendered under ``key``.

    A page ``rendered`` in this build is an object of its own, which the
    write stage may move into place instead of copying it.
    """
    site.outputs[output] = Output(sha, path=path, movable=rendered)
    site.render_keys[output] = key
    site.objects.add(sha)


def render_stage(config, cache, keys, assets, problems, dev_reload, site) -> None:
    """Render home, archive, tags, feed, sitemap and the fixed files."""
    env = create_environment(config, assets.url, keys.render)
    renderer = Renderer(config, env, problems, dev_reload=dev_reload)
    posts, pages = site.posts, site.pages
    tags = collect_tags(posts)
    listing = combine(keys.render, [r.meta for r in posts])  # of lists of all
    feed_posts = posts[:config.feed_items]

    # Each key: the render environment plus the metadata the page lists.
    plan = [
        ("index.html", listing, "index.html", lambda: {"posts": posts, "url": "/"}),
        ("archive/index.html", listing, "archive.html",
         lambda: {"posts": posts, "url": "/archive/"}),
        ("tags/index.html", listing, "tags.html",
         lambda: {"tags": tags, "url": "/tags/"}),
        ("sitemap.xml", combine(listing, [r.meta for r in pages]),
         "sitemap.xml", lambda: {"posts": posts, "pages": pages, "tags": tags,
                                 "url": "/sitemap.xml"}),
        ("feed.xml", combine(keys.render, [r.meta + r.html_sha for r in feed_posts]),
         "feed.xml", lambda: {"posts": _feed_entries(feed_posts, cache, config),
                              "url": "/feed.xml"}),
        ("404.html", keys.render, "404.html", lambda: {"url": "/404.html"}),
        ("robots.txt", keys.render, "robots.txt", lambda: {"url": "/robots.txt"}),
        ("_headers", keys.render, "_headers", lambda: {"url": "/_headers"}),
    ]
    for tag in tags:
        plan.append((f"tags/{tag.slug}/index.html",
                     combine(keys.render, tag.name, [r.meta for r in tag.posts]),
                     "tag.html", lambda tag=tag: {"tag": tag, "url": tag.url}))

    taken = False  # the cache's list items were added to the renderer's
    for output, key, template, context in plan:
        known = cache.index.outputs.get(output)
        found = known and cache.index.render_keys.get(output) == key and (
            cache.find(output, known.sha256))
        if found:
            _set(site, output, key, known.sha256, found)
            continue
        if not taken:  # once, and only if a list is rendered
            taken = True
            # Kept by parse key, which covers all of a post an item could
            # show; the render key covers the templates.
            kept = cache.entries(keys.render)
            renderer.add_entries({r.meta: kept[r.key] for r in posts
                                  if r.key in kept})
            renderer.add_entries(site.entries)
        _, content = renderer.page(template, output, **context())
        sha = cache.put(content)
        _set(site, output, key, sha, cache.path(sha), rendered=True)
    if taken:
        made = renderer.entries_of(posts)
        site.kept_entries = (keys.render, {r.key: made[r.meta] for r in posts
                                           if r.meta in made})


def _feed_entries(posts: list[Record], cache: Cache, config: SiteConfig):
    from generator.render import absolute_html

    # The feed is rendered again whenever one of its posts changes; in serve
    # the others' absolute HTML is kept from the last time.
    entries, made = [], {}
    for record in posts:
        key = (record.html_sha, config.url(record.source.url))
        html = cache.feed_html.get(key)
        if html is None:
            body = record.html or cache.body(record.body)
            html = absolute_html(body, record.source.url, config)
        made[key] = html
        entries.append((record, html))
    cache.feed_html = made
    return entries


def _add_files(config: SiteConfig, inputs, assets: Assets, cache: Cache,
               site: Site) -> None:
    """Add static assets, the files beside posts, and widget data."""
    for name, content in assets.files.items():
        site.outputs[name] = Output(hashlib.sha256(content).hexdigest(), content)

    for record in site.posts + site.pages:
        folder = record.source.url.strip("/")
        names = [src for src, _ in record.files]
        if record.source.hero and record.source.bundle_dir is not None:
            names.append(record.source.hero["image"])
        for name in names:
            path = record.source.path.parent / name
            if not path.is_file():
                continue
            relative = path.relative_to(config.root).as_posix()
            if relative in inputs.files:
                site.outputs[f"{folder}/{Path(name).as_posix()}"] = Output(
                    inputs.files[relative], path=path)
        for public, sha in record.data:
            site.outputs[public] = Output(sha, path=cache.path(sha))
