"""The LLM post's widgets in Chromium: operated by mouse and keyboard, checked
against the committed data.

Every number a widget shows is compared with its file under ``data/``:
percentages to the one decimal they are shown with (within 0.05 points),
other values to their shown decimals. With JavaScript off, each widget must
show the state the build rendered from the same data.
"""

from __future__ import annotations

import json
import math
import re

import pytest
from support import REPO

pytestmark = pytest.mark.browser

POST = "llm-probability-engines"
DATA = REPO / "data" / "widgets" / POST
WIDGETS = ("tokenizer-intro", "next-token-cat", "formula-next-token", "softmax-cat",
           "cross-entropy-lazy", "cross-entropy-windowsill", "attention-animal",
           "temperature-story", "next-token-australia", "next-token-mars")


def stored(widget_id: str) -> dict:
    """Return the committed payload of one widget."""
    return json.loads((DATA / f"{widget_id}.json").read_text(encoding="utf-8"))["data"]


def assert_percent(shown: str, p: float) -> None:
    """Check a percentage as the widgets format it against a probability."""
    shown = shown.strip()
    if shown == "<0.1%":
        assert p < 0.0005, (shown, p)
        return
    assert shown.endswith("%"), shown
    assert abs(float(shown[:-1]) - p * 100) <= 0.05 + 1e-9, (shown, p)


def texts(locator) -> list[str]:
    return [t.strip() for t in locator.all_inner_texts()]


@pytest.fixture
def post(page, site_url):
    """Open the LLM post with JavaScript on, once every widget has started."""
    page.goto(f"{site_url}/posts/{POST}/")
    for widget_id in WIDGETS:
        page.wait_for_selector(f"#{widget_id}[data-ready='true']", timeout=10_000)
    yield page
    assert page.problems == []


@pytest.fixture
def post_nojs(page_nojs, site_url):
    """Open the LLM post with JavaScript off."""
    page_nojs.goto(f"{site_url}/posts/{POST}/")
    return page_nojs


def mulberry32(seed: int):
    """Return the widget's PRNG, mulberry32, in Python (32-bit arithmetic)."""
    mask = 0xFFFFFFFF
    state = seed & mask

    def imul(a: int, b: int) -> int:
        return (a * b) & mask

    def draw() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & mask
        t = imul(state ^ (state >> 15), state | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & mask
        return ((t ^ (t >> 14)) & mask) / 4294967296

    return draw


# -- next-token ----------------------------------------------------------------


def check_bars(root, step: dict) -> None:
    bars = root.locator(".nt__bar")
    shown = texts(bars.locator(".nt__token"))
    assert shown == [c["display"] for c in step["candidates"]]
    for shown, c in zip(texts(bars.locator(".nt__p")), step["candidates"]):
        assert_percent(shown, c["p"])
    assert_percent(root.locator(".nt__rest .nt__p").inner_text(), step["rest"])


@pytest.mark.parametrize("widget_id", ["next-token-cat", "next-token-mars"])
def test_next_token_press_appends_each_greedy_token_then_reset_clears(post, widget_id):
    data = stored(widget_id)
    steps = data["steps"]
    root = post.locator(f"#{widget_id}")
    button = root.get_by_role("button", name="Predict next token")
    check_bars(root, steps[0])

    for k in range(1, len(steps) + 1):
        if k % 2:
            button.click()
        else:
            button.focus()
            post.keyboard.press("Enter")
        generated = root.locator("[data-role='generated']").inner_text()
        assert generated == "".join(s["chosen"]["text"] for s in steps[:k])
        check_bars(root, steps[min(k, len(steps) - 1)])
        assert root.locator("[data-role='count']").inner_text() == (
            f"{k} of {len(steps)} tokens added")

    assert button.is_disabled()
    root.get_by_role("button", name="Reset").click()
    assert root.locator("[data-role='generated']").inner_text() == ""
    check_bars(root, steps[0])
    assert root.locator(".nt__bar.is-chosen .nt__token").inner_text() == (
        steps[0]["chosen"]["display"])


# -- tokenizer -------------------------------------------------------------------


def test_tokenizer_arrow_keys_walk_the_tokens_and_show_their_ids(post):
    data = stored("tokenizer-intro")
    root = post.locator("#tokenizer-intro")
    chips = root.locator(".tok__chip")
    detail = root.locator("[data-role='detail']")

    assert texts(chips.locator(".tok__id")) == [str(t["id"]) for t in data["tokens"]]
    chips.first.click()
    assert f"id {data['tokens'][0]['id']}," in detail.inner_text()

    post.keyboard.press("ArrowRight")
    second = data["tokens"][1]
    assert detail.inner_text().startswith(f"Token 2 of {len(data['tokens'])}")
    assert f"id {second['id']}, characters {second['start']}\u2013{second['end']}" in (
        detail.inner_text())
    assert root.locator(".tok__seg.is-active").inner_text() == (
        data["text"][second["start"]:second["end"]])

    post.keyboard.press("End")
    assert f"id {data['tokens'][-1]['id']}," in detail.inner_text()
    post.keyboard.press("Home")
    assert chips.first.get_attribute("aria-selected") == "true"

    root.locator(".tok__seg").nth(3).click()
    assert chips.nth(3).get_attribute("aria-selected") == "true"


# -- softmax -------------------------------------------------------------------------


def column(root, field: str) -> list[str]:
    return texts(root.locator(f"tbody [data-field='{field}']"))


def test_softmax_next_step_reveals_the_real_numbers_in_order(post):
    data = stored("softmax-cat")
    rows = data["candidates"]
    root = post.locator("#softmax-cat")
    button = root.get_by_role("button", name="Next step")

    assert root.locator("tbody [data-field='logit']").first.is_visible()
    assert not root.locator("tbody [data-field='exp']").first.is_visible()
    assert [float(v) for v in column(root, "logit")] == [
        round(r["logit"], 3) for r in rows]

    button.click()
    assert root.locator("tbody [data-field='exp']").first.is_visible()
    for shown, r in zip(column(root, "exp"), rows):
        assert float(shown) == pytest.approx(r["exp"], abs=5e-5)
    assert not root.locator("[data-field='sum_shown']").is_visible()

    button.click()
    assert float(root.locator("[data-field='sum_shown']").inner_text()) == (
        pytest.approx(data["sum_shown"], abs=5e-5))

    button.click()
    for shown, r in zip(column(root, "p_shown"), rows):
        assert_percent(shown, r["p_shown"])
    assert not root.locator("tbody [data-field='p_full']").first.is_visible()

    button.click()
    for shown, r in zip(column(root, "p_full"), rows):
        assert_percent(shown, r["p_full"])
    note = root.locator(".sm__note")
    assert note.is_visible()
    assert_percent(note.locator("[data-field='rest']").inner_text(), data["rest"])
    assert button.is_disabled()
    assert str(f"{data['sum_full']:.4f}") in root.locator(
        "[data-role='status']").inner_text()

    root.get_by_role("button", name="Start over").click()
    assert not root.locator("tbody [data-field='exp']").first.is_visible()


# -- cross-entropy ---------------------------------------------------------------


def readout_loss(root) -> tuple[int, float]:
    """Return (slider percent, loss shown in the readout)."""
    percent = int(root.locator("[data-role='slider']").input_value())
    text = root.locator("[data-role='readout']").inner_text()
    loss = float(re.search(r"= ([0-9.]+) nats", text).group(1))
    return percent, loss


@pytest.mark.parametrize("widget_id",
                         ["cross-entropy-lazy", "cross-entropy-windowsill"])
def test_cross_entropy_slider_shows_minus_ln_p_by_key_and_by_drag(post, widget_id):
    data = stored(widget_id)
    root = post.locator(f"#{widget_id}")
    slider = root.locator("[data-role='slider']")

    assert_percent(root.locator("[data-field='p']").inner_text(), data["p"])
    assert float(root.locator("[data-field='loss']").inner_text()) == pytest.approx(
        data["loss"], abs=5e-4)
    start = max(1, min(99, round(data["p"] * 100)))
    assert readout_loss(root)[0] == start

    slider.focus()
    post.keyboard.press("Home")
    assert readout_loss(root) == (1, pytest.approx(-math.log(0.01), abs=5e-4))
    post.keyboard.press("End")
    post.keyboard.press("ArrowLeft")
    assert readout_loss(root) == (98, pytest.approx(-math.log(0.98), abs=5e-4))

    box = slider.bounding_box()
    post.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
    post.mouse.down()
    post.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2,
                    steps=5)
    post.mouse.up()
    percent, loss = readout_loss(root)
    assert 40 <= percent <= 80
    assert loss == pytest.approx(-math.log(percent / 100), abs=5e-4)
    assert f"{percent}%" in root.locator("[data-role='value']").inner_text()

    root.get_by_role("button", name="Back to the model's value").click()
    assert readout_loss(root)[0] == start


# -- attention -------------------------------------------------------------------


def check_row(root, data: dict, layer: int, head: int, query: int) -> None:
    items = root.locator(".att__item")
    row = data["weights"][layer][head][query]
    assert items.count() == len(data["tokens"])
    for j, shown in enumerate(texts(root.locator(".att__item .att__p"))):
        assert_percent(shown, row[j])
    masked = root.locator(".att__item.is-masked").count()
    assert masked == len(data["tokens"]) - query - 1
    heading = root.locator("[data-role='heading']").inner_text()
    assert f"(token {query + 1}) in layer {layer + 1}, head {head + 1}" in heading
    cell = root.locator(f".att__cell[data-row='{query}'][data-col='0']")
    assert float(cell.get_attribute("fill-opacity")) == pytest.approx(row[0], abs=1e-3)


def test_attention_selectors_tokens_and_map_show_each_heads_real_row(post):
    data = stored("attention-animal")
    n = len(data["tokens"])
    default, q = data["default"], data["query"]["index"]
    root = post.locator("#attention-animal")
    check_row(root, data, default["layer"], default["head"], q)
    masked = root.locator(".att__cell--masked")
    assert masked.count() == n * (n - 1) // 2
    assert all(f.startswith("url(#") for f in
               masked.evaluate_all("cells => cells.map(c => c.getAttribute('fill'))"))

    root.locator("[data-role='layer']").focus()
    post.keyboard.press("Home")
    root.locator("[data-role='head']").focus()
    post.keyboard.press("End")
    check_row(root, data, 0, data["heads"] - 1, q)
    post.keyboard.press("ArrowLeft")
    check_row(root, data, 0, data["heads"] - 2, q)

    root.locator(".att__token").nth(1).click()
    check_row(root, data, 0, data["heads"] - 2, 1)
    assert root.locator(".att__token").nth(1).get_attribute("aria-pressed") == "true"

    root.locator(f".att__cell[data-row='{n - 1}'][data-col='0']").click()
    check_row(root, data, 0, data["heads"] - 2, n - 1)

    root.get_by_role("button", name="Back to layer").click()
    check_row(root, data, default["layer"], default["head"], n - 1)
    layer = root.locator("[data-role='layer']").input_value()
    assert layer == str(default["layer"] + 1)


# -- temperature -----------------------------------------------------------------


def check_temperature(root, data: dict, row: dict, label: str) -> None:
    values = [*row["p"], row["rest"]]
    shown = texts(root.locator(".tp__bar .tp__p"))
    assert len(shown) == len(values)
    for text, p in zip(shown, values):
        assert_percent(text, p)
    assert root.locator("[data-role='t']").inner_text() == f"{row['t']:.2f}"
    assert root.locator("[data-role='label']").inner_text() == label
    assert float(root.locator("[data-role='entropy']").inner_text()) == (
        pytest.approx(row["entropy"], abs=5e-4))


def test_temperature_slider_reshapes_and_the_seeded_sampler_repeats(post):
    data = stored("temperature-story")
    grid = data["grid"]
    root = post.locator("#temperature-story")
    slider = root.locator("[data-role='slider']")
    check_temperature(root, data, next(r for r in grid if r["t"] == 1.0), "balanced")

    slider.focus()
    post.keyboard.press("Home")
    check_temperature(root, data, grid[0], "nearly deterministic")
    post.keyboard.press("End")
    check_temperature(root, data, grid[-1], "chaotic")
    post.keyboard.press("ArrowLeft")
    check_temperature(root, data, grid[-2], "chaotic")

    slider.fill("0.8")
    row = next(r for r in grid if r["t"] == 0.8)
    check_temperature(root, data, row, "balanced")

    draw = mulberry32(data["seed"])
    sample = root.get_by_role("button", name="Sample a token")
    for _ in range(6):
        sample.click()
    draws = root.locator("[data-role='draws'] li")
    expected = []
    for _ in range(6):
        u, total, pick = draw(), 0.0, -1
        for i, p in enumerate(row["p"]):
            total += p
            if u < total:
                pick = i
                break
        expected.append((u, pick))
    shown = [(float(li.get_attribute("data-u")), int(li.get_attribute("data-pick")))
             for li in draws.all()]
    assert shown == expected[::-1]
    newest = draws.first.inner_text()
    u, pick = expected[-1]
    assert f"(u = {u:.4f})" in newest
    assert newest.endswith(data["candidates"][pick]["display"] if pick >= 0
                           else "tokens")

    root.get_by_role("button", name="Restart the sampler").click()
    assert draws.count() == 0
    sample.click()
    assert float(draws.first.get_attribute("data-u")) == expected[0][0]


# -- formula ---------------------------------------------------------------------


def test_formula_reveals_terms_and_explains_each_on_focus_and_hover(post):
    from precompute.tasks.formula import DEFAULT_TERMS

    root = post.locator("#formula-next-token")
    terms = root.locator(".fm__term")
    notes = root.locator(".fm__note")
    tip = root.locator("[data-role='tip']")
    assert notes.count() == terms.count() == len(DEFAULT_TERMS)
    assert [n.is_visible() for n in notes.all()] == [True] + [False] * (
        len(DEFAULT_TERMS) - 1)

    root.get_by_role("button", name="Next term").click()
    post.keyboard.press("Space")
    assert [n.is_visible() for n in notes.all()][:3] == [True, True, True]
    assert root.locator("[data-role='count']").inner_text() == (
        f"3 of {len(DEFAULT_TERMS)} terms")

    terms.nth(1).focus()
    assert tip.is_visible()
    assert DEFAULT_TERMS[1]["explanation"] in tip.inner_text()
    described = terms.nth(1).get_attribute("aria-describedby")
    assert DEFAULT_TERMS[1]["explanation"] in post.locator(f"#{described}").inner_text()
    post.keyboard.press("Escape")
    assert not tip.is_visible()

    terms.nth(2).hover()
    assert DEFAULT_TERMS[2]["explanation"] in tip.inner_text()
    assert terms.nth(4).get_attribute("tabindex") == "-1"

    root.get_by_role("button", name="Show all").click()
    assert all(n.is_visible() for n in notes.all())
    assert terms.nth(4).get_attribute("tabindex") == "0"
    root.get_by_role("button", name="Start over").click()
    assert sum(n.is_visible() for n in notes.all()) == 1


# -- without JavaScript ------------------------------------------------------------


def test_without_javascript_every_widget_shows_its_default_state(post_nojs):
    page = post_nojs
    for widget_id in WIDGETS:
        root = page.locator(f"#{widget_id}")
        assert root.is_visible(), widget_id
        for control in root.locator("button, input").all():
            assert not control.is_visible(), widget_id

    for widget_id in ("next-token-cat", "next-token-australia", "next-token-mars"):
        check_bars(page.locator(f"#{widget_id}"), stored(widget_id)["steps"][0])

    tokens = stored("tokenizer-intro")["tokens"]
    root = page.locator("#tokenizer-intro")
    assert texts(root.locator(".tok__piece")) == [t["display"] for t in tokens]
    assert texts(root.locator(".tok__id")) == [str(t["id"]) for t in tokens]

    data = stored("softmax-cat")
    root = page.locator("#softmax-cat")
    for shown, r in zip(column(root, "p_full"), data["candidates"]):
        assert_percent(shown, r["p_full"])
    for shown, r in zip(column(root, "p_shown"), data["candidates"]):
        assert_percent(shown, r["p_shown"])

    for widget_id in ("cross-entropy-lazy", "cross-entropy-windowsill"):
        data = stored(widget_id)
        root = page.locator(f"#{widget_id}")
        assert_percent(root.locator("[data-field='p']").inner_text(), data["p"])
        assert root.locator("[data-field='loss']").inner_text() == f"{data['loss']:.3f}"

    data = stored("attention-animal")
    root = page.locator("#attention-animal")
    check_row(root, data, data["default"]["layer"], data["default"]["head"],
              data["query"]["index"])

    data = stored("temperature-story")
    check_temperature(page.locator("#temperature-story"), data,
                      next(r for r in data["grid"] if r["t"] == 1.0), "balanced")

    notes = page.locator("#formula-next-token .fm__note")
    assert all(n.is_visible() for n in notes.all()) and notes.count() == 5
