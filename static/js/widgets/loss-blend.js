// Loss blend: move alpha and watch how it weighs the two measured terms.
//
// Every position of the slider is a student trained with that alpha; the
// terms shown are its own CE and T^2 * KL on the test set, not one
// student's terms re-weighted.

/**
 * @typedef {{alpha: number, ce: number, soft: number, accuracy: number}} Point
 * @typedef {{temperature: number, seed: number, points: Point[]}} Payload
 */

/** @param {number} x */
const four = (x) => x.toFixed(4);

/**
 * @param {HTMLElement} root
 * @param {Payload} data
 */
export function mount(root, data) {
  const slider = /** @type {HTMLInputElement} */ (
    root.querySelector('[data-role="controls"] input'));
  const stack = /** @type {SVGSVGElement} */ (root.querySelector(".lb__stack"));
  const scale = Number(stack.dataset.scale);
  const hardBar = /** @type {SVGRectElement} */ (
    root.querySelector('[data-role="hard-bar"]'));
  const softBar = /** @type {SVGRectElement} */ (
    root.querySelector('[data-role="soft-bar"]'));
  const rows = [...root.querySelectorAll("tr[data-index]")];
  /**
   * @param {string} name
   * @param {string} text
   */
  const put = (name, text) => {
    for (const el of root.querySelectorAll(`[data-field="${name}"]`)) {
      el.textContent = text;
    }
  };

  function draw() {
    // The slider's steps are the grid's: 0, 0.1, ..., 1.
    const index = Math.round(Number(slider.value) * (data.points.length - 1));
    const p = data.points[index];
    const hard = p.alpha * p.ce;
    const soft = (1 - p.alpha) * p.soft;
    const width = (/** @type {number} */ v) => ((v / scale) * 100).toFixed(2);
    put("alpha", String(p.alpha));
    put("ce", four(p.ce));
    put("hard", four(hard));
    put("rest", (1 - p.alpha).toFixed(1));
    put("soft-term", four(p.soft));
    put("soft", four(soft));
    put("total", four(hard + soft));
    put("accuracy", `${(p.accuracy * 100).toFixed(1)}%`);
    hardBar.setAttribute("width", width(hard));
    softBar.setAttribute("x", width(hard));
    softBar.setAttribute("width", width(soft));
    rows.forEach((tr, i) => tr.classList.toggle("lb__current", i === index));
  }

  slider.addEventListener("input", draw);
  /** @type {HTMLElement} */ (
    root.querySelector('[data-role="controls"]')).hidden = false;
  draw();
}
