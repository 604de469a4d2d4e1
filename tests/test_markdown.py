"""The Markdown dialect: CommonMark as markdown-it-py writes it, plus our extensions.

generator/markdown.py parses with markdown-it-pyrs and writes the HTML
itself. For plain CommonMark its output must be what markdown-it-py, the
reference it replaced, writes; the extensions (math, callouts, attributes,
footnotes, heading ids, figures) are checked one by one, with the lines their
errors name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from generator import markdown
from generator.errors import Problems

#: Plain CommonMark whose HTML needs none of our rules (no h2–h4, code,
#: tables, images or outside links), so both writers must agree byte for byte.
COMMONMARK = {
    "paragraphs and breaks": (
        "One line\nand a soft break.  \nA hard one\\\nand another.\n\nNext."),
    "emphasis": "*em* **strong** ***both*** _under_score_ **nested *em* in**",
    "tight list": "- a\n- b\n  - c\n  - d\n- e",
    "loose list": "- a\n\n- b\n\n  more b\n- c",
    "ordered lists": "3. three\n4. four\n\n1) one\n\n7. seven\n   > quoted",
    "empty item": "- \n- b",
    "block quote": "> quote\n> - list\n>\n> para\n\n> lazy\ncontinuation",
    "raw html": '<div class="x">\n*raw*\n</div>\n\ninline <span>html</span> <!-- c -->',
    "entities and escapes": "&copy; &amp; &#35; &nbsp; \\* \\_ \\` <tag> \"q\" 'a'",
    "reference links": (
        "[ref][r], [r] and [text](/p \"Title\")\n\n[r]: /a?b=1&c=2 \"T\""),
    "level 1, 5 and 6 headings": "# One\n\n##### Five\n\n###### Six\n\nSetext\n======",
    "thematic breaks": "a\n\n***\n\n- - -\n\nb",
    "strikethrough": "~~gone~~ and ~one~",
    "tight item with a block": "- a\n  > q\n  b\n- c",
    "code spans": "`a` `` b`c `` ` d `",
    "unicode": "Grüße, naïve café — “quotes” → ∑",
}


def reference(text: str) -> str:
    md = MarkdownIt("commonmark", {"html": True, "xhtmlOut": False})
    return md.enable(["table", "strikethrough"]).render(text)


def render(text: str, tmp_path: Path, widgets=frozenset(), hook=None):
    """Return (html, state, problems) for ``text`` as a post's body from line 5."""
    problems = Problems(tmp_path)
    state = markdown.RenderState(path=tmp_path / "index.md", line_offset=5,
                                 problems=problems, widget_kinds=widgets,
                                 widget_hook=hook)
    return markdown.render(markdown.create_markdown(), text, state), state, problems


def messages(problems: Problems) -> list[tuple[int, str]]:
    return sorted((item.line, item.message) for item in problems.items)


@pytest.mark.parametrize("name", COMMONMARK)
def test_plain_commonmark_is_written_as_markdown_it_py_writes_it(name, tmp_path):
    html, _, problems = render(COMMONMARK[name], tmp_path)
    assert html == reference(COMMONMARK[name])
    assert not problems.items


def test_inline_math_follows_pandoc_so_prices_stay_text(tmp_path):
    html, _, _ = render(r"It costs $5 and $10, \$3 or $x_1 * y_2$ `$HOME`.", tmp_path)
    assert html.count("<math") == 1
    assert "<msub><mi>x</mi><mn>1</mn></msub>" in html  # the _ is not emphasis
    assert "costs $5 and $10, $3 or" in html
    assert "<code>$HOME</code>" in html


def test_display_math_interrupts_a_paragraph_and_keeps_later_lines(tmp_path):
    text = "Before\n$$\n\\frac{a}{b}\n$$\nafter ![x](gone.png)"
    html, _, problems = render(text, tmp_path)
    assert html.startswith("<p>Before</p>\n<div class=\"math\"><math")
    assert "<p>after" in html
    # line 5 of the body is line 9 of the file (the body starts on line 5)
    assert messages(problems) == [(9, ("image 'gone.png' not found next to index.md; "
                                      "put the file there or correct the path"))]


def test_math_in_fenced_code_and_raw_html_is_left_alone(tmp_path):
    html, _, _ = render("```\n$a$ and\n$$\n```\n\n<p>$b$</p>", tmp_path)
    assert "<math" not in html and "$a$ and\n$$" in html and "<p>$b$</p>" in html


def test_bad_latex_is_reported_at_its_line(tmp_path):
    _, _, problems = render("Fine $x$.\n\nBad $\\nosuch{x}$ here.", tmp_path)
    assert [line for line, _ in messages(problems)] == [7]
    assert "\\nosuch" in messages(problems)[0][1]


def test_callouts_hold_blocks_and_take_a_title(tmp_path):
    text = "::: warning Mind the *gap*\n- one\n- two\n\nPara.\n:::\n\nAfter."
    html, _, problems = render(text, tmp_path)
    assert html == (
        '<aside class="callout callout--warning"><p class="callout__title">'
        'Mind the *gap*</p><div class="callout__body">\n<ul>\n<li>one</li>\n'
        "<li>two</li>\n</ul>\n<p>Para.</p>\n</div></aside>\n<p>After.</p>\n")
    assert not problems.items


def test_a_callout_fence_does_not_turn_math_after_it_into_code(tmp_path):
    # Parsed as it stands, the tab-indented line continues the paragraph
    # "::: note"; once the fence is a callout, the line is indented code.
    html, _, _ = render("::: note\n\t$t$\n:::", tmp_path)
    assert "<code>$t$\n</code>" in html and "<math" not in html


def test_callout_fences_inside_code_are_text(tmp_path):
    html, _, problems = render("```\n::: note\n:::\n```", tmp_path)
    assert "callout" not in html and "::: note\n:::" in html
    assert not problems.items


def test_callout_mistakes_are_reported_at_their_lines(tmp_path):
    text = "::: tip\nx\n:::\n\n:::\n\n::: note\nnever closed"
    _, _, problems = render(text, tmp_path)
    assert messages(problems) == [
        (5, ("unknown callout 'tip'; callouts are note, key, warning "
             "(write '::: note')")),
        (9, ("':::' closes no callout; remove it or open one with '::: note' "
            "(callouts start at the margin, outside lists and quotes)")),
        (11, "'::: note' is never closed; end the callout with a line of ':::'"),
    ]


def test_attributes_on_headings_images_links_and_blocks(tmp_path):
    text = ("## Title {.wide #intro}\n\n![x](https://e.org/p.png){.wide #pic}\n\n"
            "[a](/p){.cls}\n\n{#note .aside}\nA paragraph.")
    html, state, _ = render(text, tmp_path)
    assert '<h2 id="intro" class="wide">Title</h2>' in html
    assert 'id="pic"' in html and 'class="wide"' in html and "{" not in html
    assert '<a href="/p" class="cls">a</a>' in html
    assert '<p id="note" class="aside">A paragraph.</p>' in html
    assert state.headings == [(2, "intro", "Title")]


def test_attributes_work_in_tight_list_items_too(tmp_path):
    html, _, _ = render("- [a](/p){.cls} and `x`{.k}\n- b", tmp_path)
    assert html == ('<ul>\n<li><a href="/p" class="cls">a</a> and '
                    '<code class="k">x</code></li>\n<li>b</li>\n</ul>\n')


def test_braces_with_no_block_after_them_stay_text(tmp_path):
    html, _, _ = render("{}\n\nA paragraph.\n\n{.lost}", tmp_path)
    assert html == "<p>{}</p>\n<p>A paragraph.</p>\n<p>{.lost}</p>\n"


def test_heading_ids_are_unique_and_explicit_ids_are_reserved_first(tmp_path):
    text = "## Dup\n\n## Dup\n\n### Dup {#dup-1}\n\n#### `code` and $x$"
    html, state, _ = render(text, tmp_path)
    assert [ident for _, ident, _ in state.headings] == ["dup", "dup-2", "dup-1",
                                                         "code-and-"]
    assert state.headings[-1][2] == "code and x"  # the contents keep the math
    assert html.count(' id="dup') == 3


def test_footnotes_are_numbered_by_first_reference(tmp_path):
    text = "A[^y] b[^x] c[^y].\n\n[^x]: Ex.\n[^y]: Why.\n[^z]: Never used."
    html, _, _ = render(text, tmp_path)
    assert '<a href="#fn1" id="fnref1">[1]</a>' in html
    assert '<a href="#fn1" id="fnref1:1">[1:1]</a>' in html
    assert '<li id="fn1" class="footnote-item"><p>Why. <a href="#fnref1" ' in html
    assert 'href="#fnref1:1" class="footnote-backref"' in html
    assert html.index('id="fn1"') < html.index('id="fn2"')
    assert "Never used" not in html


def test_external_links_get_noopener_and_every_link_its_line(tmp_path):
    text = "See [one](/a) and\n[two](https://e.org/) and <https://f.org>."
    html, state, _ = render(text, tmp_path)
    assert '<a href="https://e.org/" rel="noopener">two</a>' in html
    assert state.links == [("/a", 5), ("https://e.org/", 6), ("https://f.org", 6)]


def test_widgets_and_fences_are_met_in_the_same_order(tmp_path):
    text = "```echo\na: 1\n```\n\n::: note\n```python\nx\n```\n```echo\nb: 2\n```\n:::"
    seen = []

    def hook(kind, body, line, state):
        seen.append((kind, body, line))
        return "<widget>\n"

    html, _, _ = render(text, tmp_path, frozenset({"echo"}), hook)
    assert seen == [("echo", "a: 1\n", 5), ("echo", "b: 2\n", 13)]
    assert html.count("<widget>") == 2 and 'class="highlight"' in html
    fences = markdown.fences(markdown.create_markdown(), text)
    assert [(info, line + 4) for info, _, line in fences if info == "echo"] == [
        ("echo", 5), ("echo", 13)]


def test_a_titled_image_alone_is_a_figure(tmp_path):
    html, _, _ = render('![Alt](https://e.org/a.png "Caption")\n\n'
                        "![Inline](https://e.org/b.png) with text", tmp_path)
    assert html.startswith('<figure>\n<img src="https://e.org/a.png" alt="Alt"')
    assert "<figcaption>Caption</figcaption></figure>" in html
    assert '<p><img src="https://e.org/b.png" alt="Inline"' in html


#: Pieces that meet in odd ways: fences inside lists and quotes, math next
#: to code, unclosed blocks, footnotes without definitions.
PIECES = (
    "# h", "## h2 {#x}", "text *em* **st**", "- a\n- b", "1. x\n2. y", "> q",
    "```python\nx=1\n```", "```\n:::\n$$\n```", "::: note", ":::", "::: key T",
    "::: bogus", "$$", "$$ x $$", "$x$", "$a_1$ and $b$", "\\$5", "[^1]",
    "[^1]: note", "| a | b |\n|---|---|\n| 1 | 2 |", "![i](x.png)", "![v](v.mp4)",
    "[l](http://e.org){.c}", "{#id}", "<div>\nraw\n</div>", "    code", "---",
    "Setext\n===", "  - nested", "<!-- c -->", "`$code$`", "[ref]: /u", "[ref]",
    "<http://a.b>", "a  \nb", "~~s~~", "  ::: note", "- ::: note\n  x\n  :::",
    "> ::: warning\n> x\n> :::", "$$\na\n\nb\n$$", "x $y\nz$ w", "\t$t$", "é ü $α$",
)


def test_any_mix_of_pieces_renders_and_names_lines_inside_the_text(tmp_path):
    import random

    rng = random.Random(6)
    for _ in range(400):
        text = "\n".join(rng.choice(PIECES) + rng.choice(("", "\n"))
                         for _ in range(rng.randint(1, 12)))
        html, _, problems = render(text, tmp_path, frozenset({"echo"}),
                                   lambda *args: "<widget>")
        assert not set(html) & {"\ue000", "\ue001", "\ue002", "\ue003"}, text
        lines = text.count("\n") + 1
        assert all(5 <= item.line < 5 + lines for item in problems.items), text
