"""Stage 2: turn each Source into a Document: HTML, table of contents, widgets.

In: a :class:`~generator.load.Source`. Out: a :class:`Document` holding the
post's HTML (widgets already rendered to their default state from their
data), its ``##`` headings for the table of contents, its word count, and
the links and files the write stage must check and copy.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import re
from dataclasses import dataclass, field

import jinja2
from markupsafe import Markup

from generator import highlight, markdown
from generator.config import SiteConfig
from generator.errors import Problems
from generator.load import Source
from generator.markdown import RenderState, create_markdown, render
from generator.widgets import WidgetError, WidgetUse, load_fresh, make_use
from precompute.tasks import Widget

TAG_RE = re.compile(r"<[^>]+>")
FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
#: An id attribute; a literal start keeps the scan fast, and
#: :func:`_ids` checks that the attribute is not the end of ``data-id``.
ID_ATTR = re.compile(r'id="([^"]+)"')


@dataclass
class Document:
    """A rendered Markdown file and what the later stages need of it."""

    source: Source
    html: str
    toc: list[tuple[str, str]]  # (anchor id, text) of each ## heading
    anchors: set[str]  # every id in the body, for #anchor checks
    words: int
    summary: str  # front matter summary, or the first paragraph as text
    widgets: list[WidgetUse] = field(default_factory=list)
    links: list[tuple[str, int]] = field(default_factory=list)  # href, line
    files: list[tuple[str, int]] = field(default_factory=list)  # src, line


#: The widget blocks the last Parser of this process rendered without a
#: problem: (key, slug, kind, options, line, number) -> (WidgetUse, markup).
#: ``probable serve`` parses an edited post again and again; checking its
#: widgets' options, loading their data and rendering their markup was most
#: of that (20 of 40 ms for the distillation post), and the prose around
#: them is what changes.
_last_widgets: dict[tuple, tuple[WidgetUse, str]] = {}


class Parser:
    """Render Sources with one Markdown instance and the widget registry."""

    def __init__(self, config: SiteConfig, widgets: dict[str, Widget],
                 env: jinja2.Environment, manifest: dict, problems: Problems):
        global _last_widgets
        self.config = config
        self.widgets = widgets
        self.env = env
        self.manifest = manifest
        self.problems = problems
        self.md = create_markdown()
        highlight.use_folder(config.cache_dir / "highlight")
        # Blocks are reused from the last Parser only; what this one does not
        # render again is let go with it.
        self._earlier_widgets, self._widgets = _last_widgets, {}
        _last_widgets = self._widgets

    def parse(self, source: Source, widgets_key: str = "") -> Document:
        """Render one Source to a Document.

        ``widgets_key`` is a checksum over everything a widget block's markup
        depends on besides the block itself: the code, the widget templates,
        site.toml, the model manifest, the asset URLs and the post's widget
        data. With it, a block rendered by the last Parser is reused.
        """
        uses: list[WidgetUse] = []
        counts: dict[str, int] = {}

        def widget_hook(kind: str, body: str, line: int, state: RenderState) -> str:
            counts[kind] = counts.get(kind, 0) + 1
            key = (widgets_key, source.slug, kind, body, line, counts[kind])
            found = self._earlier_widgets.get(key) if widgets_key else None
            if found is None:
                before = len(self.problems.items)
                use = self.widget_use(source, kind, body, line, counts[kind])
                if use is None:
                    return ""
                markup = self.render_widget(source, use)
                if widgets_key and len(self.problems.items) == before:
                    found = (use, markup)
            else:
                use, markup = found
            if found is not None:
                self._widgets[key] = found
            if any(u.id == use.id for u in uses):
                self.problems.add(source.path, line, f"widget id '{use.id}' is "
                                  "used twice in this post; give one an 'id:'")
            uses.append(use)
            return markup

        state = RenderState(
            path=source.path,
            line_offset=source.body_line,
            problems=self.problems,
            widget_kinds=frozenset(self.widgets),
            widget_hook=widget_hook,
        )
        body = render(self.md, source.body, state)
        anchors = _ids(body)
        return Document(
            source=source,
            html=body,
            toc=[(anchor, title) for level, anchor, title in state.headings
                 if level == 2],
            anchors=anchors,
            # Words as wc -w and Hugo count them: runs of non-space in the
            # text. Five times cheaper than a \w+ scan of the unescaped text.
            words=len(TAG_RE.sub(" ", body).split()),
            summary=source.summary or _first_paragraph(body),
            widgets=uses,
            links=state.links,
            files=state.files,
        )

    def widget_use(self, source: Source, kind: str, body: str, line: int,
                   number: int, require_data: bool = True) -> WidgetUse | None:
        """Check one widget block; with ``require_data``, insist on fresh data."""
        try:
            use, errors = make_use(self.widgets[kind], body, line, source.slug,
                                   number, self.config.model,
                                   self.config.data_dir, self.manifest)
        except WidgetError as error:
            self.problems.add(source.path, error.line, str(error))
            return None
        for error in errors:
            self.problems.add(source.path, error.line, str(error))
        if errors:
            return None
        if not require_data:
            return use

        status = load_fresh(use)
        if status != "fresh":
            reason = ("has no data yet" if status == "missing" else
                      "has stale data (its options, model or code changed)")
            self.problems.add(source.path, line, f"widget '{use.id}' {reason}; run "
                              "'probable precompute' and commit data/")
            return None
        return use

    def render_widget(self, source: Source, use: WidgetUse) -> str:
        """Render a widget's default state inside its wrapper element."""
        name = f"widgets/{use.kind}.html"
        if use.stored is not None:
            use.payload = widget_payload_json(use)
            digest = hashlib.sha256(use.payload).hexdigest()[:10]
            use.data_url = f"/data/{use.slug}/{use.id}.{digest}.json"
        try:
            inner = self.env.get_template(name).render(widget=use)
            wrapper = self.env.get_template("widgets/_wrapper.html")
            return wrapper.render(widget=use, inner=Markup(inner))
        except jinja2.TemplateSyntaxError as error:
            self.problems.add(error.filename or name, error.lineno,
                              f"template error: {error.message}")
        except jinja2.TemplateError as error:
            self.problems.add(self.config.templates_dir / name, 0,
                              f"template error while rendering widget '{use.id}' "
                              f"of {self.problems.relative(source.path)}:{use.line}:"
                              f" {error}")
        return ""


def _first_paragraph(body: str) -> str:
    match = FIRST_PARAGRAPH.search(body)
    if not match:
        return ""
    return " ".join(html.unescape(TAG_RE.sub("", match.group(1))).split())


def _ids(body: str) -> set[str]:
    """Return the values of every ``id`` attribute in ``body``."""
    return {match.group(1) for match in ID_ATTR.finditer(body)
            if body[match.start() - 1] in " \t\n"}


def widget_payload_json(use: WidgetUse) -> bytes:
    """Return the JSON the browser fetches for ``use`` (the payload only)."""
    return json.dumps(use.data, separators=(",", ":"), ensure_ascii=False,
                      sort_keys=True).encode()



def find_widget_uses(parser: Parser, source: Source) -> list[WidgetUse]:
    """Return the widget blocks of ``source`` in page order, without their data.

    Numbering matches :meth:`Parser.parse`, which meets the blocks in the
    same order, so both name a block's data file alike.
    """
    uses = []
    counts: dict[str, int] = {}
    for info, content, line in markdown.fences(parser.md, source.body):
        kind = info.strip().split(maxsplit=1)[0] if info.strip() else ""
        if kind not in parser.widgets:
            continue
        counts[kind] = counts.get(kind, 0) + 1
        use = parser.widget_use(source, kind, content, line + source.body_line - 1,
                                counts[kind], require_data=False)
        if use is not None:
            uses.append(use)
    return uses


@dataclass
class Record:
    """What later stages and later builds need of a parsed Document.

    Records are what the build cache keeps between builds. The body HTML is
    stored once in a pack of the cache's object store (``body``) and only
    loaded into ``html`` when a page or the feed needs it.
    """

    key: str  # parse key: changes whenever anything the parse read changes
    source: Source
    toc: list[tuple[str, str]]
    anchors: set[str]
    words: int
    summary: str
    links: list[tuple[str, int]]  # (href, line)
    targets: list  # where each link leads (links.resolve): None if external
    files: list[tuple[str, int]]
    depends: dict[str, str]  # content file -> sha256 of each file the HTML uses
    data: list[tuple[str, str]]  # (public path, sha256) of each widget's data
    html_sha: str  # what the body HTML is
    body: tuple[str, int, int]  # where it is: (pack, offset, length)
    meta: str  # sha256 over what list pages show of the post
    warnings: list = field(default_factory=list)
    uses_assets: str = ""  # asset map digest, when widget markup embeds URLs
    html: str = field(default="", compare=False)

    def __getstate__(self):
        # Neither the HTML nor the Markdown travels: a reused Record is never
        # parsed again (a changed source is read afresh), and dropping the
        # body shrinks the cache tenfold, which is most of what a one-edit
        # rebuild spends reading and writing it.
        state = dict(self.__dict__)
        state["html"] = ""
        state["source"] = dataclasses.replace(self.source, body="")
        return state


def list_meta(source: Source, summary: str) -> str:
    """Return a digest of what list pages and neighbours show of a post."""
    hero = sorted(source.hero.items()) if source.hero else ""
    parts = (source.url, source.title, source.date, source.updated, summary,
             source.tags, source.authors, hero, source.draft)
    return hashlib.sha256(repr(parts).encode()).hexdigest()
