// Cross-entropy: drag the probability, watch the loss -ln p.
//
// The model's own probability of the target comes from the payload; the
// slider is the reader's hypothetical one, and its loss is computed here
// because -ln p is the whole formula.

/**
 * @typedef {{id: number, text: string, display: string, p: number,
 *   loss: number, rank: number}} Scored
 * @typedef {{prompt: object[], target: string, target_tokens: Scored[],
 *   p: number, loss: number, alternatives: object[], vocab_size: number,
 *   curve: number[]}} Payload
 */

/** Chart geometry, the same numbers the template uses. */
const X0 = 40;
const WIDTH = 260;
const Y0 = 150;
const HEIGHT = 140;
const TOP_LOSS = 4.8;

/**
 * @param {number} loss
 * @returns {string}
 */
function verdict(loss) {
  if (loss < 0.5) return "low loss: the model already expected it, so " +
    "training barely changes anything.";
  if (loss < 1.5) return "moderate loss: a nudge toward the target.";
  return "high loss: a surprise, so training pushes hard toward the target.";
}

/**
 * @param {HTMLElement} root
 * @param {Payload} data
 */
export function mount(root, data) {
  const part = (/** @type {string} */ role) =>
    /** @type {HTMLElement} */ (root.querySelector(`[data-role="${role}"]`));
  const slider = /** @type {HTMLInputElement} */ (part("slider"));
  const readout = part("readout");
  const value = part("value");
  const dot = part("dot");
  const start = slider.value;

  function draw() {
    const percent = Number(slider.value);
    const p = percent / 100;
    const loss = -Math.log(p);
    value.textContent = `${percent}%`;
    slider.setAttribute("aria-valuetext",
      `${percent} percent, loss ${loss.toFixed(3)} nats`);
    readout.textContent = `p = ${percent}%: loss \u2212ln ${p.toFixed(2)} = ` +
      `${loss.toFixed(3)} nats; the gradient on the target's logit is ` +
      `p \u2212 1 = ${(p - 1).toFixed(2)}. A ${verdict(loss)}`;
    dot.setAttribute("cx", (X0 + p * WIDTH).toFixed(1));
    dot.setAttribute("cy",
      (Y0 - Math.min(loss, TOP_LOSS) / TOP_LOSS * HEIGHT).toFixed(1));
  }

  slider.addEventListener("input", draw);
  root.querySelector('[data-action="model"]')?.addEventListener("click",
    () => {
      slider.value = start;
      draw();
      slider.focus();
    });

  dot.classList.remove("is-off");
  for (const role of ["controls", "key-you", "key-you-text"]) {
    part(role).hidden = false;
  }
  draw();
}
