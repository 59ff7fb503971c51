"""Cold start: seconds from `streamlit run app.py` to Home painted, and to Home drawn and idle.

The promise: the first page paints within 5 s of `streamlit run` on 2 cores, and no
warm-up competes with it. Each round starts a fresh server (a new process: torch, aecore and
Streamlit are imported again, caches are empty) and opens it in a fresh Chromium page. Two clocks
stop: "painted" when the page's heading is on screen, "drawn" when everything is (Home's gallery
and charts) and the script is idle. The baseline, timed in
the same rounds, is a trivial two-page Streamlit app started and opened the same way: what
Streamlit and Chromium cost before our app does anything.

    python bench/bench_startup.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS, _free_port, _healthy, stop_server, wait_ready  # noqa: E402

GOAL_S = 5.0
TRIVIAL_APP = """import streamlit as st
pages = [st.Page(lambda: st.title("One"), title="One", url_path="one", default=True),
         st.Page(lambda: st.title("Two"), title="Two", url_path="two")]
st.navigation(pages).run()
"""


def cold_start(browser, app: Path, cwd: Path, drawn: str) -> tuple[float, float]:
    """Seconds from starting `streamlit run app` to its h1 on screen, and to `drawn` on screen
    with the script idle."""
    port = _free_port()
    url = f"http://localhost:{port}"
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
               "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    started = time.perf_counter()
    server = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = started + 120
        while not _healthy(url):
            if server.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"{app} did not start")
            time.sleep(0.05)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url)
        page.locator("h1").first.wait_for(state="visible", timeout=120_000)
        painted = time.perf_counter() - started
        page.locator(drawn).first.wait_for(state="attached", timeout=120_000)
        wait_ready(page, timeout_ms=120_000)
        drawn_seconds = time.perf_counter() - started
        context.close()
        return painted, drawn_seconds
    finally:
        stop_server(server, timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    ours, trivial = [], []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        baseline = Path(folder) / "trivial.py"
        baseline.write_text(TRIVIAL_APP)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for round_ in range(args.rounds):
            # Alternate the order, so neither always runs on a machine the other just warmed.
            pair = [("ours", ROOT / "app.py", ROOT, "[data-testid='stMain'] [data-testid='stImage'] img"),
                    ("trivial", baseline, Path(folder), "h1")]
            for name, app, cwd, drawn in pair if round_ % 2 == 0 else pair[::-1]:
                (ours if name == "ours" else trivial).append(cold_start(browser, app, cwd, drawn))
            print(f"round {round_ + 1}: app painted {ours[-1][0]:.2f} s, drawn {ours[-1][1]:.2f} s; "
                  f"trivial app painted {trivial[-1][0]:.2f} s, drawn {trivial[-1][1]:.2f} s", flush=True)
        browser.close()
    print(f"\nstreamlit run to the first page, {args.rounds} rounds, median (min-max):")
    for clock, which in (("painted (heading on screen)", 0), ("drawn and idle", 1)):
        app_s, base_s = [r[which] for r in ours], [r[which] for r in trivial]
        median = statistics.median(app_s)
        print(f"  {clock:28} app {median:.2f} s ({min(app_s):.2f}-{max(app_s):.2f}), trivial app "
              f"{statistics.median(base_s):.2f} s, ratio {median / statistics.median(base_s):.2f}x")
    painted = statistics.median(r[0] for r in ours)
    print(f"goal: the first page paints within {GOAL_S:.0f} s ({'met' if painted < GOAL_S else 'NOT met'})")


if __name__ == "__main__":
    main()
