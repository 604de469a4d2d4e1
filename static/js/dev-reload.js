// Reload the page when `probable serve` has changed the site since it loaded.
// Only pages built by `probable serve` load this file.
//
// Each event carries the time (ms since the epoch) from which pages may be
// out of date, usually a rebuild that is starting. The server holds requests
// until that rebuild has written its files, so reloading at once is safe and
// lets the browser unload this page while the build runs. Comparing the time
// with this page's own start catches a change announced after the page was
// requested but before this script connected.
const events = new EventSource("/__reload");
events.onmessage = (event) => {
  const changed = Number(event.data);
  if (changed > performance.timeOrigin) window.location.reload();
};
