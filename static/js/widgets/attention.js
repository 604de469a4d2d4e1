// Self-attention explorer: pick a layer, a head and a token.
//
// weights[layer][head][i] holds token i's attention over tokens 0..i, as
// the real model computed it (three decimals). Cells above the diagonal
// stay hatched: the causal mask hides later tokens, so there is no weight
// to show there.

/**
 * @typedef {{id: number, text: string, display: string}} Token
 * @typedef {{tokens: Token[], layers: number, heads: number,
 *   weights: number[][][][], query: {word: string, tokens: number[],
 *   index: number}, key: {word: string, tokens: number[]},
 *   default: {layer: number, head: number, weight: number},
 *   mean_row: number[]}} Payload
 */

const SVG = "http://www.w3.org/2000/svg";

/**
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
  const layerInput = /** @type {HTMLInputElement} */ (part("layer"));
  const headInput = /** @type {HTMLInputElement} */ (part("head"));
  const heading = part("heading");
  const rowList = part("row");
  const focusRow = part("focus-row");
  const title = /** @type {Element} */ (part("map").querySelector("title"));
  const cells = /** @type {SVGRectElement[]} */ (
    [...root.querySelectorAll(".att__cell:not(.att__cell--masked)")]);
  const buttons = /** @type {HTMLButtonElement[]} */ (
    [...root.querySelectorAll(".att__token")]);
  const cellSize = Number(cells[0].getAttribute("width")) + 1;
  const firstY = Number(cells[0].getAttribute("y"));
  const state = {
    layer: data.default.layer, head: data.default.head,
    query: data.query.index,
  };

  /** @param {number} j @param {number[]} row */
  function item(j, row) {
    const li = document.createElement("li");
    li.className = "att__item";
    const name = document.createElement("span");
    name.className = "att__name";
    name.textContent = data.tokens[j].display;
    li.append(name);
    if (j > state.query) {
      li.classList.add("is-masked");
      const masked = document.createElement("span");
      masked.className = "att__masked";
      masked.textContent = "masked: comes later";
      li.append(masked);
      return li;
    }
    if (data.key.tokens.includes(j)) li.classList.add("is-key");
    const track = document.createElementNS(SVG, "svg");
    track.setAttribute("class", "att__track");
    track.setAttribute("viewBox", "0 0 100 1");
    track.setAttribute("preserveAspectRatio", "none");
    track.setAttribute("aria-hidden", "true");
    const fill = document.createElementNS(SVG, "rect");
    fill.setAttribute("class", "att__fill");
    fill.setAttribute("height", "1");
    fill.setAttribute("width", (row[j] * 100).toFixed(1));
    track.append(fill);
    const value = document.createElement("span");
    value.className = "att__p";
    value.textContent = pct(row[j]);
    li.append(track, value);
    return li;
  }

  function draw() {
    const rows = data.weights[state.layer][state.head];
    for (const cell of cells) {
      const i = Number(cell.dataset.row);
      const j = Number(cell.dataset.col);
      cell.setAttribute("fill-opacity", rows[i][j].toFixed(3));
    }
    const where = `layer ${state.layer + 1}, head ${state.head + 1}`;
    title.textContent = `Attention weights of ${where}: rows are the ` +
      "attending tokens, columns the tokens attended to; cells above the " +
      "diagonal are masked.";
    focusRow.setAttribute("y",
      String(firstY + state.query * cellSize - 1));
    const token = data.tokens[state.query];
    heading.replaceChildren(Object.assign(document.createElement("q"),
      { textContent: token.display }),
      ` (token ${state.query + 1}) in ${where} attends to:`);
    rowList.replaceChildren(
      ...data.tokens.map((_, j) => item(j, rows[state.query])));
    part("layer-value").textContent = String(state.layer + 1);
    part("head-value").textContent = String(state.head + 1);
    for (const button of buttons) {
      button.setAttribute("aria-pressed",
        String(Number(button.dataset.index) === state.query));
    }
  }

  layerInput.addEventListener("input", () => {
    state.layer = Number(layerInput.value) - 1;
    draw();
  });
  headInput.addEventListener("input", () => {
    state.head = Number(headInput.value) - 1;
    draw();
  });
  root.querySelector('[data-action="best"]')?.addEventListener("click",
    () => {
      state.layer = data.default.layer;
      state.head = data.default.head;
      layerInput.value = String(state.layer + 1);
      headInput.value = String(state.head + 1);
      draw();
    });
  for (const button of buttons) {
    button.addEventListener("click", () => {
      state.query = Number(button.dataset.index);
      draw();
    });
  }
  // Pointer users may also click a row of the map; keyboard users have
  // the token buttons, which do the same.
  part("map").addEventListener("click", (event) => {
    const target = /** @type {Element} */ (event.target);
    if (!target.matches(".att__cell")) return;
    state.query = Number(/** @type {SVGElement} */ (target).dataset.row);
    draw();
  });

  part("controls").hidden = false;
  draw();
}
