"""Measure ``probable serve`` from saving a post to the browser's reload.

In: a Probable project, the post to edit and the page that shows it. Out:
one JSON object on stdout with every measured latency in milliseconds.

Starts ``probable serve`` on a free port on 127.0.0.1, opens the page in
Debian's Chromium through Playwright and waits until the page's reload
script is connected. After one untimed save, ``--times`` times: append a
sentence to the post, and stop the clock when the reloaded page has fired
``load`` and shows that sentence. Last come a few saves in a row with no
pause, to check that a save in the same second as the last reload is shown
too. Every wait is bounded, the server is stopped at the end, and the post
is restored. Run it with the project's venv (Playwright lives there);
``bench/run.py`` does.

The time of ``load`` is the browser's own (``performance.timeOrigin`` plus
the navigation entry's ``loadEventStart``, on the same system clock as the
save). Playwright hears of the event through the DevTools protocol and its
driver process, up to 20 ms later on this machine, and that relay is not part
of what an author waits for; what Playwright observed is kept beside it
(``harness_load_ms``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
#: Pause after a reload before the next save: enough for the new page's
#: reload client to be registered, and for the next save to fall in another
#: second than the last (HTTP dates, and so If-Modified-Since, have whole
#: seconds; the quick re-save below checks what happens within one).
SETTLE_SECONDS = 1.1
#: Saves in a row with no pause, after the timed ones.
QUICK_SAVES = 5


def free_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(probable: Path, root: Path, port: int, log: Path
                 ) -> subprocess.Popen:
    """Start ``probable serve`` in its own process group."""
    with log.open("wb") as sink:
        return subprocess.Popen(
            [str(probable), "--root", str(root), "serve", "--port", str(port)],
            stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)


def wait_until_up(url: str, server: subprocess.Popen, timeout: float) -> float:
    """Poll ``url`` until it answers; return the seconds that took."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.poll() is not None:
            raise RuntimeError(f"probable serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"probable serve did not answer {url} within {timeout:.0f} s")


def stop_server(server: subprocess.Popen) -> None:
    """Interrupt the server's process group; kill it if it lingers."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGINT)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def _is_reload_stream(response) -> bool:
    return response.url.endswith("/__reload")


def measure(url: str, post: Path, times: int, timeout: float) -> list[dict]:
    """Edit ``post`` ``times`` times; return each save-to-reload measurement."""
    from playwright.sync_api import sync_playwright

    original = post.read_text(encoding="utf-8")
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            with page.expect_response(_is_reload_stream, timeout=timeout * 1000):
                page.goto(url)
            time.sleep(SETTLE_SECONDS)
            # One save untimed, as each generator's first clean build is.
            # The first timed save was the slowest in most runs (on the real
            # site 182-293 ms, against medians of 139-178 ms), likely because
            # Chromium compiles a page's scripts afresh until its code cache
            # holds them, which it fills at the second load.
            _one_reload(page, post, original, "Warm-up sentence.", timeout)
            time.sleep(SETTLE_SECONDS)
            for number in range(1, times + 1):
                marker = f"Sentence {number} added by the serve benchmark."
                results.append(_one_reload(page, post, original, marker, timeout))
                time.sleep(SETTLE_SECONDS)
            quick = [_one_reload(page, post, original, f"Quick save {number}.",
                                 timeout) for number in range(1, QUICK_SAVES + 1)]
        finally:
            post.write_text(original, encoding="utf-8")
            browser.close()
    return results, quick


def _one_reload(page, post: Path, original: str, marker: str, timeout: float
                ) -> dict:
    saved_at = time.time()
    started = time.perf_counter()
    with page.expect_response(_is_reload_stream, timeout=timeout * 1000):
        with page.expect_event("load", timeout=timeout * 1000):
            post.write_text(original + f"\n{marker}\n", encoding="utf-8")
        loaded = time.perf_counter()
    navigation_start, load_event = page.evaluate(
        "[performance.timeOrigin, performance.getEntriesByType('navigation')[0]"
        ".loadEventStart]")
    return {
        "save_to_load_ms": round(navigation_start + load_event - saved_at * 1000, 1),
        "save_to_navigation_ms": round(navigation_start - saved_at * 1000, 1),
        "harness_load_ms": round((loaded - started) * 1000, 1),
        "shows_edit": marker in page.content(),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the measurement and print it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probable", type=Path, required=True,
                        help="the probable console script")
    parser.add_argument("--root", type=Path, required=True, help="the project")
    parser.add_argument("--post", required=True,
                        help="the Markdown file to edit, relative to --root")
    parser.add_argument("--page", required=True, help="the URL path that shows it")
    parser.add_argument("--times", type=int, default=5)
    parser.add_argument("--log", type=Path, default=Path(os.devnull),
                        help="where the server's output goes")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds to wait for the server or one reload")
    args = parser.parse_args(argv)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(args.probable, args.root, port, args.log)
    try:
        startup = wait_until_up(base + "/", server, args.timeout)
        runs, quick = measure(base + args.page, args.root / args.post, args.times,
                              args.timeout)
    finally:
        stop_server(server)
    loads = [run["save_to_load_ms"] for run in runs]
    json.dump({
        "startup_s": round(startup, 2),
        "runs": runs,
        "median_ms": statistics.median(loads),
        "harness_median_ms": statistics.median(run["harness_load_ms"] for run in runs),
        "all_show_edit": all(run["shows_edit"] for run in runs),
        "quick_resaves": quick,
        "quick_resave_shows_edit": all(run["shows_edit"] for run in quick),
    }, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
