// Next-token prediction, one press at a time.
//
// Every step was precomputed with the real model (greedy decoding), so a
// press only moves an index: append the chosen token of the current step,
// then show the candidates of the next one.

/**
 * @typedef {{id: number, text: string, display: string}} Token
 * @typedef {Token & {p: number}} Candidate
 * @typedef {{candidates: Candidate[], chosen: Token, rest: number}} Step
 * @typedef {{prompt: Token[], vocab_size: number, steps: Step[],
 *   stopped: boolean}} Payload
 */

const SVG = "http://www.w3.org/2000/svg";

/**
 * Format a probability as the template does.
 * @param {number} p
 * @returns {string}
 */
function pct(p) {
  return p < 0.0005 ? "<0.1%" : `${(p * 100).toFixed(1)}%`;
}

/**
 * @param {HTMLElement} root
 * @param {Payload} data
 */
export function mount(root, data) {
  const part = (/** @type {string} */ role) =>
    /** @type {HTMLElement} */ (root.querySelector(`[data-role="${role}"]`));
  const generated = part("generated");
  const status = part("status");
  const bars = part("bars");
  const rest = part("rest");
  const count = part("count");
  const next = /** @type {HTMLButtonElement} */ (
    root.querySelector('[data-action="next"]'));
  const reset = /** @type {HTMLButtonElement} */ (
    root.querySelector('[data-action="reset"]'));
  const total = data.steps.length;
  let added = 0;

  /** @param {Step} step @param {boolean} appended */
  function drawBars(step, appended) {
    bars.replaceChildren(...step.candidates.map((c) => {
      const item = document.createElement("li");
      item.className = "nt__bar";
      item.dataset.id = String(c.id);
      if (c.id === step.chosen.id) {
        item.classList.add(appended ? "is-appended" : "is-chosen");
      }
      const token = document.createElement("span");
      token.className = "nt__token";
      token.textContent = c.display;
      const track = document.createElementNS(SVG, "svg");
      track.setAttribute("class", "nt__track");
      track.setAttribute("viewBox", "0 0 100 1");
      track.setAttribute("preserveAspectRatio", "none");
      track.setAttribute("aria-hidden", "true");
      const fill = document.createElementNS(SVG, "rect");
      fill.setAttribute("class", "nt__fill");
      fill.setAttribute("height", "1");
      fill.setAttribute("width", (c.p * 100).toFixed(2));
      track.append(fill);
      const value = document.createElement("span");
      value.className = "nt__p";
      value.textContent = pct(c.p);
      item.append(token, track, value);
      return item;
    }));
    const others = data.vocab_size - step.candidates.length;
    const share = document.createElement("span");
    share.className = "nt__p";
    share.textContent = pct(step.rest);
    rest.replaceChildren(
      `All other ${others.toLocaleString("en")} tokens together: `, share);
  }

  function draw() {
    generated.replaceChildren(...data.steps.slice(0, added).map((step) => {
      const piece = document.createElement("mark");
      piece.className = "nt__new";
      piece.textContent = step.chosen.text;
      return piece;
    }));

    if (added < total) {
      const step = data.steps[added];
      drawBars(step, false);
      status.textContent = added === 0
        ? "Candidates for the first new token. Greedy decoding appends " +
          "the most probable one."
        : `Appended \u201c${data.steps[added - 1].chosen.display}\u201d. ` +
          `Candidates for token ${added + 1}:`;
    } else {
      const last = data.steps[total - 1];
      drawBars(last, true);
      status.textContent = data.stopped
        ? "The model chose an end-of-text token, so generation stopped."
        : `Appended \u201c${last.chosen.display}\u201d. All ${total} ` +
          "precomputed steps are done; reset to start again.";
    }
    count.textContent = `${added} of ${total} tokens added`;
    next.disabled = added >= total;
  }

  next.addEventListener("click", () => {
    added = Math.min(total, added + 1);
    draw();
    // A disabled button drops keyboard focus; hand it to Reset instead.
    if (next.disabled) reset.focus();
  });
  reset.addEventListener("click", () => {
    added = 0;
    draw();
    next.focus();
  });

  part("controls").hidden = false;
  draw();
}
