"""The quality gates of a built site, shared by ``tests/test_gate_*.py``.

Every gate takes a built site (a folder, or a page served from one) and
returns what is wrong as a list of readable findings, ``where: what``. The
tests on the repository's site assert that a list is empty; the tests on
``tests/fixtures/broken-*`` assert that it names the breakage, so no gate
can pass by finding nothing at all.

The browser gates expect a page opened with :func:`open_page`, which adds
two init scripts before the page loads: axe-core, and a recorder of
``securitypolicyviolation`` events. Init scripts run whatever the page's
Content-Security-Policy says, so the policy stays enforced for everything
the site itself loads.

Run ``python tests/gates.py weight public`` to print the page weights.
"""

from __future__ import annotations

import gzip
import json
import posixpath
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
NODE_MODULES = REPO / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
INSTALL_HINT = "run 'npm ci --ignore-scripts' in the repository"


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path.relative_to(REPO)} is missing; {INSTALL_HINT}",
                    pytrace=False)
    return path


def html_pages(folder: Path) -> list[Path]:
    """Return every HTML file under ``folder``, sorted."""
    return sorted(folder.rglob("*.html"))


def page_url(folder: Path, path: Path) -> str:
    """Return the site path that serves ``path`` (``a/index.html`` -> ``/a/``)."""
    relative = path.relative_to(folder).as_posix()
    return "/" + relative.removesuffix("index.html")


# The Nu HTML Checker ----------------------------------------------------------

@dataclass(frozen=True)
class VnuMessage:
    """One message of the Nu HTML Checker."""

    kind: str  # "error", "warning", "info" or "non-document-error"
    file: str  # absolute path of the page
    line: int  # 0 when the message concerns the whole file
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.kind}: {self.message}"


#: Warnings that only arise because vnu reads pages from file: URLs, where
#: 'self' in a meta CSP matches nothing; a served page loads its assets fine.
FILE_URL_ARTEFACT = re.compile(r"^Resource violates Content Security Policy")


def vnu_messages(folders: list[Path]) -> list[VnuMessage]:
    """Check every HTML file under ``folders`` in one Java call; return messages.

    A message's ``file`` is relative to the folder it lies in.
    """
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing; install Java 17 (apt-get install "
                    "openjdk-17-jre-headless)", pytrace=False)
    files = [path for folder in folders for path in html_pages(folder)]
    if not files:
        return []

    completed = subprocess.run(
        [java, "-Xss4m", "-jar", str(_require(VNU_JAR)), "--format", "json",
         "--stdout", *map(str, files)],
        capture_output=True, text=True, timeout=300)
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"vnu gave no JSON report (exit {completed.returncode}): "
                    f"{completed.stderr.strip()[:2000]}", pytrace=False)

    messages = []
    for item in report["messages"]:
        kind = item.get("subType") if item["type"] == "info" else item["type"]
        if kind == "warning" and FILE_URL_ARTEFACT.match(item["message"]):
            continue
        path = Path(urlsplit(item.get("url", "")).path)
        messages.append(VnuMessage(kind or "info", str(path), item.get("lastLine", 0),
                                   item["message"]))
    return messages


def html_errors(messages: list[VnuMessage], folder: Path) -> list[str]:
    """Return the errors among ``messages`` about pages under ``folder``."""
    return [f"{Path(m.file).relative_to(folder)}:{m.line}: {m.message}"
            for m in messages if m.kind in ("error", "non-document-error")
            and Path(m.file).is_relative_to(folder)]


# Opening a page in the browser ------------------------------------------------

CSP_RECORDER = """
window.__gate = { csp: [] };
document.addEventListener("securitypolicyviolation", (event) => {
  window.__gate.csp.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline code"}` +
    ` (${event.sourceFile || event.documentURI}:${event.lineNumber})`);
});
"""

WIDGETS_SETTLED = """
() => [...document.querySelectorAll("[data-widget]")].every(
  (root) => root.dataset.ready === "true" || root.dataset.ready === "failed")
"""


def open_page(page, url: str, scheme: str = "dark") -> None:
    """Open ``url`` with axe and the CSP recorder, and let every widget start.

    ``page.problems`` (from conftest) collects console errors; this adds
    failed requests and HTTP errors, which a reader would meet as a widget
    stuck in its default state.
    """
    if not getattr(page, "gate_ready", False):
        page.add_init_script(CSP_RECORDER)
        page.add_init_script(path=str(_require(AXE_JS)))
        page.on("requestfailed", lambda r: page.problems.append(
            f"request failed: {r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and r.url != page.url and (
            page.problems.append(f"HTTP {r.status}: {r.url}")))
        page.gate_ready = True
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    page.goto(url, wait_until="load")
    page.wait_for_function(WIDGETS_SETTLED, timeout=15_000)
    for root in page.query_selector_all("[data-widget][data-ready=failed]"):
        page.problems.append(f"widget #{root.get_attribute('id')} did not start")


def csp_violations(page) -> list[str]:
    """Return the CSP violations recorded since the page was opened."""
    return page.evaluate("window.__gate ? window.__gate.csp : []")


# axe-core ---------------------------------------------------------------------

AXE_RUN = """
async ([selector, rules]) => {
  const context = selector ? { include: [selector] } : document;
  const options = { resultTypes: ["violations"] };
  if (rules) options.runOnly = { type: "rule", values: rules };
  const result = await axe.run(context, options);
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ") + ": " +
      (n.failureSummary || "").replace(/\\s+/g, " ").trim()),
  }));
}
"""


def axe_violations(page, selector: str | None = None,
                   rules: list[str] | None = None) -> list[str]:
    """Run axe-core's default rules (or ``rules``) on the page or ``selector``."""
    violations = page.evaluate(AXE_RUN, [selector, rules])
    return [f"{v['id']} ({v['impact']}): {v['help']}: " + "; ".join(v["nodes"][:5])
            for v in violations]


#: What axe checks in each colour scheme: every rule in the dark theme (the
#: default), colour contrast in the light one, where nothing else differs.
SCHEME_RULES = {"dark": None, "light": ["color-contrast"]}


def axe_problems(page, selector: str | None = None) -> list[str]:
    """Run the axe rules of the page's colour scheme (see SCHEME_RULES).

    Open the page in the scheme (``open_page(..., scheme=)``) rather than
    switching it in place: Chromium can keep an inherited colour of the old
    scheme on some elements for a while after emulate_media, and axe would
    report the mix.
    """
    scheme = "light" if page.evaluate(
        "matchMedia('(prefers-color-scheme: light)').matches") else "dark"
    return [f"{scheme}: {v}"
            for v in axe_violations(page, selector, SCHEME_RULES[scheme])]


# Keyboard: reach, focus indicator, operation ----------------------------------

FOCUS_STYLE = """
(el) => {
  const s = getComputedStyle(el);
  return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow,
          s.backgroundColor, s.borderColor, s.textDecorationLine,
          s.color].join("|");
}
"""

DESCRIBE = """
(el) => {
  if (!el || el === document.body) return null;
  const name = (el.getAttribute("aria-label") || el.textContent || el.value ||
                "").trim().replace(/\\s+/g, " ").slice(0, 40);
  const id = el.id ? "#" + el.id : "";
  return `<${el.tagName.toLowerCase()}${id}> "${name}"`;
}
"""

#: What counts as a control. A plain element with a click listener and no
#: role cannot be told apart from text; the CSP gate rules out onclick=.
CONTROLS = ("button, input, select, textarea, [tabindex]:not([tabindex='-1']), "
            "[contenteditable='true'], [role=button], [role=slider], [role=tab]")


def tab_through(page, limit: int = 400) -> tuple[list[str], list[str]]:
    """Press Tab through the page; return (stops reached, findings on focus).

    At each stop the focused element's style is recorded; once focus has
    moved on it is compared with the style the element has unfocused. An
    element that looks the same either way has no visible focus indicator.
    """
    page.evaluate("() => { window.__gate.seen = new Set(); }")
    stops, focused_styles, handles = [], [], []
    leaving = 0  # Tabs in a row that left the page, before wrapping to its top
    for _ in range(limit):
        page.keyboard.press("Tab")
        handle = page.evaluate_handle("document.activeElement")
        described = page.evaluate(DESCRIBE, handle)
        if described is None:
            leaving += 1
            if leaving > 2:
                break
            continue
        leaving = 0
        if page.evaluate("(el) => window.__gate.seen.has(el)", handle):
            break
        page.evaluate("(el) => window.__gate.seen.add(el)", handle)
        stops.append(described)
        handles.append(handle)
        focused_styles.append(page.evaluate(FOCUS_STYLE, handle))

    page.evaluate("() => document.activeElement?.blur()")
    findings = []
    for described, handle, focused in zip(stops, handles, focused_styles):
        if page.evaluate(FOCUS_STYLE, handle) == focused:
            findings.append(f"{described} shows no visible focus indicator")
    return stops, findings


def unreachable_controls(page, selector: str = "body") -> list[str]:
    """Return the usable controls under ``selector`` that tab_through never reached."""
    found = []
    for handle in page.query_selector_all(f"{selector} :is({CONTROLS})"):
        usable = handle.evaluate("(el) => !el.disabled && el.checkVisibility()")
        if usable and not page.evaluate("(el) => window.__gate.seen.has(el)",
                                        handle):
            found.append(f"{page.evaluate(DESCRIBE, handle)} cannot be reached "
                         "with Tab")
    return found


SNAPSHOT = """
(root) => root.innerHTML + [...root.querySelectorAll("input, select, textarea")]
  .map((el) => `|${el.value}:${el.checked}`).join("")
"""

KIND = """
(el) => {
  const role = el.getAttribute("role");
  if (role === "slider" || el.type === "range") return "slider";
  if (role === "tab") return "tab";
  if (el.type === "checkbox" || el.type === "radio") return "toggle";
  if (el.type === "number") return "number";
  if (el.tagName === "SELECT") return "select";
  if (el.tagName === "TEXTAREA" || el.isContentEditable ||
      (el.tagName === "INPUT" && !["button", "submit", "reset"].includes(el.type)))
    return "text";
  return "button";
}
"""

#: The keys that operate each kind of control, tried in turn until one
#: changes the widget: a slider at its maximum only moves left.
KEYS = {
    "slider": [["ArrowRight"], ["ArrowLeft"]],
    "tab": [["ArrowRight"], ["ArrowLeft"]],
    "toggle": [["Space"]],
    "number": [["ArrowUp"], ["ArrowDown"]],
    "select": [["ArrowDown"], ["ArrowUp"]],
    "text": [["End", "s", "Enter"]],
    "button": [["Enter"], ["Space"]],
}

#: Wait two frames and a little: long enough for a widget to redraw.
SETTLE = ("() => new Promise((done) => requestAnimationFrame(() => "
          "requestAnimationFrame(() => setTimeout(done, 30))))")


def widget_ids(page) -> list[str]:
    """Return the ids of the widgets on the page, in page order."""
    return page.eval_on_selector_all("[data-widget]", "(all) => all.map((r) => r.id)")


def operate_widget(page, widget_id: str) -> list[str]:
    """Operate every control of one widget with the keyboard; return findings.

    A widget must have at least one control, and pressing the keys that
    operate its controls must change what it shows.
    """
    root = page.query_selector(f"#{widget_id}")
    controls = [c for c in root.query_selector_all(f":is({CONTROLS})")
                if c.evaluate("(el) => !el.disabled && el.checkVisibility()")]
    if not controls:
        return [f"widget #{widget_id} has no control a keyboard can reach"]

    changed = False
    for control in controls:
        for keys in KEYS[control.evaluate(KIND)]:
            before = root.evaluate(SNAPSHOT)
            control.focus()
            for key in keys:
                page.keyboard.press(key)
            page.evaluate(SETTLE)
            if root.evaluate(SNAPSHOT) != before:
                changed = True
                break
    if not changed:
        return [f"widget #{widget_id}: no key pressed on its {len(controls)} "
                "control(s) changed what it shows"]
    return []


# No JavaScript ----------------------------------------------------------------

NOJS_FINDINGS = """
() => {
  const shown = (el) => el.checkVisibility({ checkOpacity: true,
                                            checkVisibilityCSS: true });
  const name = (el) => `<${el.tagName.toLowerCase()}> "` +
    el.textContent.trim().replace(/\\s+/g, " ").slice(0, 40) + '"';
  const main = document.querySelector("main");
  if (!main) return ["the page has no <main>"];
  const found = [];
  if (!main.innerText.trim()) found.push("<main> shows no text");
  const blocks = "p, h1, h2, h3, h4, h5, h6, li, td, th, dt, dd, figcaption, " +
                 "caption, blockquote, pre";
  for (const el of main.querySelectorAll(blocks)) {
    if (!el.textContent.trim() || el.closest("[hidden], details:not([open])"))
      continue;
    if (!shown(el)) found.push(`${name(el)} is hidden`);
  }
  for (const root of document.querySelectorAll("[data-widget]")) {
    const parts = [...root.querySelectorAll("*")].filter((el) =>
      !el.closest(".widget__provenance, [hidden]") && shown(el));
    const text = parts.some((el) => [...el.childNodes].some((node) =>
      node.nodeType === Node.TEXT_NODE && node.textContent.trim()));
    const drawing = parts.some((el) => el.tagName === "svg" &&
      el.getBoundingClientRect().height > 0 &&
      el.querySelector("rect, path, line, circle, text, polyline, polygon"));
    if (!shown(root)) found.push(`widget #${root.id} is hidden`);
    else if (!text && !drawing)
      found.push(`widget #${root.id} shows no default state`);
    for (const control of root.querySelectorAll("button, input, select, textarea"))
      if (shown(control))
        found.push(`widget #${root.id} shows <${control.tagName.toLowerCase()}` +
                   (control.type ? ` type=${control.type}` : "") + ">, which needs " +
                   "JavaScript; render it inside an element with 'hidden'");
  }
  return found;
}
"""


def nojs_problems(page_nojs, url: str) -> list[str]:
    """Open ``url`` with JavaScript off; return text and widgets that do not show."""
    page_nojs.goto(url, wait_until="load")
    return page_nojs.evaluate(NOJS_FINDINGS)


# Content-Security-Policy ------------------------------------------------------

#: Directives a strict policy must set, and the sources each may allow.
REQUIRED_DIRECTIVES = {
    "default-src": {"'self'", "'none'"},
    "script-src": {"'self'", "'none'"},
    "style-src": {"'self'", "'none'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'", "'none'"},
    "frame-ancestors": {"'self'", "'none'"},
}
#: Sources that undo a policy's point wherever they appear.
UNSAFE_SOURCES = re.compile(r"^(?:'unsafe-.*'|'wasm-unsafe-eval'|\*|https?:|"
                            r"blob:|filesystem:)$")
#: Directives a browser ignores in a <meta> tag.
HEADER_ONLY = {"frame-ancestors", "report-uri", "sandbox"}


def parse_policy(text: str) -> dict[str, list[str]]:
    """Parse a CSP into ``{directive: [sources]}``."""
    policy = {}
    for part in text.split(";"):
        words = part.split()
        if words:
            policy[words[0].lower()] = words[1:]
    return policy


def policy_problems(policy: dict[str, list[str]], where: str) -> list[str]:
    """Return how ``policy`` falls short of a strict policy."""
    found = []
    for directive, allowed in REQUIRED_DIRECTIVES.items():
        if directive not in policy:
            found.append(f"{where}: no {directive} directive")
        elif not set(policy[directive]) <= allowed:
            found.append(f"{where}: {directive} allows "
                         f"{' '.join(sorted(set(policy[directive]) - allowed))}; "
                         f"allow only {' or '.join(sorted(allowed))}")
    for directive, sources in policy.items():
        if directive in REQUIRED_DIRECTIVES:
            continue  # already held to its short list above
        for source in sources:
            if UNSAFE_SOURCES.match(source) or (
                    source == "data:" and directive != "img-src"):
                found.append(f"{where}: {directive} allows {source}")
    return found


def header_policy(folder: Path) -> tuple[dict[str, list[str]] | None, list[str]]:
    """Return the CSP that ``_headers`` sends for every path, and findings."""
    from generator.server import parse_headers_file

    path = folder / "_headers"
    if not path.exists():
        return None, ["_headers is missing, so Netlify sends no CSP"]
    for pattern, headers in parse_headers_file(path.read_text(encoding="utf-8")):
        for name, value in headers:
            if pattern == "/*" and name.lower() == "content-security-policy":
                policy = parse_policy(value)
                return policy, policy_problems(policy, "_headers")
    return None, ["_headers sends no Content-Security-Policy for /*"]


class _InlineCode(HTMLParser):
    """Find what a strict CSP blocks in one page, and its meta policy."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.meta_policy: str | None = None
        self._script_line = 0

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{line}: <{tag}> has the event handler {name}=")
            elif name == "style":
                self.found.append(f"{line}: <{tag}> has a style attribute")
            elif value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"{line}: <{tag}> has a javascript: URL")
        if tag == "style":
            self.found.append(f"{line}: a <style> element")
        if tag == "script" and "src" not in attributes and attributes.get(
                "type") not in ("application/json", "application/ld+json"):
            self._script_line = line
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == (
                "content-security-policy"):
            self.meta_policy = attributes.get("content") or ""

    def handle_data(self, data):
        if self._script_line and data.strip():
            self.found.append(f"{self._script_line}: an inline <script>")
            self._script_line = 0

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_line = 0


def csp_static_problems(folder: Path) -> list[str]:
    """Check ``_headers``' policy, each page's meta policy and inline code."""
    policy, found = header_policy(folder)
    expected = {k: v for k, v in (policy or {}).items() if k not in HEADER_ONLY}
    for path in html_pages(folder):
        scan = _InlineCode()
        scan.feed(path.read_text(encoding="utf-8"))
        name = path.relative_to(folder).as_posix()
        found += [f"{name}:{finding}" for finding in scan.found]
        if scan.meta_policy is None:
            found.append(f"{name}: no <meta http-equiv=Content-Security-Policy>")
        elif policy is not None and parse_policy(scan.meta_policy) != expected:
            found.append(f"{name}: the meta policy differs from _headers; "
                         "make templates/partials/csp.html match templates/_headers"
                         " (less frame-ancestors)")
    return found


# The feed ---------------------------------------------------------------------

BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd",
          "figcaption", "caption", "pre", "blockquote"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}


class _Blocks(HTMLParser):
    """Collect the text of each block under the first element with ``css_class``.

    Text inside elements with ``hidden`` is left out: it is what the reader
    does not see. Widgets (``figure[data-widget]``) are noted by id.
    """

    def __init__(self, css_class: str | None):
        super().__init__(convert_charrefs=True)
        self.css_class = css_class
        self.blocks: list[str] = []
        self.widgets: list[str] = []
        self._stack: list[tuple[str, bool, bool]] = []  # tag, inside, hidden
        self._text: list[str] = []

    def _state(self) -> tuple[bool, bool]:
        return self._stack[-1][1:] if self._stack else (self.css_class is None,
                                                       False)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        inside, hidden = self._state()
        if self.css_class in (attributes.get("class") or "").split():
            inside = True
        hidden = hidden or "hidden" in attributes
        if inside and tag == "figure" and "data-widget" in attributes:
            self.widgets.append(attributes.get("id", ""))
        if tag in BLOCKS and inside:
            self._flush()
        if tag not in VOID:
            self._stack.append((tag, inside, hidden))

    def handle_endtag(self, tag):
        if tag in BLOCKS:
            self._flush()
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                break

    def handle_data(self, data):
        inside, hidden = self._state()
        if inside and not hidden:
            self._text.append(data)

    def close(self):
        super().close()
        self._flush()

    def _flush(self):
        text = " ".join("".join(self._text).split())
        if text:
            self.blocks.append(text)
        self._text = []


def text_blocks(html: str, css_class: str | None = None) -> _Blocks:
    """Return the visible text blocks (and widget ids) of ``html``."""
    parser = _Blocks(css_class)
    parser.feed(html)
    parser.close()
    return parser


def feed_problems(folder: Path) -> list[str]:
    """Check feed.xml: well-formed, parsed by feedparser, full posts, widgets."""
    import feedparser

    path = folder / "feed.xml"
    if not path.exists():
        return ["feed.xml is missing"]
    raw = path.read_bytes()
    try:
        ElementTree.fromstring(raw)
    except ElementTree.ParseError as error:
        return [f"feed.xml is not well-formed XML: {error}"]
    feed = feedparser.parse(raw)
    if feed.bozo:
        return [f"feedparser cannot read feed.xml: {feed.bozo_exception}"]

    entries = {urlsplit(e.link).path: e for e in feed.entries}
    found = []
    for page in sorted(folder.glob("posts/*/index.html")):
        url = page_url(folder, page)
        entry = entries.get(url)
        if entry is None:
            found.append(f"feed.xml has no entry for {url}")
            continue
        found += _entry_problems(page.read_text(encoding="utf-8"), entry, url)
    return found


def _entry_problems(html: str, entry, url: str) -> list[str]:
    # feedparser lists media:description among the contents too.
    html_contents = [c.value for c in entry.get("content", [])
                     if c.type == "text/html"]
    if not html_contents:
        return [f"feed entry {url} has no content:encoded (full text)"]
    content = max(html_contents, key=len)
    post = text_blocks(html, "post-body")
    feed_blocks = set(text_blocks(content).blocks)
    found = [f"feed entry {url} lacks the text \"{block[:60]}\""
             for block in post.blocks if block not in feed_blocks]
    feed_widgets = re.findall(r'<figure[^>]*\bid="([^"]+)"', content)
    for widget in post.widgets:
        if widget not in feed_widgets:
            found.append(f"feed entry {url} lacks the default state of widget "
                         f"#{widget}")
    return found


# Page weight ------------------------------------------------------------------

#: Gzipped bytes an article page may need before its images, by kind.
BUDGET = {"html": 40_000, "css": 20_000, "js": 40_000, "data": 60_000,
          "total": 100_000}

IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}/[^"']+)["']""")


@dataclass
class PageWeight:
    """Gzipped bytes of one page and of what it loads, images left out."""

    page: str
    html: int = 0
    css: int = 0
    js: int = 0
    data: int = 0

    @property
    def total(self) -> int:
        return self.html + self.css + self.js + self.data

    def __str__(self) -> str:
        kb = {k: getattr(self, k) / 1000 for k in BUDGET}
        return (f"{self.page}: html {kb['html']:.1f} KB, css {kb['css']:.1f} KB, "
                f"js {kb['js']:.1f} KB, data {kb['data']:.1f} KB, "
                f"total {kb['total']:.1f} KB gzipped")


class _Loads(HTMLParser):
    """Collect what a page loads: stylesheets, scripts, widget modules, data."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []  # (kind, url)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        rel = (attributes.get("rel") or "").split()
        if tag == "link" and "stylesheet" in rel:
            self.urls.append(("css", attributes["href"]))
        if tag == "link" and "modulepreload" in rel:
            self.urls.append(("js", attributes["href"]))
        if tag == "script" and attributes.get("src"):
            self.urls.append(("js", attributes["src"]))
        if attributes.get("data-module"):
            self.urls.append(("js", attributes["data-module"]))
        if attributes.get("data-src"):
            self.urls.append(("data", attributes["data-src"]))


def gzipped(content: bytes) -> int:
    """Return the size of ``content`` gzipped at level 6, what servers send."""
    return len(gzip.compress(content, compresslevel=6, mtime=0))


def page_weight(folder: Path, page: Path) -> PageWeight:
    """Add up the gzipped bytes ``page`` needs: itself, CSS, JS (and imports), data."""
    html = page.read_bytes()
    weight = PageWeight(page_url(folder, page), html=gzipped(html))
    scan = _Loads()
    scan.feed(html.decode("utf-8"))
    pending = [(kind, urlsplit(url).path) for kind, url in scan.urls
               if not urlsplit(url).netloc]
    seen = set()
    while pending:
        kind, url = pending.pop()
        target = folder / url.lstrip("/")
        if url in seen or not target.is_file():
            continue
        seen.add(url)
        content = target.read_bytes()
        setattr(weight, kind, getattr(weight, kind) + gzipped(content))
        if kind == "js":
            pending += [("js", posixpath.normpath(posixpath.join(
                posixpath.dirname(url), relative)))
                for relative in IMPORT.findall(content.decode("utf-8"))]
    return weight


def article_weights(folder: Path) -> list[PageWeight]:
    """Return the weight of every article page (``posts/*/index.html``)."""
    return [page_weight(folder, page)
            for page in sorted(folder.glob("posts/*/index.html"))]


def weight_problems(weights: list[PageWeight], budget: dict = BUDGET) -> list[str]:
    """Return each budget that a page exceeds."""
    return [f"{weight.page}: {kind} is {getattr(weight, kind) / 1000:.1f} KB "
            f"gzipped, over the budget of {limit / 1000:.0f} KB"
            for weight in weights for kind, limit in budget.items()
            if getattr(weight, kind) > limit]


# Publishing -------------------------------------------------------------------

def netlify_problems(path: Path) -> list[str]:
    """Check that netlify.toml builds with ``make site`` and publishes public/."""
    if not path.exists():
        return [f"{path.name} is missing"]
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        return [f"{path.name}: {error}"]
    build = config.get("build", {})
    found = []
    if build.get("command") != "make site":
        found.append(f"{path.name}: build.command is {build.get('command')!r}, "
                     "not the README's 'make site'")
    if build.get("publish") != "public":
        found.append(f"{path.name}: build.publish is {build.get('publish')!r}, "
                     "not 'public'")
    if config.get("headers"):
        found.append(f"{path.name}: [[headers]] here would compete with "
                     "public/_headers; keep every header in templates/_headers")
    for rule in config.get("redirects", []):
        if rule.get("from") in ("/*", "/**") and rule.get("status") == 200:
            found.append(f"{path.name}: a catch-all 200 rewrite hides the 404 page")
    return found


NETLIFY_DEPLOY = re.compile(r"\bnetlify(?:-cli(?:@[\w.]+)?)?\s+deploy\b")


def _steps(workflow: dict) -> list[tuple[str, dict]]:
    return [(name, step) for name, job in (workflow.get("jobs") or {}).items()
            for step in job.get("steps", [])]


def workflow_problems(path: Path) -> list[str]:
    """Check the GitHub Actions workflow's triggers, gates, deploys and secrets."""
    if not path.exists():
        return [f"{path.name} is missing"]
    text = path.read_text(encoding="utf-8")
    try:
        workflow = yaml.safe_load(text)
    except yaml.YAMLError as error:
        return [f"{path.name}: not YAML: {error}"]
    # YAML 1.1 reads the bare key `on` as True.
    triggers = workflow.get("on", workflow.get(True)) or {}
    if isinstance(triggers, (str, list)):
        triggers = {name: None for name in ([triggers] if isinstance(
            triggers, str) else triggers)}
    found = [f"{path.name}: does not run on {event}"
             for event in ("push", "pull_request") if event not in triggers]
    for event in ("push", "pull_request"):
        branches = (triggers.get(event) or {}).get("branches")
        if branches is not None:
            found.append(f"{path.name}: {event} is limited to branches {branches}; "
                         "run on every push and pull request")

    steps = _steps(workflow)
    runs = [(job, step, step.get("run", "")) for job, step in steps]
    for command in ("make test", "probable precompute --check"):
        if not any(command in run for _, _, run in runs):
            found.append(f"{path.name}: no step runs '{command}'")
    deploys = [(job, step, run) for job, step, run in runs
               if NETLIFY_DEPLOY.search(run)]
    previews = [d for d in deploys if "--prod" not in d[2]]
    production = [d for d in deploys if "--prod" in d[2]]
    if not previews:
        found.append(f"{path.name}: no deploy preview (netlify deploy without --prod)")
    if not production:
        found.append(f"{path.name}: no production deploy (netlify deploy --prod)")
    for job, step, run in deploys:
        found += _deploy_problems(path.name, workflow, job, step, run)

    for secret in ("NETLIFY_AUTH_TOKEN", "NETLIFY_SITE_ID"):
        if f"secrets.{secret}" not in text:
            found.append(f"{path.name}: never reads the secret {secret}")
    if re.search(r"--auth[= ]+(?!\$)", text) or re.search(
            r"NETLIFY_AUTH_TOKEN:\s*(?!\$\{\{\s*secrets\.)\S", text):
        found.append(f"{path.name}: NETLIFY_AUTH_TOKEN is written out instead of "
                     "read from secrets")
    return found


def _deploy_problems(name: str, workflow: dict, job: str, step: dict,
                     run: str) -> list[str]:
    found = []
    if "--dir=public" not in run and "--dir public" not in run:
        found.append(f"{name}: '{run.strip()}' does not deploy public/")
    job_data = workflow["jobs"][job]
    condition = f"{job_data.get('if', '')} {step.get('if', '')}"
    if "--prod" in run and "refs/heads/main" not in condition:
        found.append(f"{name}: the production deploy is not limited to main "
                     "(add if: github.ref == 'refs/heads/main')")
    if "--prod" not in run and "pull_request" not in condition:
        found.append(f"{name}: the preview deploy is not limited to pull requests")
    needs = job_data.get("needs", [])
    tests_here = any("make test" in s.get("run", "") for s in job_data["steps"])
    if not needs and not tests_here:
        found.append(f"{name}: job '{job}' deploys without waiting for the tests "
                     "(add needs: <the test job>)")
    return found


def main(argv: list[str]) -> int:
    """Print the weight of each article page: ``gates.py weight FOLDER``."""
    if len(argv) != 2 or argv[0] != "weight":
        print("usage: python tests/gates.py weight FOLDER", file=sys.stderr)
        return 2
    for weight in article_weights(Path(argv[1]).resolve()):
        print(weight)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
