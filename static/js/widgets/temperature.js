// Temperature: re-shape a real next-token distribution and sample from it.
//
// The payload holds the exact distribution (over the whole vocabulary)
// for every slider position, so the script looks values up instead of
// renormalising the few tokens it shows. Sampling uses mulberry32 with
// the seed on screen, so the same presses give the same tokens for every
// reader.

/**
 * @typedef {{id: number, text: string, display: string, logit: number}}
 *   Candidate
 * @typedef {{t: number, p: number[], rest: number, entropy: number}} Row
 * @typedef {{prompt: object[], vocab_size: number, candidates: Candidate[],
 *   grid: Row[], seed: number}} Payload
 */

/** Sampled tokens kept on screen, newest first. */
const MAX_DRAWS = 8;

/**
 * @param {number} p
 * @returns {string}
 */
function pct(p) {
  return p < 0.0005 ? "<0.1%" : `${(p * 100).toFixed(1)}%`;
}

/**
 * Return a generator of uniform numbers in [0, 1): mulberry32.
 * @param {number} seed
 * @returns {() => number}
 */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @param {HTMLElement} root
 * @param {Payload} data
 */
export function mount(root, data) {
  const part = (/** @type {string} */ role) =>
    /** @type {HTMLElement} */ (root.querySelector(`[data-role="${role}"]`));
  const slider = /** @type {HTMLInputElement} */ (part("slider"));
  const bars = [...part("bars").querySelectorAll(".tp__bar")];
  const draws = part("draws");
  const scale = [...part("scale").querySelectorAll("li")].map((li) => ({
    upto: Number(li.dataset.upto), name: li.textContent ?? "", li,
  }));
  let random = mulberry32(data.seed);
  let count = 0;

  /** @returns {Row} */
  function current() {
    const t = Number(slider.value);
    // The grid steps by 0.05 like the slider; pick the nearest row.
    return data.grid.reduce((best, row) =>
      Math.abs(row.t - t) < Math.abs(best.t - t) ? row : best);
  }

  function draw() {
    const row = current();
    const values = [...row.p, row.rest];
    bars.forEach((bar, i) => {
      bar.querySelector("rect")?.setAttribute("width",
        (values[i] * 100).toFixed(2));
      const cell = bar.querySelector(".tp__p");
      if (cell) cell.textContent = pct(values[i]);
    });
    const label = scale.find((s) => row.t < s.upto) ?? scale[scale.length - 1];
    for (const s of scale) s.li.classList.toggle("is-current", s === label);
    part("t").textContent = row.t.toFixed(2);
    part("label").textContent = label.name;
    part("entropy").textContent = row.entropy.toFixed(3);
    slider.setAttribute("aria-valuetext",
      `${row.t.toFixed(2)}, ${label.name}`);
  }

  function sample() {
    const row = current();
    const u = random();
    count += 1;
    let total = 0;
    let pick = -1;
    for (let i = 0; i < row.p.length; i += 1) {
      total += row.p[i];
      if (u < total) {
        pick = i;
        break;
      }
    }
    const item = document.createElement("li");
    item.dataset.u = String(u);
    item.dataset.t = String(row.t);
    item.dataset.pick = String(pick);
    const token = pick >= 0
      ? data.candidates[pick].display
      : `one of the other ${(data.vocab_size - row.p.length)
        .toLocaleString("en")} tokens`;
    item.textContent = `Draw ${count} at T = ${row.t.toFixed(2)} ` +
      `(u = ${u.toFixed(4)}): ${token}`;
    draws.prepend(item);
    // Keep the list short enough to read without scrolling.
    while (draws.children.length > MAX_DRAWS) draws.lastElementChild?.remove();
  }

  slider.addEventListener("input", draw);
  root.querySelector('[data-action="sample"]')?.addEventListener("click",
    sample);
  root.querySelector('[data-action="reseed"]')?.addEventListener("click",
    () => {
      random = mulberry32(data.seed);
      count = 0;
      draws.replaceChildren();
    });

  part("controls").hidden = false;
  part("sampler").hidden = false;
  draw();
}
