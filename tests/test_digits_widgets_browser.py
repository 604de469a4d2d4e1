"""Drive the five distillation widgets in Chromium and check what they show.

Every expected number is computed here from the payload the page itself
fetched (the file behind the widget's ``data-src`` in the built site), then
formatted the way the widget's template and script format it, so a widget
that shows a stale, rounded-twice or mislabelled number fails.
"""

from __future__ import annotations

import json
import math

import pytest

pytestmark = pytest.mark.browser

POST = "/posts/knowledge-distillation/"


def pct(p: float) -> str:
    """Format an accuracy or probability as the widgets do."""
    return f"{p * 100:.1f}%"


def small_pct(p: float) -> str:
    """Format a probability as soft-targets does (tiny ones as <0.1%)."""
    return "<0.1%" if p < 0.0005 else pct(p)


def softmax(logits: list[float], t: float) -> list[float]:
    top = max(logits)
    e = [math.exp((z - top) / t) for z in logits]
    return [x / sum(e) for x in e]


def payload(site_dir, page, widget_id: str) -> dict:
    """Return the JSON the page's widget ``widget_id`` fetched."""
    src = page.get_attribute(f"#{widget_id}", "data-src")
    return json.loads((site_dir / src.lstrip("/")).read_text())


def open_post(page, site_url: str) -> None:
    page.goto(site_url + POST)
    for widget_id in ("teacher-logits", "curves", "grid", "unseen-digit",
                      "loss-terms"):
        page.wait_for_selector(f"#{widget_id}[data-ready=true]")
    assert page.problems == []


def texts(page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


# soft-targets -----------------------------------------------------------------


def test_soft_targets_default_state_shows_the_first_digit_without_js(
        site_dir, site_url, page_nojs):
    page_nojs.goto(site_url + POST)
    data = payload(site_dir, page_nojs, "teacher-logits")
    image = data["images"][3]
    assert page_nojs.locator("#teacher-logits [data-role=picker]").is_hidden()
    assert page_nojs.locator("#teacher-logits [data-role=controls]").is_hidden()
    shown = texts(page_nojs, "#teacher-logits tr[data-digit] [data-field=p]")
    assert shown == [small_pct(p) for p in image["probabilities"]]
    assert f"A test {image['label']}" in page_nojs.inner_text("#teacher-logits")


def test_soft_targets_slider_softens_the_stored_logits_like_python(
        site_dir, site_url, page):
    open_post(page, site_url)
    data = payload(site_dir, page, "teacher-logits")
    page.click("#teacher-logits .st__pick[data-index='8']")
    page.fill("#teacher-logits input[type=range]", "4")
    image = data["images"][8]
    expected = softmax(image["logits"], 4.0)
    shown = texts(page, "#teacher-logits tr[data-digit] [data-field=p]")
    assert shown == [small_pct(p) for p in expected]
    logits = texts(page, "#teacher-logits tr[data-digit] [data-field=logit]")
    assert logits == [f"{z:.2f}" for z in image["logits"]]
    top = ", ".join(f"{k} ({small_pct(expected[k])})" for k in image["ranking"][:3])
    assert page.inner_text("#teacher-logits [data-field=top]") == top
    assert page.get_attribute("#teacher-logits .st__pick[data-index='8']",
                              "aria-pressed") == "true"
    assert page.get_attribute("#teacher-logits .st__pick[data-index='3']",
                              "aria-pressed") == "false"
    assert page.locator("#teacher-logits tr.st__true th").inner_text() == "8"


def test_soft_targets_picked_image_is_drawn_from_its_own_pixels(
        site_dir, site_url, page):
    open_post(page, site_url)
    data = payload(site_dir, page, "teacher-logits")
    page.click("#teacher-logits .st__pick[data-index='5']")
    inked = page.eval_on_selector_all(
        "#teacher-logits .st__big .st__ink",
        "(rs) => rs.map((r) => [Number(r.getAttribute('x')), "
        "Number(r.getAttribute('y'))])")
    pixels = data["images"][5]["pixels"]
    assert inked == [[i % 8, i // 8] for i, v in enumerate(pixels) if v]


def test_soft_targets_temperature_steps_by_keyboard(site_dir, site_url, page):
    open_post(page, site_url)
    data = payload(site_dir, page, "teacher-logits")
    page.focus("#teacher-logits input[type=range]")
    page.keyboard.press("ArrowRight")
    t = data["temperature"] + 0.5
    assert page.inner_text("#teacher-logits .st__t") == f"T\u00a0=\u00a0{t:g}"
    expected = softmax(data["images"][3]["logits"], t)
    shown = texts(page, "#teacher-logits tr[data-digit] [data-field=p]")
    assert shown == [small_pct(p) for p in expected]


# training-curves --------------------------------------------------------------


def readings(page) -> dict[str, str]:
    items = page.locator("#curves .tc__readings li:visible")
    return {item.get_attribute("data-series"): item.locator("strong").inner_text()
            for item in items.all()}


def test_training_curves_default_state_reads_the_last_epoch_without_js(
        site_dir, site_url, page_nojs):
    page_nojs.goto(site_url + POST)
    data = payload(site_dir, page_nojs, "curves")
    assert page_nojs.locator("#curves [data-role=toggles]").is_hidden()
    assert page_nojs.locator("#curves [data-role=controls]").is_hidden()
    assert page_nojs.inner_text("#curves [data-field=epoch]") == str(data["epochs"])
    assert readings(page_nojs) == {s["id"]: pct(s["accuracy"][-1])
                                   for s in data["series"]}
    full = page_nojs.locator("#curves [data-domain=full] polyline")
    assert full.count() == len(data["series"])
    assert page_nojs.get_attribute("#curves [data-domain=zoom]", "display") == "none"
    # Each line has one point per epoch.
    points = full.first.get_attribute("points").split()
    assert len(points) == len(data["series"][0]["accuracy"])


def test_training_curves_epoch_slider_reads_exact_values_by_keyboard(
        site_dir, site_url, page):
    open_post(page, site_url)
    data = payload(site_dir, page, "curves")
    page.focus("#curves input[type=range]")
    page.keyboard.press("Home")
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    assert page.inner_text("#curves [data-field=epoch]") == "10"
    assert readings(page) == {s["id"]: pct(s["accuracy"][9]) for s in data["series"]}


def test_training_curves_hover_moves_the_readout_to_that_epoch(
        site_dir, site_url, page):
    open_post(page, site_url)
    data = payload(site_dir, page, "curves")
    svg = page.locator("#curves svg.tc__chart")
    svg.scroll_into_view_if_needed()
    box = svg.bounding_box()
    left, width = (float(svg.get_attribute(a)) for a in ("data-left", "data-width"))
    view_width = page.eval_on_selector("#curves svg.tc__chart",
                                       "(s) => s.viewBox.baseVal.width")
    epochs = int(svg.get_attribute("data-epochs"))
    epoch = 30
    x = left + (epoch - 1) / (epochs - 1) * width
    page.mouse.move(box["x"] + x / view_width * box["width"],
                    box["y"] + box["height"] / 2)
    assert page.inner_text("#curves [data-field=epoch]") == str(epoch)
    assert readings(page) == {s["id"]: pct(s["accuracy"][epoch - 1])
                              for s in data["series"]}
    cursor = float(page.get_attribute("#curves [data-role=cursor]", "x1"))
    assert cursor == pytest.approx(x, abs=0.1)


def test_training_curves_legend_buttons_hide_and_show_a_curve(
        site_dir, site_url, page):
    open_post(page, site_url)
    button = page.locator("#curves .tc__toggle[data-series=soft]")
    line = page.locator("#curves [data-domain=full] polyline[data-series=soft]")
    assert button.get_attribute("aria-pressed") == "true"
    button.click()
    assert button.get_attribute("aria-pressed") == "false"
    assert line.is_hidden()
    assert "soft" not in readings(page)
    button.click()
    assert button.get_attribute("aria-pressed") == "true"
    assert line.is_visible()
    assert "soft" in readings(page)


def test_training_curves_zoom_swaps_to_the_zoomed_copy_of_the_chart(
        site_url, page):
    open_post(page, site_url)
    zoom = page.locator("#curves [data-role=zoom]")
    zoom.click()
    assert zoom.get_attribute("aria-pressed") == "true"
    assert page.get_attribute("#curves [data-domain=full]", "display") == "none"
    assert page.get_attribute("#curves [data-domain=zoom]", "display") is None
    low = float(page.get_attribute("#curves [data-domain=zoom]", "data-y-min"))
    assert low > float(page.get_attribute("#curves [data-domain=full]",
                                          "data-y-min"))


# sweep ------------------------------------------------------------------------


def cells(page) -> list[str]:
    return [" ".join(t.split()) for t in texts(page, "#grid td[data-row]")]


def test_sweep_default_state_shows_mean_and_spread_without_js(
        site_dir, site_url, page_nojs):
    page_nojs.goto(site_url + POST)
    data = payload(site_dir, page_nojs, "grid")
    assert page_nojs.locator("#grid [data-role=controls]").is_hidden()
    assert cells(page_nojs) == [f"{pct(c['mean'])} ± {c['std'] * 100:.1f}"
                                for row in data["cells"] for c in row]
    baseline = " ".join(page_nojs.inner_text("#grid [data-role=baseline]").split())
    base = data["baseline"]
    assert f"{pct(base['mean'])} ± {base['std'] * 100:.1f}" in baseline
    assert f"{pct(base['min'])} to {pct(base['max'])}" in baseline


def test_sweep_view_buttons_switch_what_the_cells_say(site_dir, site_url, page):
    open_post(page, site_url)
    data = payload(site_dir, page, "grid")
    every = [c for row in data["cells"] for c in row]
    base = data["baseline"]["mean"]

    page.click("#grid [data-view=range]")
    assert cells(page) == [f"{pct(c['min'])} to {pct(c['max'])}" for c in every]
    assert page.get_attribute("#grid [data-view=range]", "aria-pressed") == "true"
    assert page.get_attribute("#grid [data-view=std]", "aria-pressed") == "false"

    page.click("#grid [data-view=delta]")

    def delta(c):
        text = f"{(c['mean'] - base) * 100:.2f}"
        if c["mean"] > base and text != "0.00":
            return f"+{text} pp"
        return f"{text.replace('-', '−')} pp"

    assert cells(page) == [delta(c) for c in every]

    page.click("#grid [data-view=std]")
    assert cells(page) == [f"{pct(c['mean'])} ± {c['std'] * 100:.1f}" for c in every]


# dark-knowledge ---------------------------------------------------------------


def test_dark_knowledge_default_state_shows_the_start_temperature_without_js(
        site_dir, site_url, page_nojs):
    page_nojs.goto(site_url + POST)
    data = payload(site_dir, page_nojs, "unseen-digit")
    row = next(r for r in data["distilled"] if r["temperature"] == 8)
    assert page_nojs.locator("#unseen-digit [data-role=controls]").is_hidden()
    assert page_nojs.inner_text("#unseen-digit [data-field=distilled-mean]") == (
        pct(row["unseen"]["mean"]))
    assert page_nojs.inner_text("#unseen-digit [data-field=hard-mean]") == (
        pct(data["hard"]["unseen"]["mean"]))
    width = float(page_nojs.get_attribute("#unseen-digit [data-role=distilled-bar]",
                                          "width"))
    assert width == pytest.approx(row["unseen"]["mean"] * 100, abs=0.01)


def test_dark_knowledge_slider_shows_each_temperature_next_to_hard_labels(
        site_dir, site_url, page):
    open_post(page, site_url)
    data = payload(site_dir, page, "unseen-digit")
    slider = page.locator("#unseen-digit input[type=range]")
    slider.focus()
    page.keyboard.press("Home")
    for index, row in enumerate(data["distilled"]):
        if index:
            page.keyboard.press("ArrowRight")
        t = f"{row['temperature']:g}"
        assert page.inner_text("#unseen-digit [data-field=temperature]") == t
        assert slider.get_attribute("aria-valuetext") == f"T = {t}"
        assert page.inner_text("#unseen-digit [data-field=distilled-mean]") == (
            pct(row["unseen"]["mean"]))
        low, high = row["unseen"]["min"], row["unseen"]["max"]
        assert page.inner_text("#unseen-digit [data-field=distilled-range]") == (
            f"every seed {pct(low)}" if low == high
            else f"seeds {pct(low)}–{pct(high)}")
        assert page.inner_text("#unseen-digit [data-field=hard-mean]") == (
            pct(data["hard"]["unseen"]["mean"]))
        current = page.locator("#unseen-digit tr.dk__current")
        assert current.get_attribute("data-index") == str(index)


# loss-blend -------------------------------------------------------------------


def blend_fields(page) -> dict[str, str]:
    names = ("ce", "hard", "soft-term", "soft", "total", "accuracy")
    return {n: page.inner_text(f"#loss-terms [data-field={n}]") for n in names}


def expected_blend(point: dict) -> dict[str, str]:
    hard = point["alpha"] * point["ce"]
    soft = (1 - point["alpha"]) * point["soft"]
    return {"ce": f"{point['ce']:.4f}", "hard": f"{hard:.4f}",
            "soft-term": f"{point['soft']:.4f}", "soft": f"{soft:.4f}",
            "total": f"{hard + soft:.4f}", "accuracy": pct(point["accuracy"])}


def test_loss_blend_default_state_has_the_formula_and_the_start_alpha_without_js(
        site_dir, site_url, page_nojs):
    page_nojs.goto(site_url + POST)
    data = payload(site_dir, page_nojs, "loss-terms")
    assert page_nojs.locator("#loss-terms .lb__formula math").count() == 1
    assert page_nojs.locator("#loss-terms [data-role=controls]").is_hidden()
    point = next(p for p in data["points"] if p["alpha"] == 0.5)
    assert blend_fields(page_nojs) == expected_blend(point)
    assert page_nojs.locator("#loss-terms tbody tr").count() == len(data["points"])


def test_loss_blend_slider_weighs_each_students_own_terms(site_dir, site_url, page):
    open_post(page, site_url)
    data = payload(site_dir, page, "loss-terms")
    page.focus("#loss-terms input[type=range]")
    page.keyboard.press("Home")
    assert blend_fields(page) == expected_blend(data["points"][0])
    assert page.inner_text("#loss-terms [data-field=hard]") == "0.0000"
    page.keyboard.press("ArrowRight")
    assert blend_fields(page) == expected_blend(data["points"][1])
    page.keyboard.press("End")
    last = data["points"][-1]
    assert blend_fields(page) == expected_blend(last)
    assert page.inner_text("#loss-terms [data-field=total]") == f"{last['ce']:.4f}"
    current = page.locator("#loss-terms tr.lb__current")
    assert current.get_attribute("data-index") == str(len(data["points"]) - 1)
    width = float(page.get_attribute("#loss-terms [data-role=soft-bar]", "width"))
    assert width == 0
