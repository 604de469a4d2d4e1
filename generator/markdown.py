"""The Markdown dialect of Probable: CommonMark plus what articles need.

On top of CommonMark it adds tables, strikethrough, footnotes, ``{#id .class
key=value}`` attributes, heading ids, callouts (``::: note``, ``::: key``,
``::: warning``), figures (an image alone in a paragraph, with a title as its
caption), ``<video>`` (an "image" whose file is a video; ``{poster=still.jpg}``
sets the poster), math (``$...$`` and ``$$...$$``, rendered to MathML here),
fenced code highlighted by Pygments, and widgets (a fenced block whose info
string names a widget kind).

Parsing is markdown-it-pyrs, the Rust port of markdown-it: it builds the
syntax tree about fifteen times faster than markdown-it-py, and Markdown
parsing was most of a clean build. It takes no Python plugins, so the HTML is
ours (:class:`_Writer` walks the tree, writing what markdown-it-py writes for
the same CommonMark) and two extensions are prepared in the source before it
parses (:func:`_prepare`): a callout's fences and a display-math block become
HTML comments, which CommonMark keeps as they are and which interrupt a
paragraph, and inline math becomes a placeholder of private-use characters,
so that ``_`` or ``*`` in LaTeX never turn into emphasis. Every line stays
where it was, so the tree's positions still name the author's lines.

Rendering reports problems through :class:`RenderState`, which also collects
what later stages need: headings, links, and files to copy.
"""

from __future__ import annotations

import bisect
import difflib
import html
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import markdown_it_pyrs

from generator.errors import Problems
from generator.highlight import has_lexer, highlighted
from generator.mathml import MathError, to_mathml

CALLOUTS = {"note": "Note", "key": "Key point", "warning": "Warning"}
VIDEO_TYPES = {".mp4": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg"}
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)

#: ``widget_hook(kind, body, line, state)`` returns the widget's HTML.
WidgetHook = Callable[[str, str, int, "RenderState"], str]


@dataclass
class RenderState:
    """Per-document state the writer fills in while it renders."""

    path: Path  # the Markdown file, for error messages
    line_offset: int  # add to a line of the body to get the file's line
    problems: Problems
    widget_kinds: frozenset[str]  # fence info strings that are widgets
    widget_hook: WidgetHook | None = None
    # (level, id, text) of every heading, for the table of contents
    headings: list[tuple[int, str, str]] = field(default_factory=list)
    links: list[tuple[str, int]] = field(default_factory=list)  # href, line
    files: list[tuple[str, int]] = field(default_factory=list)  # relative src, line

    def error(self, line: int, message: str) -> None:
        """Record an error at ``line`` of the body (1-based)."""
        self.problems.add(self.path, line + self.line_offset - 1, message)

    def warn(self, line: int, message: str) -> None:
        """Record a warning at ``line`` of the body (1-based)."""
        self.problems.warn(self.path, line + self.line_offset - 1, message)


class Markdown:
    """The parser, set up once per process: tables, strikethrough, footnotes."""

    def __init__(self):
        self.parser = markdown_it_pyrs.MarkdownIt("commonmark").enable_many(
            ["table", "strikethrough", "footnote"])


def create_markdown() -> Markdown:
    """Return the Markdown parser every render shares."""
    return Markdown()


def render(md: Markdown, text: str, state: RenderState) -> str:
    """Render Markdown ``text`` to HTML, recording problems in ``state``."""
    prepared = _prepare(md, text, state)
    return _Writer(md.parser.tree(prepared.text), prepared, state).document()


def fences(md: Markdown, text: str) -> list[tuple[str, str, int]]:
    """Return ``(info, content, line)`` of every fenced block, in page order.

    ``line`` is 1-based within ``text``; :func:`render` meets the same blocks
    in the same order.
    """
    newlines = [m.start() for m in re.finditer(rb"\n", text.encode())]
    return [(node.meta.get("info", ""), node.meta["content"],
             bisect.bisect(newlines, node.srcmap[0]) + 1)
            for node in md.parser.tree(text).walk() if node.name == "fence"]


# -- Preparing the source -------------------------------------------------

#: Private-use characters around the number of an inline formula. Authors
#: do not type them, and CommonMark treats them as letters.
INLINE, DISPLAY, CLOSE = "\ue000", "\ue001", "\ue002"
PLACEHOLDER = re.compile("([\ue000\ue001])(\\d+)\ue002")
#: The HTML comments that stand for a callout fence and a display formula.
COMMENT = re.compile("<!--\ue003(callout|end|math) ?(\\d*)")

CALLOUT_FENCE = re.compile(rb"^( {0,3}):::+[ \t]*(.*?)[ \t]*$")
DISPLAY_START = re.compile(rb"^( {0,3})\$\$")
#: ``$$...$$`` or ``$...$`` in running text. The single form follows Pandoc:
#: no space inside the dollars and no digit after the closing one, so
#: "costs $5 and $10" stays text. Neither form crosses a blank line.
INLINE_MATH = re.compile(
    rb"(?<!\\)\$\$((?:[^$\\\n]|\\.|\n(?![ \t]*\n))+?)\$\$"
    rb"|(?<![\\$])\$(?![\s$])((?:[^$\\\n]|\\.|\n(?![ \t]*\n))*?[^\s\\$])\$(?![\d$])",
    re.DOTALL,
)
#: Tree nodes whose text is literal: nothing in them is math or a callout.
LITERAL = frozenset({"fence", "code_block", "code_inline", "html_block",
                     "html_inline", "autolink"})


@dataclass
class Prepared:
    """The source as the parser sees it, and what was taken out of it."""

    text: str
    math: list[tuple[str, int]]  # (LaTeX, line)
    callouts: list[tuple[str, str, int]]  # (kind, title, line)


def _prepare(md: Markdown, text: str, state: RenderState) -> Prepared:
    """Replace callout fences and math by what the parser leaves alone.

    Two passes, each after a parse that says where code, raw HTML and
    autolinks are (their dollars and colons are literal): first the lines
    that open or close a block (callout fences, display math), then inline
    math. The second pass needs the first one's result: a callout fence that
    was paragraph text can turn the next indented line into code.
    """
    prepared = Prepared(text, [], [])
    if ":::" in text or "$$" in text:
        source, masked = _masked(md, prepared.text)
        edits = _block_edits(source, masked, prepared, state)
        prepared.text = _apply(source, edits)
    if "$" in prepared.text:
        source, masked = _masked(md, prepared.text)
        prepared.text = _apply(source, _inline_math_edits(source, masked, prepared))
    return prepared


def _masked(md: Markdown, text: str) -> tuple[bytes, bytes]:
    """Return ``text`` as bytes, and a copy with its literal parts blanked."""
    source = text.encode()
    masked = bytearray(source)
    for node in md.parser.tree(text).walk():
        if node.name in LITERAL and node.srcmap:
            start, end = node.srcmap
            masked[start:end] = re.sub(rb"[^\n]", b"\x01", source[start:end])
    return source, bytes(masked)


def _apply(source: bytes, edits: list[tuple[int, int, bytes]]) -> str:
    """Return ``source`` with each ``(start, end, replacement)`` made."""
    pieces, last = [], 0
    for start, end, replacement in sorted(edits):
        pieces += [source[last:start], replacement]
        last = end
    pieces.append(source[last:])
    return b"".join(pieces).decode()


def _block_edits(source: bytes, masked: bytes, prepared: Prepared,
                 state: RenderState) -> list[tuple[int, int, bytes]]:
    """Return the edits that turn callout fences and display math into comments."""
    edits: list[tuple[int, int, bytes]] = []
    lines = masked.split(b"\n")
    offset = 0
    number = 0
    while number < len(lines):
        line = lines[number]
        fence = (CALLOUT_FENCE.match(line)
                 if line.lstrip(b" ").startswith(b":::") else None)
        display = DISPLAY_START.match(line)
        if fence:
            edits.append(_callout_edit(fence, offset, number + 1, prepared, state))
        elif display:
            end = _display_end(lines, number, display.end())
            if end is None:
                state.error(number + 1, "display math opened with '$$' is never "
                            "closed; end it with '$$' at the end of a line")
            else:
                edits.extend(_display_edits(source, lines, number, end,
                                            offset, prepared))
                offset += sum(len(lines[i]) + 1 for i in range(number, end + 1))
                number = end + 1
                continue
        offset += len(line) + 1
        number += 1
    return edits


def _inline_math_edits(source: bytes, masked: bytes, prepared: Prepared
                       ) -> list[tuple[int, int, bytes]]:
    """Return the edits that turn inline math into placeholders."""
    edits = []
    newlines = [m.start() for m in re.finditer(rb"\n", source)]
    for match in INLINE_MATH.finditer(masked):
        start, end = match.span()
        display = match.group(1) is not None
        latex = (match.group(1) if display else match.group(2)).decode()
        marker = DISPLAY if display else INLINE
        prepared.math.append((latex, bisect.bisect(newlines, start) + 1))
        placeholder = f"{marker}{len(prepared.math) - 1}{CLOSE}"
        # Keep the lines: a formula that spans two ends with a line break.
        edits.append((start, end, placeholder.encode() + b"\n" * latex.count("\n")))
    return edits


def _callout_edit(fence: re.Match, offset: int, line: int, prepared: Prepared,
                  state: RenderState) -> tuple[int, int, bytes]:
    """Return the edit that turns a ``:::`` line into a callout comment."""
    indent, params = fence.group(1), fence.group(2).decode()
    name, _, title = params.partition(" ")
    if not name:
        return offset, offset + fence.end(), indent + "<!--\ue003end-->".encode()
    if name not in CALLOUTS:
        state.error(line, f"unknown callout '{name}'; callouts are "
                    f"{', '.join(CALLOUTS)} (write '::: note')")
        name = "note"  # so that its closing ':::' is not reported too
    prepared.callouts.append((name, title.strip(), line))
    comment = f"<!--\ue003callout {len(prepared.callouts) - 1}-->"
    return offset, offset + fence.end(), indent + comment.encode()


def _display_end(lines: list[bytes], first: int, after: int) -> int | None:
    """Return the number of the line that closes display math, if one does."""
    rest = lines[first][after:].rstrip()
    if rest.endswith(b"$$"):
        return first
    for number in range(first + 1, len(lines)):
        if lines[number].rstrip().endswith(b"$$"):
            return number
    return None


def _display_edits(source: bytes, lines: list[bytes], first: int, last: int,
                   offset: int, prepared: Prepared) -> list[tuple[int, int, bytes]]:
    """Return edits that turn lines ``first`` to ``last`` into one comment."""
    block = source[offset:offset + sum(len(lines[i]) + 1
                                       for i in range(first, last + 1)) - 1]
    indent = DISPLAY_START.match(lines[first]).group(1)
    latex = block.strip()[2:-2].decode()
    prepared.math.append((latex, first + 1))
    comment = f"<!--\ue003math {len(prepared.math) - 1}".encode()
    # Each line keeps its indent, so a formula inside a list item stays there.
    kept = [indent + comment] + [re.match(rb"[ \t]*", lines[i]).group()
                                 for i in range(first + 1, last + 1)]
    kept[-1] += b"-->"
    return [(offset, offset + len(block), b"\n".join(kept))]


# -- Writing HTML ---------------------------------------------------------

ATTRS = re.compile(r"\{([^{}\n]*)\}")
#: One part of ``{...}``: ``#id``, ``.class`` or ``key=value`` (maybe quoted).
ATTR_PART = re.compile(
    r"""\s*(?:#([\w-]+)|\.([\w-]+)|([\w-]+)=("[^"]*"|'[^']*'|[^\s"'}]+))""")
HEADING_ATTRS = re.compile(r"\s*\{((?:\s*[#.][\w-]+)+)\s*\}\s*$")
INLINE_NODES = frozenset({"text", "text_special", "softbreak", "hardbreak", "em",
                          "strong", "strikethrough", "code_inline", "link",
                          "autolink", "image", "html_inline", "footnote_ref",
                          "footnote_ref_anchor"})
BLOCK_TAGS = {"blockquote": "blockquote", "thead": "thead", "tbody": "tbody",
              "trow": "tr"}
INLINE_TAGS = {"em": "em", "strong": "strong", "strikethrough": "s"}


def _escape(text: str) -> str:
    """Escape text as markdown-it does: ``&``, ``<``, ``>`` and ``"``."""
    return (text.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def _parse_attrs(text: str) -> dict[str, str] | None:
    """Return the attributes of ``{#id .class key=value}``, or None."""
    attrs: dict[str, str] = {}
    position = 0
    while position < len(text):
        part = ATTR_PART.match(text, position)
        if part is None or part.end() == position:
            return None if text[position:].strip() else attrs
        position = part.end()
        id_, class_, key, value = part.groups()
        if id_:
            attrs["id"] = id_
        elif class_:
            attrs["class"] = (f"{attrs['class']} {class_}" if "class" in attrs
                              else class_)
        else:
            attrs[key] = value.strip("\"'")
    return attrs


def _attr_html(attrs: dict[str, str]) -> str:
    return "".join(f' {name}="{_escape(value)}"' for name, value in attrs.items())


def _slug(title: str) -> str:
    """Return a heading id as GitHub makes one: lower case, dashes, no marks."""
    return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", title.lower().replace(" ", "-"))


class _Writer:
    """Write one document's tree as HTML, in markdown-it's conventions."""

    def __init__(self, tree, prepared: Prepared, state: RenderState):
        self.tree = tree
        self.prepared = prepared
        self.state = state
        self.out: list[str] = []
        self.newlines = [m.start() for m in re.finditer(rb"\n", prepared.text.encode())]
        # Headings get their ids at the end: an explicit {#id} anywhere in the
        # document is reserved before any id is made from a heading's text.
        self.headings: list[tuple[int, int, str | None, str, str]] = []
        self.footnotes: dict[str, int] = {}  # label -> number, in order of use
        self.references: dict[str, int] = {}  # label -> times referenced

    def document(self) -> str:
        self.blocks(self.tree.children)
        self._assign_heading_ids()
        return "".join(self.out)

    def line(self, node) -> int:
        """Return the body line (1-based) where ``node`` starts."""
        srcmap = node.srcmap
        return bisect.bisect(self.newlines, srcmap[0]) + 1 if srcmap else 1

    # -- Blocks

    def blocks(self, nodes) -> None:
        """Write sibling blocks: callouts, block attributes, tight-list text."""
        attrs: dict[str, str] = {}
        attrs_paragraph = None  # the ``{...}`` paragraph that set ``attrs``
        after_text = False
        index = 0
        while index < len(nodes):
            node = nodes[index]
            index += 1
            name = node.name
            if name in INLINE_NODES:  # a tight list item's hidden paragraph
                run = [node]
                while index < len(nodes) and nodes[index].name in INLINE_NODES:
                    run.append(nodes[index])
                    index += 1
                self.inline(run)
                after_text = True
                continue
            if after_text:
                self.out.append("\n")
                after_text = False
            marker = (COMMENT.match(node.meta["content"].lstrip())
                      if name == "html_block" else None)
            if marker:
                kind, number = marker.groups()
                if kind == "math":
                    latex, line = self.prepared.math[int(number)]
                    self.out.append(f'<div class="math">{self.math(latex, line, True)}'
                                    "</div>\n")
                elif kind == "end":
                    self.state.error(self.line(node), "':::' closes no callout; "
                                     "remove it or open one with '::: note' (callouts "
                                     "start at the margin, outside lists and quotes)")
                else:
                    index = self.callout(nodes, index, int(number))
                continue
            if name == "paragraph" and (block := self.block_attrs(node)) is not None:
                attrs.update(block)
                attrs_paragraph = node
                continue
            self.block(node, attrs)
            attrs, attrs_paragraph = {}, None
        if attrs_paragraph is not None:  # no block follows: it was text after all
            self.paragraph(attrs_paragraph, {})

    def callout(self, nodes, index: int, number: int) -> int:
        """Write the callout opened before ``nodes[index]``; return where it ends."""
        kind, title, line = self.prepared.callouts[number]
        depth, end = 1, index
        while end < len(nodes):
            marker = (COMMENT.match(nodes[end].meta["content"].lstrip())
                      if nodes[end].name == "html_block" else None)
            if marker and marker.group(1) == "callout":
                depth += 1
            elif marker and marker.group(1) == "end":
                depth -= 1
                if depth == 0:
                    break
            end += 1
        if end == len(nodes):
            self.state.warn(line, f"'::: {kind}' is never closed; end the callout "
                            "with a line of ':::'")
        label = html.escape(title or CALLOUTS[kind])
        self.out.append(f'<aside class="callout callout--{kind}">'
                        f'<p class="callout__title">{label}</p>'
                        '<div class="callout__body">\n')
        self.blocks(nodes[index:end])
        self.out.append("</div></aside>\n")
        return end + 1

    def block_attrs(self, paragraph, first_only: bool = False) -> dict[str, str] | None:
        """Return the attributes if ``paragraph`` (or its first line) is ``{...}``."""
        children = paragraph.children
        if not children or children[0].name != "text" or (
                len(children) != 1 and not first_only):
            return None
        content = children[0].meta["content"]
        match = ATTRS.fullmatch(content.strip())
        return (_parse_attrs(match.group(1)) or None) if match else None

    def block(self, node, attrs: dict[str, str]) -> None:
        name = node.name
        out = self.out
        if name == "paragraph":
            self.paragraph(node, attrs)
        elif name in ("heading", "lheading"):
            self.heading(node, attrs)
        elif name == "fence":
            self.fence(node)
        elif name == "code_block":
            out.append(self.highlight(node.meta["content"], "", self.line(node)))
        elif name in ("bullet_list", "ordered_list"):
            tag = "ul" if name == "bullet_list" else "ol"
            start = node.meta.get("start", 1) if tag == "ol" else 1
            if start != 1:
                attrs = {"start": str(start), **attrs}
            out.append(f"<{tag}{_attr_html(attrs)}>\n")
            for item in node.children:
                self.list_item(item)
            out.append(f"</{tag}>\n")
        elif name in BLOCK_TAGS:
            tag = BLOCK_TAGS[name]
            out.append(f"<{tag}{_attr_html(attrs)}>\n")
            self.blocks(node.children)
            out.append(f"</{tag}>\n")
        elif name == "table":
            self.table(node, attrs)
        elif name == "hr":
            out.append(f"<hr{_attr_html(attrs)}>\n")
        elif name == "html_block":
            out.append(node.meta["content"])
        elif name == "footnote_container":
            self.footnote_section(node)
        elif name != "definition":  # link reference definitions print nothing
            raise ValueError(f"the Markdown writer has no rule for '{name}' nodes")

    def paragraph(self, node, attrs: dict[str, str], tail: str = "") -> None:
        children = node.children
        if (len(children) > 2 and children[1].name == "softbreak"
                and (own := self.block_attrs(node, first_only=True)) is not None):
            attrs, children = {**attrs, **own}, children[2:]  # {...} on its first line
        if self.is_figure(children):
            self.out.append(f"<figure{_attr_html(attrs)}>\n")
            self.inline(children, figure=True)
            self.out.append("</figure>\n")
            return
        self.out.append(f"<p{_attr_html(attrs)}>")
        self.inline(children)
        self.out.append(f"{tail}</p>\n")

    def is_figure(self, children) -> bool:
        """Say whether a paragraph is one titled image or one video."""
        if not children or children[0].name != "image":
            return False
        for rest in children[1:]:
            if rest.name == "softbreak":
                continue
            if rest.name != "text":
                return False
            if self.leading_attrs(rest.meta["content"])[1].strip():
                return False
        image = children[0]
        url = image.meta.get("url", "")
        return bool(image.meta.get("title")) or (
            os.path.splitext(url)[1].lower() in VIDEO_TYPES)

    def heading(self, node, attrs: dict[str, str]) -> None:
        level = node.meta["level"]
        children = list(node.children)
        last_text = None
        if children and children[-1].name == "text":
            content = children[-1].meta["content"]
            match = HEADING_ATTRS.search(content)
            if match:
                attrs = {**attrs, **(_parse_attrs(match.group(1)) or {})}
                last_text = content[: match.start()]
        self.out.append(f"<h{level}")
        slot = len(self.out)
        self.out.append("")  # the id attribute, filled in at the end
        rest = {k: v for k, v in attrs.items() if k != "id"}
        self.out.append(f"{_attr_html(rest)}>")
        self.inline(children, last_text=last_text)
        title = "".join(self.plain(children, last_text, math=False))
        toc = "".join(self.plain(children, last_text, math=True))
        self.out.append(f"</h{level}>\n")
        self.headings.append((slot, level, attrs.get("id"), title, toc))

    def _assign_heading_ids(self) -> None:
        taken = {explicit for _, _, explicit, _, _ in self.headings if explicit}
        for slot, level, explicit, title, toc in self.headings:
            ident = explicit
            if not ident and 2 <= level <= 4:
                ident = slug = _slug(title)
                suffix = 1
                while ident in taken:
                    ident = f"{slug}-{suffix}"
                    suffix += 1
                taken.add(ident)
            if ident:
                self.out[slot] = f' id="{_escape(ident)}"'
            self.state.headings.append((level, ident or "", toc))

    def plain(self, nodes, last_text: str | None = None, math: bool = True):
        """Yield the text of inline ``nodes``, as a heading's id is made from."""
        for index, node in enumerate(nodes):
            name = node.name
            if name in ("text", "text_special"):
                content = node.meta["content"]
                if last_text is not None and index == len(nodes) - 1:
                    content = last_text
                yield PLACEHOLDER.sub(
                    lambda m: self.prepared.math[int(m.group(2))][0] if math else "",
                    content)
            elif name in ("code_inline", "em", "strong", "strikethrough", "link"):
                yield from self.plain(node.children, math=math)

    def list_item(self, item) -> None:
        children = item.children
        # A loose item's first child is a block and starts on its own line;
        # a tight item's text follows <li> directly.
        opens_block = bool(children) and children[0].name not in INLINE_NODES
        self.out.append("<li>\n" if opens_block else "<li>")
        self.blocks(children)
        self.out.append("</li>\n")

    def fence(self, node) -> None:
        meta = node.meta
        info = meta.get("info", "").strip()
        lang = info.split(maxsplit=1)[0] if info else ""
        line = self.line(node)
        state = self.state
        if lang in state.widget_kinds and state.widget_hook is not None:
            self.out.append(state.widget_hook(lang, meta["content"],
                                              line + state.line_offset - 1, state))
            return
        self.out.append(self.highlight(meta["content"], lang, line))

    def highlight(self, code: str, lang: str, line: int) -> str:
        state = self.state
        if not has_lexer(lang):
            close = difflib.get_close_matches(lang, sorted(state.widget_kinds), n=1)
            if close:
                state.error(line, f"unknown widget '{lang}'; "
                            f"did you mean '{close[0]}'? "
                            f"Widgets are: {', '.join(sorted(state.widget_kinds))}")
            else:
                state.warn(line, f"no syntax highlighting for language '{lang}'; "
                           "use a Pygments lexer name such as python, bash or json")
            lang = "text"
        return highlighted(code, lang)

    def table(self, node, attrs: dict[str, str]) -> None:
        # The wrapper scrolls wide tables on phones; tabindex lets keyboard
        # users scroll it too. Alignment becomes a class: the site's CSP
        # forbids style attributes.
        out = self.out
        aligns = node.meta.get("alignments", [])
        out.append('<div class="table-wrap" tabindex="0">\n'
                   f"<table{_attr_html(attrs)}>\n")
        for section in node.children:
            cell_tag = "th" if section.name == "thead" else "td"
            out.append(f"<{BLOCK_TAGS[section.name]}>\n")
            for row in section.children:
                out.append("<tr>\n")
                for column, cell in enumerate(row.children):
                    align = aligns[column] if column < len(aligns) else "none"
                    klass = f' class="align-{align}"' if align != "none" else ""
                    out.append(f"<{cell_tag}{klass}>")
                    self.inline(cell.children)
                    out.append(f"</{cell_tag}>\n")
                out.append("</tr>\n")
            out.append(f"</{BLOCK_TAGS[section.name]}>\n")
        out.append("</table>\n</div>\n")

    def footnote_section(self, node) -> None:
        definitions = sorted(
            (self.footnotes[d.meta["label"]], d) for d in node.children
            if d.meta.get("label") in self.footnotes)
        if not definitions:
            return
        # A heading gives the section a name for screen readers and the checker.
        self.out.append('<hr class="footnotes-sep">\n<section class="footnotes" '
                        'aria-labelledby="footnotes-title">\n'
                        '<h2 id="footnotes-title" class="footnotes__title">Notes</h2>\n'
                        '<ol class="footnotes-list">\n')
        for number, definition in definitions:
            label = definition.meta["label"]
            backrefs = "".join(
                f' <a href="#fnref{number}{f":{j}" if j else ""}" '
                'class="footnote-backref">\u21a9\ufe0e</a>'
                for j in range(self.references[label]))
            self.out.append(f'<li id="fn{number}" class="footnote-item">')
            children = definition.children
            if children and children[-1].name == "paragraph":
                self.blocks(children[:-1])
                self.paragraph(children[-1], {}, tail=backrefs)
            else:
                self.blocks(children)
                self.out.append(backrefs)
            self.out.append("</li>\n")
        self.out.append("</ol>\n</section>\n")

    # -- Inline

    def leading_attrs(self, content: str) -> tuple[dict[str, str] | None, str]:
        """Split ``{...}`` off the start of ``content``: (attributes, the rest)."""
        if not content.startswith("{"):
            return None, content
        match = ATTRS.match(content)
        attrs = _parse_attrs(match.group(1)) if match else None
        return (attrs, content[match.end():]) if attrs is not None else (None, content)

    def inline(self, nodes, figure: bool = False, last_text: str | None = None) -> None:
        """Write inline ``nodes``, each with the ``{...}`` that follows it."""
        count = len(nodes)
        skip_text = None  # the rest of a text node whose {attrs} were taken
        for index, node in enumerate(nodes):
            name = node.name
            if name == "text":
                content = node.meta["content"] if skip_text is None else skip_text
                skip_text = None
                if last_text is not None and index == count - 1:
                    content = last_text
                self.text(content)
                continue
            skip_text = None
            attrs: dict[str, str] = {}
            if (name in ("image", "link", "code_inline") and index + 1 < count
                    and nodes[index + 1].name == "text"):
                found, rest = self.leading_attrs(nodes[index + 1].meta["content"])
                if found is not None:
                    attrs, skip_text = found, rest
            if figure and name == "softbreak":
                continue
            self.inline_one(node, attrs, figure)

    def inline_one(self, node, attrs: dict[str, str] | None = None,
                   figure: bool = False) -> None:
        name = node.name
        out = self.out
        if name == "text":
            self.text(node.meta["content"])
        elif name == "text_special":
            out.append(_escape(node.meta["content"]))
        elif name == "softbreak":
            out.append("\n")
        elif name == "hardbreak":
            out.append("<br>\n")
        elif name in INLINE_TAGS:
            tag = INLINE_TAGS[name]
            out.append(f"<{tag}>")
            self.inline(node.children)
            out.append(f"</{tag}>")
        elif name == "code_inline":
            code = "".join(child.meta["content"] for child in node.children)
            out.append(f"<code{_attr_html(attrs or {})}>{_escape(code)}</code>")
        elif name in ("link", "autolink"):
            self.link(node, attrs or {})
        elif name == "image":
            out.append(self.image(node, attrs or {}, figure))
        elif name == "html_inline":
            out.append(node.meta["content"])
        elif name == "footnote_ref":
            label = node.meta["label"]
            number = self.footnotes.setdefault(label, len(self.footnotes) + 1)
            sub = self.references.get(label, 0)
            self.references[label] = sub + 1
            ref = f"{number}:{sub}" if sub else f"{number}"
            out.append(f'<sup class="footnote-ref"><a href="#fn{number}" '
                       f'id="fnref{ref}">[{ref}]</a></sup>')
        elif name != "footnote_ref_anchor":  # the writer adds back-references itself
            raise ValueError(f"the Markdown writer has no rule for '{name}' nodes")

    def text(self, content: str) -> None:
        if CLOSE not in content:
            self.out.append(_escape(content))
            return
        position = 0
        for match in PLACEHOLDER.finditer(content):
            self.out.append(_escape(content[position:match.start()]))
            latex, line = self.prepared.math[int(match.group(2))]
            display = match.group(1) == DISPLAY
            mathml = self.math(latex, line, display)
            if display:
                mathml = f'<div class="math">{mathml}</div>\n'
            self.out.append(mathml)
            position = match.end()
        self.out.append(_escape(content[position:]))

    def math(self, latex: str, line: int, display: bool) -> str:
        try:
            return to_mathml(latex, display=display)
        except MathError as error:
            self.state.error(line, str(error))
            return f"<code>{html.escape(latex)}</code>"

    def restore(self, text: str) -> str:
        """Put the LaTeX back where a placeholder stands in plain text."""
        if CLOSE not in text:
            return text
        return PLACEHOLDER.sub(
            lambda m: "$" * (1 + (m.group(1) == DISPLAY)) + self.prepared.math[
                int(m.group(2))][0] + "$" * (1 + (m.group(1) == DISPLAY)), text)

    def link(self, node, attrs: dict[str, str]) -> None:
        href = self.restore(node.meta.get("url", ""))
        self.state.links.append((href, self.line(node) + self.state.line_offset - 1))
        tag = f'<a href="{_escape(href)}"'
        if "title" in node.meta:
            tag += f' title="{_escape(self.restore(node.meta["title"]))}"'
        if EXTERNAL.match(href) and not href.startswith("mailto:"):
            attrs = {**attrs, "rel": attrs.get("rel", "noopener")}
        self.out.append(tag + _attr_html(attrs) + ">")
        if node.name == "autolink":
            self.out.append(_escape(node.children[0].meta["content"]))
        else:
            self.inline(node.children)
        self.out.append("</a>")

    def alt_text(self, nodes) -> str:
        """Return the plain text of an image's description, as CommonMark says."""
        parts = []
        for node in nodes:
            name = node.name
            if name in ("text", "text_special", "html_inline"):
                parts.append(self.restore(node.meta["content"]))
            elif name in ("softbreak", "hardbreak"):
                parts.append("\n")
            elif name == "footnote_ref":
                continue
            else:
                parts.append(self.alt_text(node.children))
        return "".join(parts)

    def image(self, node, attrs: dict[str, str], figure: bool) -> str:
        state = self.state
        line = self.line(node)
        src = self.restore(node.meta.get("url", ""))
        alt = self.alt_text(node.children)
        title = self.restore(node.meta.get("title", ""))
        if os.path.splitext(src)[1].lower() in VIDEO_TYPES:
            return _video(src, alt, title, attrs, line, state)

        markup = f' src="{html.escape(src)}" alt="{html.escape(alt)}"'
        markup += _size_attrs(state, line, src)
        for name, value in attrs.items():
            if name not in ("src", "alt", "title"):
                markup += f' {name}="{html.escape(str(value))}"'
        image = f'<img{markup} loading="lazy" decoding="async">'
        if figure:
            caption = f"<figcaption>{html.escape(title)}</figcaption>" if title else ""
            return image + caption
        if title:
            image = image.replace("<img", f'<img title="{html.escape(title)}"', 1)
        return image


def _local_file(src: str) -> bool:
    return bool(src) and not EXTERNAL.match(src) and not src.startswith(("/", "#"))


def _size_attrs(state: RenderState, line: int, src: str) -> str:
    """Return ``width``/``height`` attributes read from a local image file."""
    if not _local_file(src):
        return ""
    path = state.path.parent / src
    if not path.is_file():
        state.error(line, f"image '{src}' not found next to {state.path.name}; "
                    "put the file there or correct the path")
        return ""
    state.files.append((src, line + state.line_offset - 1))
    import imagesize  # here: it imports urllib.request, 30 ms a build without images

    try:
        width, height = imagesize.get(path)
    except ValueError:
        width = height = -1
    if width <= 0 or height <= 0:
        state.warn(line, f"cannot read the size of '{src}'; the page may jump "
                   "while it loads. Re-save it as PNG, JPEG, WebP or SVG "
                   "with width and height")
        return ""
    return f' width="{int(width)}" height="{int(height)}"'


def _video(src: str, alt: str, title: str, attrs: dict[str, str], line: int,
           state: RenderState) -> str:
    if _local_file(src):
        if not (state.path.parent / src).is_file():
            state.error(line, f"video '{src}' not found next to {state.path.name}; "
                        "put the file there or correct the path")
        else:
            state.files.append((src, line + state.line_offset - 1))
    poster = attrs.get("poster")
    markup = ' controls preload="metadata"'
    if poster:
        markup += f' poster="{html.escape(str(poster))}"'
        markup += _size_attrs(state, line, str(poster))
    elif not alt:
        state.warn(line, f"video '{src}' has neither poster nor description; "
                   "add {poster=still.jpg} and alt text")
    kind = VIDEO_TYPES[os.path.splitext(src)[1].lower()]
    label = f' aria-label="{html.escape(alt)}"' if alt else ""
    fallback = f'<a href="{html.escape(src)}">Download the video</a>'
    caption = f"<figcaption>{html.escape(title or alt)}</figcaption>" if (
        title or alt) else ""
    return (f'<video{markup}{label}><source src="{html.escape(src)}" type="{kind}">'
            f"{fallback}</video>{caption}")
