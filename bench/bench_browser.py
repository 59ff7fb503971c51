"""Time, in Chromium, from a click in the sidebar to a page that is drawn and idle.

The promise: a pretrained model's Latent map opens from its stored projection in under
1.5 s. Each round opens Home (the baseline: text, a diagram, a gallery and the zoo's chart), then
the Latent map, then the Reconstruct & denoise lab, in one tab, as a visitor moving around the
app. The first round fills the caches and is reported apart. Printed: the median of each page over
the later rounds and its ratio to Home in the same round.

With `--settle S` the first round starts S seconds after the first page load, once the server's
UMAP warm-up (a background compile of 25-60 s) is over.

    python bench/bench_browser.py [--rounds 10] [--settle 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_ready  # noqa: E402

# (nav title, page heading, what must be on screen for the page to count as drawn)
PAGES = (
    ("Home", "Autoencoder Explorer", "[data-testid='stMain'] [data-testid='stImage'] img"),
    ("Latent map", "Latent map", "[data-testid='stPlotlyChart'] canvas"),
    ("Reconstruct & denoise", "Reconstruct & denoise", "[data-testid='stPlotlyChart'] g.imagelayer image"),
)


def open_seconds(page, title: str, heading: str, drawn: str) -> float:
    started = time.perf_counter()
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    page.locator("h1", has_text=heading).first.wait_for(timeout=60_000)
    page.locator(drawn).first.wait_for(state="attached", timeout=60_000)
    wait_ready(page)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--settle", type=float, default=0.0, help="seconds to wait before the first round")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {title: [] for title, _, _ in PAGES}
    with streamlit_server("bench_browser_server") as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(base_url)
        wait_ready(page)
        page.wait_for_timeout(args.settle * 1000)
        first = {page_args[0]: open_seconds(page, *page_args) for page_args in PAGES}
        for _ in range(args.rounds):
            for page_args in PAGES:
                times[page_args[0]].append(open_seconds(page, *page_args))
        browser.close()

    home = times["Home"]
    print(f"{'page':<24} {'first open s':>12} {'median s':>9} {'min s':>7} {'median x Home':>14}")
    for title, _, _ in PAGES:
        ratios = [t / h for t, h in zip(times[title], home)]
        # The tab opens on Home, so Home's first "open" is a click on the page already shown.
        first_text = "-" if title == "Home" else f"{first[title]:.2f}"
        print(f"{title:<24} {first_text:>12} {statistics.median(times[title]):>9.2f} "
              f"{min(times[title]):>7.2f} {statistics.median(ratios):>14.2f}")


if __name__ == "__main__":
    main()
