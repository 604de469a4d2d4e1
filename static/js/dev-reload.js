// Reload the page when `probable serve` has rebuilt the site since it loaded.
// Only pages built by `probable serve` load this file.
//
// Each event carries the time (ms since the epoch) the last build finished
// writing. Comparing it with this page's own start catches a rebuild that
// finished after the page was requested but before this script connected.
const events = new EventSource("/__reload");
events.onmessage = (event) => {
  const written = Number(event.data);
  if (written > performance.timeOrigin) window.location.reload();
};
