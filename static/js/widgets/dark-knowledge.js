// Dark knowledge: slide through temperatures and compare how many of the
// never-seen digit a distilled student names against the hard-label one.

/**
 * @typedef {{mean: number, std: number, min: number, max: number,
 *   runs: number[]}} Spread
 * @typedef {{temperature: number, unseen: Spread, others: Spread}} Row
 * @typedef {{digit: number, alpha: number, seeds: number[], removed: number,
 *   train_size: number, test_count: number, hard: {unseen: Spread,
 *   others: Spread}, distilled: Row[]}} Payload
 */

/** @param {number} p */
const percent = (p) => `${(p * 100).toFixed(1)}%`;

/**
 * @param {HTMLElement} root
 * @param {Payload} data
 */
export function mount(root, data) {
  const slider = /** @type {HTMLInputElement} */ (
    root.querySelector('[data-role="controls"] input'));
  /** @param {string} name */
  const field = (name) => /** @type {HTMLElement} */ (
    root.querySelector(`[data-field="${name}"]`));
  const bar = /** @type {SVGRectElement} */ (
    root.querySelector('[data-role="distilled-bar"]'));
  const how = data.alpha === 0 ? "soft targets only" : `\u03b1 = ${data.alpha}`;
  const rows = [...root.querySelectorAll("tr[data-index]")];

  function draw() {
    const index = Number(slider.value);
    const row = data.distilled[index];
    const t = String(row.temperature);
    field("temperature").textContent = t;
    slider.setAttribute("aria-valuetext", `T = ${t}`);
    field("distilled-label").textContent =
      `Distilled student, T = ${t}, ${how}`;
    field("distilled-mean").textContent = percent(row.unseen.mean);
    field("distilled-range").textContent = row.unseen.min === row.unseen.max
      ? `every seed ${percent(row.unseen.min)}`
      : `seeds ${percent(row.unseen.min)}\u2013${percent(row.unseen.max)}`;
    bar.setAttribute("width", (row.unseen.mean * 100).toFixed(2));
    for (const tr of rows) {
      tr.classList.toggle("dk__current",
        /** @type {HTMLElement} */ (tr).dataset.index === String(index));
    }
  }

  slider.addEventListener("input", draw);
  /** @type {HTMLElement} */ (
    root.querySelector('[data-role="controls"]')).hidden = false;
  draw();
}
