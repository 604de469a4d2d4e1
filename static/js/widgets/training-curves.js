// Training curves: read exact accuracies at any epoch, hide or show curves,
// zoom in on the end of training.
//
// Both views of the chart are drawn at build time; each states the scale it
// used as data-* attributes, so the cursor lands on the drawn points
// without this script knowing the layout rules.

/**
 * @typedef {{id: string, label: string, accuracy: number[]}} Series
 * @typedef {{epochs: number, temperature: number, alpha: number,
 *   seeds: number[], series: Series[]}} Payload
 */

/** @param {number} p */
const percent = (p) => `${(p * 100).toFixed(1)}%`;

/**
 * Read the plot area from the <svg>; return its coordinate maps.
 * @param {SVGSVGElement} svg
 */
function frame(svg) {
  const n = (/** @type {string} */ name) => Number(svg.dataset[name]);
  const [left, width, top, height] =
    [n("left"), n("width"), n("top"), n("height")];
  const epochs = n("epochs");
  return {
    /** @param {number} epoch */
    x: (epoch) => left + ((epoch - 1) / (epochs - 1)) * width,
    /** @param {number} value @param {number} yMin */
    y: (value, yMin) => top + (1 - (value - yMin) / (1 - yMin)) * height,
    /** @param {number} px x in viewBox units */
    epochAt: (px) => Math.min(epochs, Math.max(1,
      Math.round(((px - left) / width) * (epochs - 1)) + 1)),
  };
}

/**
 * @param {HTMLElement} root
 * @param {Payload} data
 */
export function mount(root, data) {
  const svg = /** @type {SVGSVGElement} */ (root.querySelector(".tc__chart"));
  const slider = /** @type {HTMLInputElement} */ (
    root.querySelector('[data-role="controls"] input'));
  const cursor = /** @type {SVGLineElement} */ (
    root.querySelector('[data-role="cursor"]'));
  const zoom = /** @type {HTMLButtonElement} */ (
    root.querySelector('[data-role="zoom"]'));
  const domains = [...svg.querySelectorAll("[data-domain]")];
  const f = frame(svg);
  /** @type {Set<string>} */
  const hidden = new Set();

  /** @param {string} selector @param {string} id */
  const parts = (selector, id) =>
    [...root.querySelectorAll(`${selector}[data-series="${id}"]`)];

  function draw() {
    const epoch = Number(slider.value);
    const zoomed = zoom.getAttribute("aria-pressed") === "true";
    const view = domains[zoomed ? 1 : 0];
    const yMin = Number(/** @type {SVGGElement} */ (view).dataset.yMin);
    for (const g of domains) {
      if (g === view) g.removeAttribute("display");
      else g.setAttribute("display", "none");
    }
    const x = f.x(epoch).toFixed(1);
    cursor.setAttribute("x1", x);
    cursor.setAttribute("x2", x);
    /** @type {HTMLElement} */ (
      root.querySelector('[data-field="epoch"]')).textContent = String(epoch);

    for (const series of data.series) {
      const off = hidden.has(series.id);
      const trained = epoch <= series.accuracy.length;
      const value = series.accuracy[epoch - 1];
      for (const line of parts(".tc__line", series.id)) {
        line.classList.toggle("tc--off", off);
      }
      for (const dot of parts(".tc__dot", series.id)) {
        // A dot below a zoomed axis would sit outside the plot: hide it.
        const inside = trained && value >= yMin;
        dot.classList.toggle("tc--off", off || !inside);
        if (inside) {
          dot.setAttribute("cx", x);
          dot.setAttribute("cy", f.y(value, yMin).toFixed(1));
        }
      }
      for (const item of parts(".tc__readings li", series.id)) {
        /** @type {HTMLElement} */ (item).hidden = off;
        /** @type {HTMLElement} */ (
          item.querySelector('[data-field="value"]')).textContent =
          trained ? percent(value) : "not trained";
      }
    }
  }

  /** @param {PointerEvent} event */
  function follow(event) {
    const box = svg.getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) *
      svg.viewBox.baseVal.width;
    slider.value = String(f.epochAt(px));
    draw();
  }

  for (const button of root.querySelectorAll(".tc__toggle")) {
    button.addEventListener("click", () => {
      const id = /** @type {HTMLElement} */ (button).dataset.series ?? "";
      const on = button.getAttribute("aria-pressed") === "true";
      button.setAttribute("aria-pressed", String(!on));
      if (on) hidden.add(id);
      else hidden.delete(id);
      draw();
    });
  }
  zoom.addEventListener("click", () => {
    const on = zoom.getAttribute("aria-pressed") === "true";
    zoom.setAttribute("aria-pressed", String(!on));
    draw();
  });
  slider.addEventListener("input", draw);
  svg.addEventListener("pointermove", follow);
  svg.addEventListener("pointerdown", follow);

  for (const el of root.querySelectorAll('[data-role="toggles"], ' +
    '[data-role="controls"]')) {
    /** @type {HTMLElement} */ (el).hidden = false;
  }
  draw();
}
