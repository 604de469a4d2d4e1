"""Parse and render posts, in worker processes when there are many.

A :class:`Job` is one post or page: parse it (unless the cache holds its
Record) and render its own page. Jobs are independent, so they run in a
pool of forked processes, one per core; results come back in job order,
which keeps the build deterministic. Workers put the body HTML (in a pack
of their own) and the widget data into the cache's object store, and the
rendered page either straight into the folder a clean build is staged in
or, for a build that updates the output in place, into the object store.
They send back only the small :class:`~generator.parse.Record`, the
page's checksum and, for a post, its item in the lists of posts.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import jinja2
import jinja2.meta

from generator.assets import Assets
from generator.cache import PackWriter, read_body, store
from generator.config import SiteConfig
from generator.errors import Problem, Problems
from generator.links import resolve
from generator.load import Source
from generator.parse import Document, Parser, Record, list_meta
from generator.render import ENTRY_TEMPLATE, Renderer, reading_minutes
from generator.templates import create_environment
from precompute.tasks import available

#: Below this many jobs a pool costs more than it saves.
POOL_THRESHOLD = 48
#: The templates Worker.run renders (the list item is Renderer.list_entry's).
RENDERED_BY_WORKERS = ("post.html", "page.html", ENTRY_TEMPLATE)


@dataclass(frozen=True)
class Setup:
    """What every worker needs, sent once when the pool starts."""

    config: SiteConfig
    asset_urls: dict[str, str]
    assets_digest: str
    manifest: dict
    dev_reload: bool
    objects: Path
    staging: Path | None  # where a clean build's pages go; None: the store
    render_key: str = ""  # what the templates depend on (see create_environment)


@dataclass
class Job:
    """Parse (if ``record`` is None) and render one post or page."""

    source: Source
    key: str  # the parse key the Record will carry
    record: Record | None  # from the cache; None means parse
    newer: SimpleNamespace | None  # neighbours: .source.url and .source.title
    older: SimpleNamespace | None
    output: str  # path of the page in public/
    widgets_key: str = ""  # see Parser.parse


@dataclass
class Result:
    record: Record
    page_sha: str
    problems: list[Problem]
    entry: str = ""  # a post's item in the home and tag pages' lists


class Worker:
    """Parser and renderer of one process."""

    def __init__(self, setup: Setup):
        self.setup = setup
        self.problems = Problems(setup.config.root)
        env = create_environment(setup.config, Assets(urls=setup.asset_urls).url,
                                 setup.render_key)
        self.parser = Parser(setup.config, available(), env, setup.manifest,
                             self.problems)
        self.renderer = Renderer(setup.config, env, self.problems,
                                 dev_reload=setup.dev_reload)
        self.pack = PackWriter(setup.objects)

    def run(self, job: Job) -> Result:
        """Do one job; problems found on the way travel back with the result."""
        self.problems.items = []
        if job.record is None:
            record = self.record(self.parser.parse(job.source, job.widgets_key),
                                 job.key)
        else:
            record = job.record
            record.html = read_body(self.setup.objects, record.body)

        if job.source.kind == "post":
            _, page = self.renderer.page(
                "post.html", job.output, doc=record, newer=job.newer,
                older=job.older, minutes=reading_minutes(record, self.setup.config),
                url=job.source.url)
        else:
            _, page = self.renderer.page("page.html", job.output, doc=record,
                                         url=job.source.url)
        page_sha = hashlib.sha256(page).hexdigest()
        if self.setup.staging is not None:
            # The folder is this build's own until it replaces the output.
            target = self.setup.staging / job.output
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(page)
        else:
            store(self.setup.objects, page_sha, page)
        return Result(record, page_sha, list(self.problems.items),
                      entry=self.entry(record) if job.source.kind == "post" else "")

    def entry(self, record: Record) -> str:
        """Return the post's list item, rendered here, in parallel, rather
        than by the process that renders the lists once every post is done.

        A template error is left for that process, which reports it at the
        line of the list page being rendered.
        """
        try:
            return str(self.renderer.list_entry(record))
        except (jinja2.TemplateError, LookupError):
            return ""

    def record(self, document: Document, key: str) -> Record:
        """Store a Document's bulky parts in the object store; return its Record."""
        objects = self.setup.objects
        html = document.html.encode("utf-8")
        html_sha = hashlib.sha256(html).hexdigest()
        body = self.pack.add(html)

        data = []
        for use in document.widgets:
            if use.data_url:
                sha = hashlib.sha256(use.payload).hexdigest()
                store(objects, sha, use.payload)
                data.append((use.data_url.lstrip("/"), sha))

        content = self.setup.config.content_dir
        depends = {}
        for src, _ in document.files:
            path = document.source.path.parent / src
            if path.is_file():
                relative = os.path.relpath(path, content)
                depends[relative] = hashlib.sha256(path.read_bytes()).hexdigest()

        source = document.source
        return Record(
            key=key, source=source, toc=document.toc, anchors=document.anchors,
            words=document.words, summary=document.summary, links=document.links,
            targets=[resolve(href, source.url) for href, _ in document.links],
            files=document.files, depends=depends, data=data, html_sha=html_sha,
            body=body,
            meta=list_meta(source, document.summary),
            warnings=[p for p in self.problems.items if p.warning],
            uses_assets=self.setup.assets_digest if document.widgets else "",
            html=document.html,
        )


_worker: Worker | None = None
_failed: Exception | None = None  # why this process could not set up a Worker


def _start(setup: Setup) -> None:
    global _worker, _failed
    try:
        _worker = Worker(setup)
    except Exception as error:  # noqa: BLE001 (any error: raised again in _run)
        # Raised here it would kill the worker, and the pool would start
        # another, and another: the build would hang. Each job raises it
        # instead, and so does the build.
        _failed = error
        return
    # Compile the templates while the parent is still reading the sources
    # (see Workers): otherwise each worker compiles them at its first page.
    # Only those a worker renders, and those they extend or include: the
    # lists, the feed and the other pages of the whole site are rendered
    # by the parent, and compiling them too made a clean build of 1,000
    # posts 5 % slower (each worker compiled them while the parent, on the
    # same two cores, read the sources). An error is not raised here,
    # where it would kill the worker (and the pool would start another,
    # and another): the page that uses the template reports it at its line.
    env = _worker.renderer.env
    todo, seen = list(RENDERED_BY_WORKERS), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            env.get_template(name)
            source, _, _ = env.loader.get_source(env, name)
            todo.extend(filter(None, jinja2.meta.find_referenced_templates(
                env.parse(source))))
        except Exception:  # noqa: BLE001 (any error: see above)
            continue


def _run(job: Job) -> Result:
    if _failed is not None:
        raise _failed
    return _worker.run(job)


class Workers:
    """Runs jobs in a pool of forked processes, or here when there are few.

    ``expected``: how many jobs are about to come. When that is enough for
    a pool, the pool starts at once, so that its workers set themselves up
    (templates, the Markdown parser) while this process loads the sources.
    """

    def __init__(self, setup: Setup, processes: int | None = None,
                 expected: int = 0):
        self.setup = setup
        self.processes = processes or os.cpu_count() or 1
        self._pool = None
        if expected >= POOL_THRESHOLD:
            self._start_pool()

    def run(self, jobs: list[Job]) -> Iterator[Result]:
        """Yield one Result per job, in job order."""
        if len(jobs) < POOL_THRESHOLD or self.processes < 2:
            self.close()  # one started for more jobs than came
            worker = Worker(self.setup)
            try:
                yield from (worker.run(job) for job in jobs)
            finally:
                worker.pack.close()
            return

        if self._pool is None:
            self._start_pool()
        # Small chunks for a small site: the last chunk leaves the other
        # worker idle. Twelve paired clean builds of 100 posts took 0.58 s
        # with chunks of 6 against 0.63 s with chunks of 12; 3 gave 0.61 s
        # against 0.62 s for 6. A large site sends 16 posts a time.
        chunk = max(1, min(16, len(jobs) // (self.processes * 16)))
        try:
            yield from self._pool.imap(_run, jobs, chunksize=chunk)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the pool, if one runs."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None

    def _start_pool(self) -> None:
        if self.processes < 2:
            return
        import multiprocessing  # only builds with many jobs pay for importing it

        # fork shares the already imported modules with the workers, which
        # makes the pool start in milliseconds instead of re-importing.
        context = multiprocessing.get_context("fork")
        self._pool = context.Pool(self.processes, initializer=_start,
                                  initargs=(self.setup,))
