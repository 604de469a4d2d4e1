// Tokenizer: pick a token to see where it sits in the text.
//
// The tokens, ids and character offsets come from the model's own
// tokenizer (precomputed). Tokens become a roving-tabindex list: Tab
// reaches the list once, arrow keys, Home and End move between tokens.

/**
 * @typedef {{id: number, text: string, display: string, start: number,
 *   end: number}} Piece
 * @typedef {{text: string, tokens: Piece[], characters: number,
 *   bytes: number, vocab_size: number}} Payload
 */

/**
 * @param {HTMLElement} root
 * @param {Payload} data
 */
export function mount(root, data) {
  const chips = /** @type {HTMLElement[]} */ (
    [...root.querySelectorAll(".tok__chip")]);
  const segments = /** @type {HTMLElement[]} */ (
    [...root.querySelectorAll(".tok__seg")]);
  const detail = /** @type {HTMLElement} */ (
    root.querySelector('[data-role="detail"]'));
  let current = -1;

  /** @param {number} index */
  function select(index) {
    current = index;
    chips.forEach((chip, i) => {
      chip.setAttribute("aria-selected", String(i === index));
      chip.tabIndex = i === index ? 0 : -1;
    });
    segments.forEach((seg, i) => seg.classList.toggle("is-active",
      i === index));
    const t = data.tokens[index];
    const bytes = new TextEncoder().encode(t.text).length;
    detail.textContent = `Token ${index + 1} of ${data.tokens.length}: ` +
      `\u201c${t.display}\u201d, id ${t.id}, characters ${t.start}\u2013` +
      `${t.end} of the text, ${bytes} byte${bytes === 1 ? "" : "s"}.`;
    detail.hidden = false;
  }

  const list = /** @type {HTMLElement} */ (
    root.querySelector('[data-role="list"]'));
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-orientation", "horizontal");
  chips.forEach((chip, i) => {
    chip.setAttribute("role", "option");
    chip.setAttribute("aria-selected", "false");
    chip.tabIndex = i === 0 ? 0 : -1;
    chip.addEventListener("click", () => select(i));
    chip.addEventListener("focus", () => select(i));
  });
  segments.forEach((seg, i) => seg.addEventListener("click", () => {
    chips[i].focus();
  }));

  list.addEventListener("keydown", (event) => {
    const last = chips.length - 1;
    const moves = {
      ArrowRight: current + 1, ArrowDown: current + 1,
      ArrowLeft: current - 1, ArrowUp: current - 1, Home: 0, End: last,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const target = Math.max(0, Math.min(last, moves[event.key]));
    chips[target].focus();
  });
}
