"""Cold start: seconds from `streamlit run app.py` to Home drawn and idle in Chromium.

The promise (issue 12): the first page paints within 5 s of `streamlit run` on 2 cores, and no
warm-up competes with it. Each round starts a fresh server (a new process: torch, aecore and
Streamlit are imported again, caches are empty), opens it in a fresh Chromium page and stops the
clock when Home's heading and gallery are on screen and the script is idle. The baseline, timed in
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
from conftest import CHROMIUM, CHROMIUM_ARGS, _free_port, _healthy, wait_ready  # noqa: E402

GOAL_S = 5.0
TRIVIAL_APP = """import streamlit as st
pages = [st.Page(lambda: st.title("One"), title="One", url_path="one", default=True),
         st.Page(lambda: st.title("Two"), title="Two", url_path="two")]
st.navigation(pages).run()
"""


def cold_start(browser, app: Path, cwd: Path, drawn: str) -> float:
    """Seconds from starting `streamlit run app` to `drawn` on screen with the script idle."""
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
        page.locator(drawn).first.wait_for(state="attached", timeout=120_000)
        wait_ready(page, timeout_ms=120_000)
        seconds = time.perf_counter() - started
        context.close()
        return seconds
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


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
            print(f"round {round_ + 1}: app {ours[-1]:.2f} s, trivial app {trivial[-1]:.2f} s", flush=True)
        browser.close()
    median_ours, median_trivial = statistics.median(ours), statistics.median(trivial)
    print(f"\nstreamlit run to Home drawn and idle, {args.rounds} rounds:")
    print(f"  Autoencoder Explorer: median {median_ours:.2f} s (min {min(ours):.2f}, max {max(ours):.2f})")
    print(f"  trivial two-page app: median {median_trivial:.2f} s (min {min(trivial):.2f}, max {max(trivial):.2f})")
    print(f"  ratio {median_ours / median_trivial:.2f}x; goal: under {GOAL_S:.0f} s "
          f"({'met' if median_ours < GOAL_S else 'NOT met'})")


if __name__ == "__main__":
    main()
