// Softmax, one operation per press.
//
// Every number in the table was computed in precompute from the model's
// real logits; the script only reveals them in the order softmax uses
// them. Elements carry data-step: the step at which they appear.

/**
 * @typedef {{id: number, text: string, display: string, logit: number,
 *   shifted: number, exp: number, p_shown: number, p_full: number}} Row
 * @typedef {{prompt: object[], vocab_size: number, max_logit: number,
 *   candidates: Row[], sum_shown: number, sum_full: number,
 *   mass_shown: number, rest: number}} Payload
 */

/**
 * @param {number} p
 * @returns {string}
 */
function pct(p) {
  return p < 0.0005 ? "<0.1%" : `${(p * 100).toFixed(1)}%`;
}

/**
 * @param {HTMLElement} el
 * @returns {boolean}
 */
function inTable(el) {
  return el.tagName === "TD" || el.tagName === "TH";
}

/**
 * The sentence that explains each step; index = step.
 * @param {Payload} d
 * @returns {string[]}
 */
function explanations(d) {
  const k = d.candidates.length;
  const vocab = d.vocab_size.toLocaleString("en");
  return [
    `Step 1 of 5: the raw logits, one score per token. Scores can be ` +
      `any real number; only their differences matter.`,
    `Step 2 of 5: subtract the largest logit (${d.max_logit.toFixed(3)}) ` +
      `and exponentiate. Exponentials are positive; subtracting the same ` +
      `number from every logit changes none of the final results and ` +
      `keeps them between 0 and 1.`,
    `Step 3 of 5: add the ${k} exponentials: ${d.sum_shown.toFixed(4)}.`,
    `Step 4 of 5: divide each by that sum. The ${k} now add up to 100%.`,
    `Step 5 of 5: the model divides by the sum over all ${vocab} tokens, ` +
      `${d.sum_full.toFixed(4)}, so these ${k} hold ` +
      `${pct(d.mass_shown)} and the rest ${pct(d.rest)}.`,
  ];
}

/**
 * @param {HTMLElement} root
 * @param {Payload} data
 */
export function mount(root, data) {
  const staged = /** @type {Element[]} */ (
    [...root.querySelectorAll("[data-step]")]);
  const status = /** @type {HTMLElement} */ (
    root.querySelector('[data-role="status"]'));
  const next = /** @type {HTMLButtonElement} */ (
    root.querySelector('[data-action="next"]'));
  const reset = /** @type {HTMLButtonElement} */ (
    root.querySelector('[data-action="reset"]'));
  const text = explanations(data);
  const last = text.length - 1;
  let step = 0;

  function draw() {
    for (const el of staged) {
      const pending = Number(el.getAttribute("data-step")) > step;
      if (el instanceof HTMLElement && !inTable(el)) {
        el.hidden = pending;
        continue;
      }
      // Cells and SVG shapes keep their space so the table does not jump.
      el.classList.toggle("sm--pending", pending);
      if (pending) el.setAttribute("aria-hidden", "true");
      else el.removeAttribute("aria-hidden");
    }
    status.textContent = text[step];
    next.disabled = step >= last;
  }

  next.addEventListener("click", () => {
    step = Math.min(last, step + 1);
    draw();
    if (next.disabled) reset.focus();
  });
  reset.addEventListener("click", () => {
    step = 0;
    draw();
    next.focus();
  });

  status.hidden = false;
  /** @type {HTMLElement} */ (
    root.querySelector('[data-role="controls"]')).hidden = false;
  draw();
}
