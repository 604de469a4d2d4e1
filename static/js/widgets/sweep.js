// Sweep heat map: switch what each cell says about its seeds.
//
// The table and its shading come from the build; this script only rewrites
// the text of the cells for the chosen view.

/**
 * @typedef {{mean: number, std: number, min: number, max: number,
 *   runs: number[]}} Spread
 * @typedef {{temperatures: number[], alphas: number[], seeds: number[],
 *   cells: Spread[][], baseline: Spread, teacher: number,
 *   test_size: number}} Payload
 */

/** @param {number} p */
const percent = (p) => `${(p * 100).toFixed(1)}%`;

/** @param {number} p a difference of two accuracies */
const points = (p) => {
  const text = (p * 100).toFixed(2);
  return p > 0 && text !== "0.00" ? `+${text}` : text.replace("-", "\u2212");
};

/**
 * What a cell says in each view: a main line and a smaller second one.
 * @type {Record<string, {name: string,
 *   cell: (s: Spread, base: Spread) => [string, string]}>}
 */
const VIEWS = {
  std: {
    name: "mean \u00b1 standard deviation over seeds",
    cell: (s) => [percent(s.mean), `\u00b1\u00a0${(s.std * 100).toFixed(1)}`],
  },
  range: {
    name: "lowest to highest seed",
    cell: (s) => [percent(s.min), `to ${percent(s.max)}`],
  },
  delta: {
    name: "mean minus the hard-label mean, in percentage points",
    cell: (s, base) => [points(s.mean - base.mean), "pp"],
  },
};

/**
 * @param {HTMLElement} root
 * @param {Payload} data
 */
export function mount(root, data) {
  const buttons = [...root.querySelectorAll("[data-view]")];
  const name = /** @type {HTMLElement} */ (
    root.querySelector('[data-role="view-name"]'));

  /** @param {string} view */
  function show(view) {
    const { cell } = VIEWS[view];
    for (const td of root.querySelectorAll("td[data-row]")) {
      const el = /** @type {HTMLElement} */ (td);
      const spread = data.cells[Number(el.dataset.row)][Number(el.dataset.col)];
      const [main, sub] = cell(spread, data.baseline);
      const mainSpan = document.createElement("span");
      mainSpan.className = "sw__main";
      mainSpan.textContent = main;
      const subSpan = document.createElement("span");
      subSpan.className = "sw__spread";
      subSpan.textContent = sub;
      el.replaceChildren(mainSpan, " ", subSpan);
    }
    name.textContent = VIEWS[view].name;
    for (const button of buttons) {
      const on = /** @type {HTMLElement} */ (button).dataset.view === view;
      button.setAttribute("aria-pressed", String(on));
    }
  }

  for (const button of buttons) {
    button.addEventListener("click", () =>
      show(/** @type {HTMLElement} */ (button).dataset.view ?? "std"));
  }
  /** @type {HTMLElement} */ (
    root.querySelector('[data-role="controls"]')).hidden = false;
  show("std");
}
