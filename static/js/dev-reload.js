// Reload the page when `probable serve` reports a finished rebuild.
// Only pages built by `probable serve` load this file.
const events = new EventSource("/__reload");
events.onmessage = (event) => {
  if (event.data === "reload") window.location.reload();
};
