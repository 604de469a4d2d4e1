"""The Markdown dialect of Probable: CommonMark plus what articles need.

Built on markdown-it-py with mdit-py-plugins. On top of CommonMark it adds
tables, footnotes, ``{#id .class}`` attributes, heading anchors, callouts
(``::: note``, ``::: key``, ``::: warning``), figures (an image alone in a
paragraph, with a title as its caption), ``<video>`` (an "image" whose file
is a video; ``{poster="still.jpg"}`` sets the poster), math (``$...$`` and
``$$...$$``, rendered to MathML here), fenced code highlighted by Pygments,
and widgets (a fenced block whose info string names a widget kind).

Rendering reports problems through :class:`RenderState`, which also collects
what later stages need: headings, links, and files to copy.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import html
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import imagesize
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
import pygments
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import find_lexer_class_by_name, get_lexer_by_name
from pygments.util import ClassNotFound

from generator.errors import Problems
from generator.mathml import MathError, to_mathml

CALLOUTS = {"note": "Note", "key": "Key point", "warning": "Warning"}
VIDEO_TYPES = {".mp4": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg"}
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)

#: ``widget_hook(kind, body, line, state)`` returns the widget's HTML.
WidgetHook = Callable[[str, str, int, "RenderState"], str]


@dataclass
class RenderState:
    """Per-document state shared by the render rules through ``env``."""

    path: Path  # the Markdown file, for error messages
    line_offset: int  # add to a token's 0-based line to get the file's line
    problems: Problems
    widget_kinds: frozenset[str]  # fence info strings that are widgets
    widget_hook: WidgetHook | None = None
    # (level, id, text) of every heading, for the table of contents
    headings: list[tuple[int, str, str]] = field(default_factory=list)
    links: list[tuple[str, int]] = field(default_factory=list)  # href, line
    files: list[tuple[str, int]] = field(default_factory=list)  # relative src, line

    def line(self, token: Token) -> int:
        """Return the file line of ``token`` (children use their block's line)."""
        if token.map:
            return token.map[0] + self.line_offset
        return token.meta.get("line", 0) + self.line_offset

    def error(self, token: Token, message: str) -> None:
        """Record an error at ``token``'s line."""
        self.problems.add(self.path, self.line(token), message)

    def warn(self, token: Token, message: str) -> None:
        """Record a warning at ``token``'s line."""
        self.problems.warn(self.path, self.line(token), message)


def create_markdown() -> MarkdownIt:
    """Return a parser-renderer with every Probable extension installed."""
    # xhtmlOut off: HTML5 void elements without the "/>" the checker flags.
    md = MarkdownIt("commonmark", {"html": True, "typographer": False,
                                   "xhtmlOut": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(attrs_block_plugin)
    md.use(attrs_plugin)
    md.use(anchors_plugin, min_level=2, max_level=4)
    md.use(dollarmath_plugin, double_inline=True)
    # One container rule for every tone: each rule costs a pass over the
    # blocks, and three of them made callouts the slowest extension.
    container_plugin(md, "callout", validate=_is_callout, render=_render_callout)

    md.core.ruler.before("anchor", "probable_heading_attrs", _heading_attrs)
    md.core.ruler.push("probable_lines", _attach_lines)
    md.core.ruler.push("probable_figures", _mark_figures)

    rules = md.add_render_rule
    rules("fence", _render_fence)
    rules("code_block", _render_code_block)
    rules("image", _render_image)
    rules("link_open", _render_link_open)
    rules("paragraph_open", _render_paragraph_open)
    rules("paragraph_close", _render_paragraph_close)
    rules("heading_open", _render_heading_open)
    rules("footnote_block_open", _render_footnotes_open)
    rules("table_open", _render_table_open)
    rules("th_open", _render_cell_open)
    rules("td_open", _render_cell_open)
    rules("table_close", _render_table_close)
    rules("math_inline", _render_math_inline)
    rules("math_inline_double", _render_math_block)
    rules("math_block", _render_math_block)
    rules("math_block_label", _render_math_block)
    return md


def render(md: MarkdownIt, text: str, state: RenderState) -> str:
    """Render Markdown ``text`` to HTML, recording problems in ``state``."""
    return md.render(text, {"state": state})


def _state(env: dict) -> RenderState:
    return env["state"]


HEADING_ATTRS = re.compile(r"\s*\{((?:\s*[#.][\w-]+)+)\s*\}\s*$")


def _heading_attrs(core_state) -> None:
    """Move a trailing ``{#id .class}`` of a heading onto the heading."""
    tokens = core_state.tokens
    for index, token in enumerate(tokens[:-1]):
        if token.type != "heading_open":
            continue
        inline = tokens[index + 1]
        match = HEADING_ATTRS.search(inline.content)
        last = inline.children[-1] if inline.children else None
        if not match or last is None or last.type != "text":
            continue
        inline.content = inline.content[: match.start()]
        last.content = HEADING_ATTRS.sub("", last.content)
        for part in match.group(1).split():
            if part.startswith("#"):
                token.attrSet("id", part[1:])
            else:
                classes = (token.attrGet("class") or "").split() + [part[1:]]
                token.attrSet("class", " ".join(classes))


def _attach_lines(core_state) -> None:
    """Give inline children their line: the block's plus the breaks before them."""
    for token in core_state.tokens:
        if token.children and token.map:
            line = token.map[0]
            for child in token.children:
                child.meta["line"] = line
                if child.type in ("softbreak", "hardbreak"):
                    line += 1


def _mark_figures(core_state) -> None:
    """Mark paragraphs that hold one titled image (or a video) as figures."""
    tokens = core_state.tokens
    for index in range(1, len(tokens) - 1):
        inline = tokens[index]
        if inline.type != "inline" or tokens[index - 1].type != "paragraph_open":
            continue
        children = [c for c in inline.children or [] if c.type != "softbreak"]
        if len(children) != 1 or children[0].type != "image":
            continue
        image = children[0]
        is_video = Path(image.attrGet("src") or "").suffix.lower() in VIDEO_TYPES
        if image.attrGet("title") or is_video:
            tokens[index - 1].meta["figure"] = True
            tokens[index + 1].meta["figure"] = True
            image.meta["figure"] = True


def _render_paragraph_open(self, tokens, idx, options, env) -> str:
    if tokens[idx].meta.get("figure"):
        return "<figure" + self.renderAttrs(tokens[idx]) + ">\n"
    return self.renderToken(tokens, idx, options, env)


def _render_paragraph_close(self, tokens, idx, options, env) -> str:
    if tokens[idx].meta.get("figure"):
        return "</figure>\n"
    return self.renderToken(tokens, idx, options, env)


def _render_heading_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    text = "".join(
        child.content
        for child in tokens[idx + 1].children or []
        if child.type in ("text", "code_inline", "math_inline")
    )
    _state(env).headings.append((int(token.tag[1]), token.attrGet("id") or "", text))
    return self.renderToken(tokens, idx, options, env)


def _render_footnotes_open(self, tokens, idx, options, env) -> str:
    # A heading gives the section a name for screen readers and the checker.
    return ('<hr class="footnotes-sep">\n<section class="footnotes" '
            'aria-labelledby="footnotes-title">\n<h2 id="footnotes-title" '
            'class="footnotes__title">Notes</h2>\n<ol class="footnotes-list">\n')


def _render_table_open(self, tokens, idx, options, env) -> str:
    # The wrapper scrolls wide tables on phones; tabindex lets keyboard
    # users scroll it too.
    return '<div class="table-wrap" tabindex="0">\n' + self.renderToken(
        tokens, idx, options, env
    )


def _render_cell_open(self, tokens, idx, options, env) -> str:
    # Column alignment becomes a class: the site's CSP forbids style attributes.
    token = tokens[idx]
    style = token.attrs.pop("style", None)
    if style:
        token.attrSet("class", "align-" + str(style).split(":")[1])
    return self.renderToken(tokens, idx, options, env)


def _render_table_close(self, tokens, idx, options, env) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>\n"


def _render_link_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    href = token.attrGet("href") or ""
    _state(env).links.append((href, _state(env).line(token)))
    if EXTERNAL.match(href) and not href.startswith("mailto:"):
        token.attrSet("rel", "noopener")
    return self.renderToken(tokens, idx, options, env)


def _local_file(src: str) -> bool:
    return bool(src) and not EXTERNAL.match(src) and not src.startswith(("/", "#"))


def _size_attrs(state: RenderState, token: Token, src: str) -> str:
    """Return ``width``/``height`` attributes read from a local image file."""
    if not _local_file(src):
        return ""
    path = state.path.parent / src
    if not path.is_file():
        state.error(token, f"image '{src}' not found next to {state.path.name}; "
                    "put the file there or correct the path")
        return ""
    state.files.append((src, state.line(token)))
    try:
        width, height = imagesize.get(path)
    except ValueError:
        width = height = -1
    if width <= 0 or height <= 0:
        state.warn(token, f"cannot read the size of '{src}'; the page may jump "
                   "while it loads. Re-save it as PNG, JPEG, WebP or SVG "
                   "with width and height")
        return ""
    return f' width="{int(width)}" height="{int(height)}"'


def _render_image(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    state = _state(env)
    src = token.attrGet("src") or ""
    alt = self.renderInlineAsText(token.children or [], options, env)
    title = token.attrGet("title") or ""
    if Path(src).suffix.lower() in VIDEO_TYPES:
        return _render_video(token, src, alt, title, state)

    attrs = f' src="{html.escape(src)}" alt="{html.escape(alt)}"'
    attrs += _size_attrs(state, token, src)
    for name, value in token.attrs.items():
        if name not in ("src", "alt", "title"):
            attrs += f' {name}="{html.escape(str(value))}"'
    image = f'<img{attrs} loading="lazy" decoding="async">'
    if token.meta.get("figure"):
        caption = f"<figcaption>{html.escape(title)}</figcaption>" if title else ""
        return image + caption
    if title:
        image = image.replace("<img", f'<img title="{html.escape(title)}"', 1)
    return image


def _render_video(token, src: str, alt: str, title: str, state: RenderState) -> str:
    if _local_file(src):
        if not (state.path.parent / src).is_file():
            state.error(token, f"video '{src}' not found next to {state.path.name}; "
                        "put the file there or correct the path")
        else:
            state.files.append((src, state.line(token)))
    poster = token.attrGet("poster")
    attrs = ' controls preload="metadata"'
    if poster:
        attrs += f' poster="{html.escape(str(poster))}"'
        attrs += _size_attrs(state, token, str(poster))
    elif not alt:
        state.warn(token, f"video '{src}' has neither poster nor description; "
                   "add {poster=still.jpg} and alt text")
    kind = VIDEO_TYPES[Path(src).suffix.lower()]
    label = f' aria-label="{html.escape(alt)}"' if alt else ""
    fallback = f'<a href="{html.escape(src)}">Download the video</a>'
    caption = f"<figcaption>{html.escape(title or alt)}</figcaption>" if (
        title or alt) else ""
    return (f'<video{attrs}{label}><source src="{html.escape(src)}" type="{kind}">'
            f"{fallback}</video>{caption}")


#: Folder where highlighted code blocks are kept between builds, or None.
#: Building a Pygments lexer compiles its regular expressions (about 80 ms
#: for Python's), which would dominate rebuilding one edited post.
highlight_cache: Path | None = None


@functools.lru_cache(maxsize=None)
def _has_lexer(lang: str) -> bool:
    try:
        find_lexer_class_by_name(lang or "text")
    except ClassNotFound:
        return False
    return True


@functools.lru_cache(maxsize=None)
def _lexer(lang: str):
    return get_lexer_by_name(lang or "text")


@functools.lru_cache(maxsize=2048)
def _highlighted(code: str, lang: str) -> str:
    """Return Pygments HTML for ``code``, from the highlight cache if there."""
    if highlight_cache is None:
        return highlight(code, _lexer(lang), FORMATTER)
    key = f"{pygments.__version__}\0{lang}\0{code}".encode()
    path = highlight_cache / hashlib.sha256(key).hexdigest()
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        pass
    markup = highlight(code, _lexer(lang), FORMATTER)
    highlight_cache.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(markup, encoding="utf-8")
    os.replace(temporary, path)
    return markup


def _highlight(code: str, lang: str, state: RenderState, token: Token) -> str:
    if not _has_lexer(lang):
        close = difflib.get_close_matches(lang, sorted(state.widget_kinds), n=1)
        if close:
            state.error(token, f"unknown widget '{lang}'; did you mean '{close[0]}'? "
                        f"Widgets are: {', '.join(sorted(state.widget_kinds))}")
        else:
            state.warn(token, f"no syntax highlighting for language '{lang}'; "
                       "use a Pygments lexer name such as python, bash or json")
        lang = "text"
    return _highlighted(code, lang)


def _render_fence(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    state = _state(env)
    lang = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
    if lang in state.widget_kinds and state.widget_hook is not None:
        return state.widget_hook(lang, token.content, state.line(token), state)
    return _highlight(token.content, lang, state, token)


def _render_code_block(self, tokens, idx, options, env) -> str:
    return _highlight(tokens[idx].content, "", _state(env), tokens[idx])


def _is_callout(params: str, markup: str) -> bool:
    return params.strip().split(" ", 1)[0] in CALLOUTS


def _render_callout(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if token.nesting != 1:
        return "</div></aside>\n"
    name, _, title = token.info.strip().partition(" ")
    label = title.strip() or CALLOUTS[name]
    return (f'<aside class="callout callout--{name}">'
            f'<p class="callout__title">{html.escape(label)}</p>'
            '<div class="callout__body">\n')


def _math(token: Token, env, display: bool) -> str:
    try:
        return to_mathml(token.content, display=display)
    except MathError as error:
        _state(env).error(token, str(error))
        return f"<code>{html.escape(token.content)}</code>"


def _render_math_inline(self, tokens, idx, options, env) -> str:
    return _math(tokens[idx], env, display=False)


def _render_math_block(self, tokens, idx, options, env) -> str:
    return f'<div class="math">{_math(tokens[idx], env, display=True)}</div>\n'
