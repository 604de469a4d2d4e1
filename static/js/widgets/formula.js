// Formula: reveal the terms one by one; hover or focus a term to read it.
//
// The MathML and the explanations are in the page already (rendered at
// build time). Each term's aria-describedby points at its explanation in
// the list, so screen readers announce it on focus; the floating tip is
// the same text for sighted readers and is hidden from assistive
// technology to avoid saying it twice.

/**
 * @param {HTMLElement} root
 * @param {null} _data  the formula widget has no payload
 */
export function mount(root, _data) {
  const part = (/** @type {string} */ role) =>
    /** @type {HTMLElement} */ (root.querySelector(`[data-role="${role}"]`));
  const terms = /** @type {HTMLElement[]} */ (
    [...root.querySelectorAll(".fm__term")]);
  const notes = /** @type {HTMLElement[]} */ (
    [...root.querySelectorAll(".fm__note")]);
  const tip = part("tip");
  const count = part("count");
  const next = /** @type {HTMLButtonElement} */ (
    root.querySelector('[data-action="next"]'));
  let shown = 1;

  function draw() {
    terms.forEach((term, i) => {
      const pending = i >= shown;
      term.classList.toggle("fm--pending", pending);
      term.tabIndex = pending ? -1 : 0;
      if (pending) term.setAttribute("aria-hidden", "true");
      else term.removeAttribute("aria-hidden");
    });
    notes.forEach((note, i) => { note.hidden = i >= shown; });
    count.textContent = `${shown} of ${terms.length} terms`;
    next.disabled = shown >= terms.length;
  }

  /** @param {HTMLElement} term */
  function showTip(term) {
    const i = Number(term.dataset.index);
    if (i >= shown) return;
    const text = notes[i].cloneNode(true);
    tip.replaceChildren(...text.childNodes);
    tip.hidden = false;
    const box = root.getBoundingClientRect();
    const at = term.getBoundingClientRect();
    const left = Math.max(0, Math.min(at.left - box.left,
      box.width - tip.offsetWidth));
    tip.style.left = `${left}px`;
    tip.style.top = `${at.bottom - box.top + 6}px`;
  }

  function hideTip() {
    tip.hidden = true;
  }

  for (const term of terms) {
    term.addEventListener("mouseenter", () => showTip(term));
    term.addEventListener("focus", () => showTip(term));
    term.addEventListener("mouseleave", hideTip);
    term.addEventListener("blur", hideTip);
  }
  // Escape dismisses the tip without moving focus (WCAG 1.4.13).
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hideTip();
  });

  next.addEventListener("click", () => {
    shown = Math.min(terms.length, shown + 1);
    draw();
    if (next.disabled) {
      /** @type {HTMLElement} */ (
        root.querySelector('[data-action="reset"]')).focus();
    }
  });
  root.querySelector('[data-action="all"]')?.addEventListener("click", () => {
    shown = terms.length;
    draw();
  });
  root.querySelector('[data-action="reset"]')?.addEventListener("click",
    () => {
      shown = 1;
      hideTip();
      draw();
      next.focus();
    });

  part("controls").hidden = false;
  draw();
}
