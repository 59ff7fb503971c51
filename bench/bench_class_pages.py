"""A class opening pages: ten sessions, each opening every page of the app in turn, at once.

One Chromium, one browser context (a separate session, as ten students' laptops) per session. Each
session loads Home, then clicks every other page in the sidebar in the app's order, as a student
going round. A page counts as open when its heading has replaced the last page's and its script is
idle with no placeholder left. The baseline, measured the same way in the same run, is a trivial
app with the same page titles, each page a heading, a paragraph and a slider: what Streamlit,
Chromium and ten sessions cost before our pages do anything. Printed per page: the median and p95
over the sessions, their ratios to the trivial app's, the errors shown, and each server's peak
memory (its whole process tree: workers included).

    python bench/bench_class_pages.py [--sessions 10] [--order ours-first|trivial-first]

Goal: every page's p95 at most 1.5x the trivial app's in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from appbench import RssSampler, cpu_seconds, server_pid, tree_pids  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS, _free_port, _healthy, fresh_settings, stop_server  # noqa: E402

GOAL = 1.5
TIMEOUT_MS = 600_000  # a page under a class's load on 2 cores may take minutes: measured, not failed
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


def page_titles(app: Path) -> list[str]:
    """The sidebar's titles, in order, from the app's st.Page(..., title=...) calls."""
    return re.findall(r'st\.Page\([^)]*?title="([^"]+)"', app.read_text())


def trivial_app(titles: list[str]) -> str:
    pages = ",\n    ".join(f'st.Page(lambda: show({t!r}), title={t!r}, url_path="p{i}"{", default=True" if i == 0 else ""})'
                           for i, t in enumerate(titles))
    return ("import streamlit as st\n\n\ndef show(title):\n    st.title(title + ' (trivial)')\n"
            "    st.write('A paragraph of text, as a page would say.')\n    st.slider('A slider', 0, 10, 5)\n\n\n"
            f"st.navigation([\n    {pages},\n], expanded=True).run()\n")


def start(app: Path, cwd: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    url = f"http://localhost:{port}"
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true", "--server.port",
               str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    env = {**os.environ, "AECORE_APP_SETTINGS": fresh_settings()}
    server = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    while not _healthy(url):
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{app} did not start")
        time.sleep(0.2)
    return server, url


async def ready(page) -> None:
    await page.wait_for_selector(READY, timeout=TIMEOUT_MS)
    await page.wait_for_selector("[data-testid='stSkeleton']", state="detached", timeout=TIMEOUT_MS)


async def session(browser, url: str, titles: list[str]) -> tuple[dict[str, float], int]:
    """Seconds to open each page in this session, and the errors its pages showed. Its browser
    context stays open (its renderer's CPU time is read when every session is done)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    seconds, errors = {}, 0
    started = time.perf_counter()
    await page.goto(url)
    await page.locator("h1").first.wait_for(timeout=TIMEOUT_MS)
    await ready(page)
    seconds[titles[0]] = time.perf_counter() - started
    for title in titles[1:]:
        errors += await page.locator("[data-testid='stException']").count()
        heading = await page.locator("h1").first.inner_text()
        link = page.locator("[data-testid='stSidebarNav'] a", has_text=title).first
        started = time.perf_counter()
        await link.click(timeout=TIMEOUT_MS)
        await page.wait_for_function("old => { const h = document.querySelector('h1'); "
                                     "return h && h.innerText !== old; }", arg=heading, timeout=TIMEOUT_MS)
        await ready(page)
        seconds[title] = time.perf_counter() - started
    errors += await page.locator("[data-testid='stException']").count()
    return seconds, errors


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


async def measure(app: Path, cwd: Path, titles: list[str], sessions: int) -> dict:
    from playwright.async_api import async_playwright

    server, url = start(app, cwd)
    try:
        with RssSampler(server_pid(url)) as sampler:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                before = cpu(server_pid(url))
                started = time.perf_counter()
                results = await asyncio.gather(*(session(browser, url, titles) for _ in range(sessions)))
                total = time.perf_counter() - started
                after = cpu(server_pid(url))
                await browser.close()
    finally:
        stop_server(server, timeout=15)
    per_page = {t: [r[0][t] for r in results] for t in titles}
    used = {k: after[k] - before.get(k, 0.0) for k in after}
    return {"pages": per_page, "errors": sum(r[1] for r in results), "peak_mb": sampler.peak_mb, "total_s": total,
            "cpu": used}


def cpu(server: int) -> dict[str, float]:
    """CPU seconds so far of the server's process tree (its workers included) and of the browser
    (every other process under this one: Playwright's driver, Chromium and its renderers)."""
    served = set(tree_pids(server))
    return {"server": sum(cpu_seconds(p) for p in served),
            "browser": sum(cpu_seconds(p) for p in tree_pids(os.getpid())[1:] if p not in served)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--order", choices=("ours-first", "trivial-first"), default="trivial-first")
    args = parser.parse_args()
    titles = page_titles(ROOT / "app.py")
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        trivial = Path(folder) / "trivial.py"
        trivial.write_text(trivial_app(titles))
        runs = [("trivial", trivial, Path(folder)), ("ours", ROOT / "app.py", ROOT)]
        for name, app, cwd in runs if args.order == "trivial-first" else runs[::-1]:
            results[name] = asyncio.run(measure(app, cwd, titles, args.sessions))
            print(f"{name}: {results[name]['total_s']:.0f} s for {args.sessions} sessions, peak "
                  f"{results[name]['peak_mb']:.0f} MB, {results[name]['errors']} errors; CPU: server "
                  f"{results[name]['cpu']['server']:.0f} s, browser {results[name]['cpu']['browser']:.0f} s", flush=True)
    ours, base = results["ours"]["pages"], results["trivial"]["pages"]
    print(f"\n{args.sessions} sessions opening {len(titles)} pages each (seconds; first row: loading the app)")
    print(f"{'page':40} {'median':>7} {'p95':>7} {'trivial p95':>12} {'p95 ratio':>10}")
    worst = 0.0
    for title in titles:
        ratio = p95(ours[title]) / p95(base[title])
        worst = max(worst, ratio)
        print(f"{title[:40]:40} {statistics.median(ours[title]):7.1f} {p95(ours[title]):7.1f} "
              f"{p95(base[title]):12.1f} {ratio:9.2f}x")
    every_ours = [s for values in ours.values() for s in values]
    every_base = [s for values in base.values() for s in values]
    print(f"{'every page':40} {statistics.median(every_ours):7.1f} {p95(every_ours):7.1f} {p95(every_base):12.1f} "
          f"{p95(every_ours) / p95(every_base):9.2f}x")
    print(f"peak memory: app {results['ours']['peak_mb']:.0f} MB, trivial {results['trivial']['peak_mb']:.0f} MB; "
          f"errors shown: {results['ours']['errors']}")
    print(f"goal: every page's p95 within {GOAL}x the trivial app's: {'met' if worst <= GOAL else 'NOT met'} "
          f"(worst {worst:.2f}x)")


if __name__ == "__main__":
    main()
