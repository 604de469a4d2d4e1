// Soft targets: pick a test image, then soften the teacher's distribution.
//
// The payload holds the teacher's raw logits; softmax(z / T) is computed
// here, for any T on the slider, exactly as precompute computes it for the
// default state (tests compare the two).

/**
 * @typedef {{label: number, test_index: number, pixels: number[],
 *   logits: number[], prediction: number, ranking: number[], margin: number,
 *   probabilities: number[]}} Image
 * @typedef {{rule: string, temperature: number, teacher_accuracy: number,
 *   images: Image[]}} Payload
 */

/**
 * Return softmax(z / t), shifted by the largest logit so exp cannot
 * overflow.
 * @param {number[]} logits
 * @param {number} t
 * @returns {number[]}
 */
export function soften(logits, t) {
  const top = Math.max(...logits);
  const e = logits.map((z) => Math.exp((z - top) / t));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/** @param {number} p */
const pct = (p) => (p < 0.0005 ? "<0.1%" : `${(p * 100).toFixed(1)}%`);

/**
 * @param {HTMLElement} root
 * @param {Payload} data
 */
export function mount(root, data) {
  const slider = /** @type {HTMLInputElement} */ (
    root.querySelector('[data-role="controls"] input'));
  const picks = [...root.querySelectorAll(".st__pick")];
  const big = /** @type {SVGSVGElement} */ (root.querySelector(".st__big"));
  const rows = [...root.querySelectorAll("tr[data-digit]")];
  /** @param {string} name */
  const fields = (name) => [...root.querySelectorAll(`[data-field="${name}"]`)];
  let current = Number(
    root.querySelector('.st__pick[aria-pressed="true"]')
      ?.getAttribute("data-index") ?? 0);

  function draw() {
    const image = data.images[current];
    const t = Number(slider.value);
    const p = soften(image.logits, t);
    for (const el of fields("temperature")) el.textContent = String(t);
    fields("caption")[0].textContent =
      `A test ${image.label}; the teacher says ${image.prediction} ` +
      `(top-two logit margin ${image.margin.toFixed(2)}).`;
    fields("top")[0].textContent = image.ranking.slice(0, 3)
      .map((k) => `${k} (${pct(p[k])})`).join(", ");
    rows.forEach((tr, k) => {
      tr.classList.toggle("st__true", k === image.label);
      /** @type {HTMLElement} */ (
        tr.querySelector('[data-field="logit"]')).textContent =
        image.logits[k].toFixed(2);
      /** @type {HTMLElement} */ (
        tr.querySelector('[data-field="p"]')).textContent = pct(p[k]);
      tr.querySelector('[data-role="bar"]')
        ?.setAttribute("width", (p[k] * 100).toFixed(2));
    });
  }

  /** @param {number} index */
  function pick(index) {
    current = index;
    picks.forEach((button, i) =>
      button.setAttribute("aria-pressed", String(i === index)));
    // The thumbnails already hold each image's pixels: copy rather than redraw.
    const thumb = picks[index].querySelector("svg");
    if (thumb) big.replaceChildren(...[...thumb.childNodes].map(
      (node) => node.cloneNode(true)));
    draw();
  }

  picks.forEach((button, i) => button.addEventListener("click", () => pick(i)));
  slider.addEventListener("input", draw);
  for (const el of root.querySelectorAll('[data-role="picker"], ' +
    '[data-role="controls"]')) {
    /** @type {HTMLElement} */ (el).hidden = false;
  }
  draw();
}
