"""Parse and render posts, in worker processes when there are many.

A :class:`Job` is one post or page: parse it (unless the cache holds its
Record) and render its own page. Jobs are independent, so they run on
every core: in this process and in forked worker processes, one per core
but this one's. Results come back in job order, which keeps the build
deterministic. Workers put the body HTML (in a pack of their own) and the
widget data into the cache's object store, and the rendered page either
straight into the folder a clean build is staged in or, for a build that
updates the output in place, into the object store. They send back only
the small :class:`~generator.parse.Record`, the page's checksum and, for
a post, its item in the lists of posts.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pickle
import select
import signal
import traceback
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
from generator.load import Source, read_source
from generator.parse import Document, Parser, Record, list_meta
from generator.render import (ENTRY_TEMPLATE, SITE_TEMPLATES, Renderer,
                             reading_minutes)
from generator.templates import create_environment
from precompute.tasks import available

#: Below this many jobs, worker processes cost more than they save.
POOL_THRESHOLD = 48
#: The templates Worker.run renders (the list item is Renderer.list_entry's).
RENDERED_BY_WORKERS = ("post.html", "page.html", ENTRY_TEMPLATE)


@dataclass(frozen=True)
class Setup:
    """What every worker needs: forked with it, never sent."""

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


def read(config: SiteConfig, relative: str) -> tuple[Source | None, list[Problem]]:
    """Read one Markdown source, as the load stage does; return what it found.

    ``relative``: its project-relative name. Workers.read runs this on every
    core for a whole new site, which reads every source.
    """
    problems = Problems(config.root)
    source = read_source(config.root / relative, config.content_dir, problems)
    return source, problems.items


def _warm(worker: Worker, names) -> Iterator[str]:
    """Compile the templates ``names`` in order, each with those it extends
    or includes, in ``worker``'s environment, yielding each name once it is
    compiled.

    A worker process does this while no batch waits for it (see _serve),
    for the templates of its jobs and of the pages about the whole site.
    Jinja keeps what it compiles in the bytecode cache (under .cache/), and
    the process that forked the worker then loads those from there instead
    of compiling them. An error is not raised here: the page that uses the
    template reports it at its line.
    """
    env = worker.renderer.env
    todo, seen = list(reversed(names)), set()
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
        yield name


# -- Worker processes -------------------------------------------------------
#
# The parent sends a forked worker batches of jobs, or of sources to read,
# down one pipe and reads the results back from another, each message a
# pickle after its length.
# multiprocessing's Pool did this before, at a cost a small site noticed:
# importing it took 15-20 ms, starting it as long again, and its three
# threads kept a seventh of a core busy while two workers filled the other
# two. Its workers also left the parent idle, so that a site of 100 posts
# set up three processes' templates and lexers on two cores.

#: The pipe size asked for (Linux's largest without privileges): a batch of
#: 16 jobs, each carrying its post's Markdown, then goes in one write.
PIPE_SIZE = 1 << 20
#: Most jobs in one batch, and most batches a worker holds at once: the
#: second keeps it busy while the parent is in a job of its own. Reading a
#: source costs a tenth of a job, hence larger batches of those.
BATCH, READ_BATCH, AHEAD = 16, 64, 2


#: The first message of a worker, once its Worker exists (it compiles its
#: templates later, between batches: see _serve).
READY = -1
#: Sources from which workers read a share of them (Workers.read). Timed
#: on clean builds, the load stage took 25 ms sharing against 18 alone at
#: 100 posts, 37 against 27 at 200, as long at 400, 109 against 150 at
#: 1,000. A worker fresh from the fork read a source in about 0.8 ms,
#: against 0.2 here (it copies each page it shares with this process the
#: first time it writes to it), and was ready 5-9 ms after the fork.
SHARE_READING_FROM = 400


class RemoteTraceback(Exception):
    """Where in a worker process the error raised here came from."""

    def __str__(self) -> str:
        return self.args[0]


@dataclass
class _Child:
    """A forked worker process and this side of its two pipes."""

    pid: int
    tasks: int  # write end, non-blocking
    results: int  # read end
    unsent: bytes = b""
    batches: int = 0  # sent, not answered yet
    ready: bool = False  # it sent READY


def _framed(message) -> bytes:
    """Return ``message`` as it goes down a pipe: its length, then its pickle."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(8, "little") + data


def _send(fd: int, message) -> None:
    _write(fd, memoryview(_framed(message)))


def _write(fd: int, view: memoryview) -> memoryview:
    """Write what the pipe takes; return the rest (none, if it blocks)."""
    while view:
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:
            break
    return view


def _receive(fd: int):
    """Return the next message, or None when the other side closed the pipe."""
    header = _read(fd, 8, at_start=True)
    return None if header is None else pickle.loads(
        _read(fd, int.from_bytes(header, "little")))


def _read(fd: int, size: int, at_start: bool = False) -> bytes | None:
    """Return ``size`` bytes; None if the pipe closed before a message."""
    parts, left = [], size
    while left:
        part = os.read(fd, min(left, PIPE_SIZE))
        if not part:
            if at_start and left == size:
                return None
            raise EOFError("a pipe closed in the middle of a message")
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _serve(setup: Setup, tasks: int, results: int) -> None:
    """Run batches from ``tasks`` until it closes; never return.

    A worker that cannot be set up answers every batch of jobs with the
    error, as a failing job does: the parent raises it, and the build fails.
    """
    status = 1
    try:
        try:
            worker, failed = Worker(setup), None
        except Exception as error:  # noqa: BLE001 (any: raised in the parent)
            worker, failed = None, error
        _send(results, (READY, [], None))
        # Compile templates one at a time while no batch waits: a batch of
        # sources to read needs none, a batch of jobs compiles its own. First
        # those of the pages the parent renders after the last post, alone:
        # time saved there is saved by the whole build, where the worker's
        # own would only be compiled before its first job instead of in it.
        # At 100 posts the lists then took about 10 ms less (26 against 37).
        warming = (_warm(worker, SITE_TEMPLATES + RENDERED_BY_WORKERS)
                   if worker is not None else None)
        while True:
            if warming is not None and not select.select([tasks], [], [], 0)[0]:
                if next(warming, None) is None:
                    warming = None
                continue
            message = _receive(tasks)
            if message is None:
                break
            first, kind, items = message
            try:
                if kind == "read":
                    done = [read(setup.config, relative) for relative in items]
                elif failed is not None:
                    raise failed
                else:
                    done = [worker.run(job) for job in items]
                _send(results, (first, done, None))
            except Exception as error:  # noqa: BLE001 (as above)
                _send(results, (first, None, _portable(error)))
        if worker is not None:
            worker.pack.close()
        status = 0
    finally:
        # Never back into the parent's code: no atexit, no buffered output
        # written twice, no test runner carrying on in a copy of itself.
        os._exit(status)


def _portable(error: Exception) -> tuple[Exception, str]:
    """Return ``error`` (or its text, if it cannot be pickled) and its traceback."""
    text = "".join(traceback.format_exception(error))
    try:
        pickle.dumps(error)
    except Exception:  # noqa: BLE001 (whatever pickling an error raises)
        error = RuntimeError(f"{type(error).__name__}: {error}")
    return error, text


class Workers:
    """Runs jobs here and in forked worker processes, one per core in all.

    ``expected``: how many jobs are about to come. When that is enough for
    worker processes, they are forked at once, so that they compile
    templates, and on a large site read a share of the sources (see read),
    while this process reads the rest. Below POOL_THRESHOLD jobs, or on one
    core, everything runs here. Either way results come back in job order.
    """

    def __init__(self, setup: Setup, processes: int | None = None,
                 expected: int = 0):
        self.setup = setup
        self.processes = processes or os.cpu_count() or 1
        self._children: list[_Child] = []
        if expected >= POOL_THRESHOLD:
            self._fork()

    def run(self, jobs: list[Job]) -> Iterator[Result]:
        """Yield one Result per job, in job order."""
        if len(jobs) < POOL_THRESHOLD or self.processes < 2:
            self.close()  # forked for more jobs than came
            worker = Worker(self.setup)
            try:
                yield from (worker.run(job) for job in jobs)
            finally:
                worker.pack.close()
            return

        if not self._children:
            self._fork()
        here = Worker(self.setup)
        try:
            yield from self._share("run", jobs, here.run)
        finally:
            here.pack.close()
            self.close()

    def read(self, relatives: list[str]) -> Iterator[tuple[Source | None,
                                                            list[Problem]]]:
        """Yield :func:`read` of each source, in order.

        From SHARE_READING_FROM sources, worker processes that have said
        they are ready read a share: a whole new site reads every source,
        while they would otherwise wait for their first job. Below, this
        process reads them all, and the workers compile templates meanwhile.
        """
        config = self.setup.config
        if len(relatives) < SHARE_READING_FROM or not self._children:
            yield from (read(config, relative) for relative in relatives)
            return
        yield from self._share("read", relatives,
                               lambda relative: read(config, relative))

    def _share(self, kind: str, items: list, here) -> Iterator:
        """Hand out batches of ``items`` to the workers, do one at a time here.

        ``kind`` says what a worker does with each ("run" or "read"), and
        ``here`` does the same in this process. Batches shrink towards the
        end, so that no one waits long for the last; this process checks on
        the workers between its own items.
        """
        most = READ_BATCH if kind == "read" else BATCH
        results: list = [None] * len(items)
        done = [False] * len(items)
        given = returned = 0  # items handed out; results yielded
        while returned < len(items):
            for child in self._children:
                if kind == "read" and not child.ready:
                    continue
                while child.batches < AHEAD and given < len(items):
                    size = max(1, min(most, (len(items) - given)
                                      // (self.processes * 4)))
                    child.unsent += _framed((given, kind,
                                             items[given:given + size]))
                    child.batches += 1
                    given += size
            # Wait for a worker only when nothing is left to do here.
            self._exchange(results, done, wait=given >= len(items)
                           and not done[returned])
            if given < len(items):
                results[given] = here(items[given])
                done[given] = True
                given += 1
            while returned < len(items) and done[returned]:
                yield results[returned]
                results[returned] = None
                returned += 1

    def _exchange(self, results, done, wait: bool) -> None:
        """Send what the pipes take and collect the finished batches."""
        for child in self._children:
            if child.unsent:
                child.unsent = bytes(_write(child.tasks, memoryview(child.unsent)))
        readable, _, _ = select.select(
            [child.results for child in self._children
             if child.batches or not child.ready],
            [child.tasks for child in self._children if child.unsent], [],
            None if wait else 0)
        for child in self._children:
            if child.results in readable:
                message = _receive(child.results)
                if message is None:
                    raise RuntimeError(f"build worker {child.pid} stopped before "
                                       f"finishing its jobs ({self._reap(child)})")
                first, batch, failure = message
                if first == READY:
                    child.ready = True
                    continue
                if failure is not None:
                    error, text = failure
                    raise error from RemoteTraceback(text)
                results[first:first + len(batch)] = batch
                done[first:first + len(batch)] = [True] * len(batch)
                child.batches -= 1

    def close(self) -> None:
        """Stop the worker processes, if any run."""
        children, self._children = self._children, []
        for child in children:
            os.close(child.tasks)  # at a batch's end, a worker sees the pipe close
            os.close(child.results)
            if child.batches:  # busy: it was left with jobs no one wants
                os.kill(child.pid, signal.SIGKILL)
        for child in children:
            self._reap(child)

    def _reap(self, child: _Child) -> str:
        """Wait for ``child`` to end; return how it ended."""
        try:
            _, status = os.waitpid(child.pid, 0)
        except ChildProcessError:
            return "already reaped"
        if os.WIFSIGNALED(status):
            return f"killed by signal {os.WTERMSIG(status)}"
        return f"exit status {os.waitstatus_to_exitcode(status)}"

    def _fork(self) -> None:
        """Start one worker process for each core but this process's.

        Known gap: ``probable serve`` forks while its file watchers' threads
        run, as multiprocessing's fork start did before. The worker runs
        only the build's own code, and it has worked so far; but Python
        3.12 warns about forking with threads (a DeprecationWarning), and a
        port to 3.12 should look at starting workers another way.
        """
        if self.processes < 2:
            return
        ends = []
        try:
            for _ in range(self.processes - 1):
                tasks_read, tasks_write = os.pipe()
                results_read, results_write = os.pipe()
                for fd in (tasks_write, results_write):
                    # Linux only; elsewhere, or capped lower, batches of jobs
                    # just take more than one write.
                    with contextlib.suppress(OSError, AttributeError):
                        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
                pid = os.fork()
                if pid == 0:
                    # The pipes of the workers forked before this one, and
                    # this side of its own, would keep them open for ever.
                    for fd in ends + [tasks_write, results_read]:
                        os.close(fd)
                    _serve(self.setup, tasks_read, results_write)
                os.close(tasks_read)
                os.close(results_write)
                os.set_blocking(tasks_write, False)
                self._children.append(_Child(pid, tasks_write, results_read))
                ends += [tasks_write, results_read]
        except BaseException:
            self.close()
            raise
