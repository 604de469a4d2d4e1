// Start every widget on the page.
//
// Each widget is a <figure data-widget> whose default state the build has
// already rendered from real data. This loader imports the widget's module
// (data-module), fetches its data (data-src) and hands both to mount().
// A widget that fails to start keeps its default state, so the page still
// reads; the error goes to the console for the author.

/**
 * @param {HTMLElement} root
 * @returns {Promise<void>}
 */
async function start(root) {
  const moduleUrl = root.dataset.module;
  if (!moduleUrl) return;
  const [module, data] = await Promise.all([
    import(moduleUrl),
    root.dataset.src ? fetchJson(root.dataset.src) : Promise.resolve(null),
  ]);
  module.mount(root, data);
  root.dataset.ready = "true";
}

/**
 * @param {string} url
 * @returns {Promise<unknown>}
 */
async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

for (const root of document.querySelectorAll("[data-widget]")) {
  start(/** @type {HTMLElement} */ (root)).catch((error) => {
    root.dataset.ready = "failed";
    console.error(`widget ${root.id} did not start:`, error);
  });
}
