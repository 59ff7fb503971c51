"""A new user's download in Chromium, then every page's first open while the zoo is measured.

A new user's first minutes: the real MNIST prefix (or Fashion-MNIST) in ../shared/data is served from a
mirror on 127.0.0.1 (tests/fake_mirror.Mirror) as the four gzipped IDX files, the last HELD images as
the official t10k test file. A fresh `streamlit run app.py` (temporary HOME and data folder, the zoo
measured in the background as for a real user) is driven by Playwright:
  download    the dataset chosen in the sidebar, Download pressed: seconds to the dataset active;
  first open  each page of the sidebar's navigation, one after another (Home last): seconds from the
              click to its first figure (a plotly chart, an image, a table or a canvas) drawn, or
              "no fig., S" when the page was drawn to its end after S seconds with none and nothing
              pending (a screenshot goes to tests/output/bench_download_flow_<page>.png);
  polling     then the pages again, in turn, until the sidebar shows the measuring is over; then
              each page once more ("after": drawn from the stored results);
  exceptions  at every poll (about 4 a second, all phases): any `stException` box or a traceback on
              screen. Goal: 0;
  CPU         user + system seconds of the server's worker processes (its job queue: the zoo's
              jobs, the download and the pages' own jobs), from the Download click to the end, and
              of the server process itself; the wall seconds from Download to the measuring done.
Baselines from the same run: Home's first open from the navigation (each page's ratio to it) and a
PCA(32) fit of the training images in this process, before the server starts and after the end.

    .venv/bin/python bench/bench_download_flow.py [--dataset mnist|fashion-mnist] [--page-timeout 180]
                                                  [--max-minutes 45]

Skips with a message when ../shared/data is absent. The server's log is tests/output/<name>.log.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

from appbench import (CHROMIUM, CHROMIUM_ARGS, MAIN, ROOT, SIDEBAR, VIEWPORT, cpu_seconds, server_pid, streamlit_server,
                      tree_pids, wait_ready)
from conftest import OUTPUT_DIR
from fake_mirror import Mirror, idx_bytes
from shared_data import FILES, HELD, SHARED, arrays, available

SERVER_LOG = "bench_download_flow_server"
POLL_MS = 250
QUIET_S = 3.0  # a page drawn to its end with no figure and nothing pending for this long: "no figure"
MEASURING = re.compile(r"Measuring the zoo's maps|Zoo maps of")
FAILED = re.compile(r"Measuring (?:zoo maps of )?(.+?) failed:")  # a model's name, or the studies' job
FIGURE = ", ".join(f"{MAIN} [data-testid='stElementContainer']:not([data-stale='true']) {inner}" for inner in (
    "[data-testid='stPlotlyChart'] .main-svg", "[data-testid='stImage'] img", "[data-testid='stDataFrame']",
    "[data-testid='stTable']", "canvas"))  # stale: the previous page's element, until this run replaces it
POLL_JS = """([heading, dataset]) => {
  const one = s => document.querySelector(s), all = s => [...document.querySelectorAll(s)];
  const main = one("[data-testid='stMain']"), app = one("[data-testid='stApp']");
  const mainText = main ? main.innerText : "";
  return {
    exceptions: all("[data-testid='stException']").map(e => e.innerText.slice(0, 400)),
    traceback: document.body.innerText.includes("Traceback (most recent call last)"),
    heading: all("[data-testid='stMain'] h1").some(h => h.innerText.trim().startsWith(heading)),
    ready: !!app && app.dataset.testScriptState === "notRunning" && !one("[data-testid='stSkeleton']"),
    pending: !!one("[data-testid='stMain'] :is([data-testid='stProgress'], [data-testid='stSpinner'])")
             || /computing in the background|in the background…|Waiting for a free worker|Waiting for the background worker/.test(mainText),
    home: mainText.includes("Dataset: " + dataset),
    active: all("[data-testid='stSidebar'] [data-testid='stSelectbox'] input").some(i => i.value === dataset),
    sidebar: (one("[data-testid='stSidebar']") || {innerText: ""}).innerText,
  };
}"""


def app_pages() -> list[tuple[str, str]]:
    """(navigation title, the page's own st.title) of every page, in the sidebar's order, from app.py."""
    found = re.findall(r'st\.Page\("(pages/\w+\.py)", title="([^"]+)"', (ROOT / "app.py").read_text())
    return [(title, re.search(r'st\.title\(\s*"([^"]+)"', (ROOT / path).read_text()).group(1)) for path, title in found]


def write_mirror(folder: Path, name: str) -> tuple[Path, int, int]:
    """The four gzipped IDX files a mirror serves (fake_mirror.mirror_folder's layout), from the shared
    prefix: all but its last HELD images as train, those as t10k. Returns (folder, train, test)."""
    x, y = arrays(name)
    cut = len(x) - HELD[name]
    folder.mkdir(parents=True, exist_ok=True)
    for split, part in (("train", slice(0, cut)), ("t10k", slice(cut, None))):
        for stem, array in ((f"{split}-images-idx3-ubyte", x[part]), (f"{split}-labels-idx1-ubyte", y[part])):
            (folder / f"{stem}.gz").write_bytes(gzip.compress(idx_bytes(array), mtime=0))
    return folder, cut, len(x) - cut


def pca_seconds(name: str) -> float:
    """The bare baseline: PCA(32) fit on the training images, then the codes of 5,000 of them (median of 3)."""
    from sklearn.decomposition import PCA
    from threadpoolctl import threadpool_limits

    x = arrays(name)[0][: -HELD[name]].reshape(-1, 784).astype("float32") / 255  # (N, 784)
    times = []
    with threadpool_limits(1):  # as the app's processes run: one thread each
        for _ in range(3):
            started = time.perf_counter()
            PCA(32, random_state=0).fit(x).transform(x[:5000])
            times.append(time.perf_counter() - started)
    return sorted(times)[1]


class CpuSampler:
    """CPU seconds of the server's descendants (its job queue's workers), read from /proc every second
    on a thread, so a worker that exits keeps what it last showed. Keyed by (pid, start time)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.last, self._lock, self.stopped = pid, {}, threading.Lock(), threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self.stopped.wait(1.0):
            self.sample()

    def sample(self) -> None:
        for pid in tree_pids(self.pid)[1:]:
            try:
                started = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
            except (OSError, IndexError):
                continue
            with self._lock:
                self.last[(pid, started)] = max(self.last.get((pid, started), 0.0), cpu_seconds(pid))

    def workers(self) -> float:
        self.sample()
        with self._lock:
            return sum(self.last.values())


class Watcher:
    """Polls the tab: counts polls and polls with an exception per phase, keeps the messages, and
    notes when the sidebar first shows the measuring over. `missing()` lists the shipped models whose
    results are not on disk yet: a sidebar without the progress while some are counts as `blank`."""

    def __init__(self, page, dataset: str, started: float, missing) -> None:
        self.page, self.dataset, self.started, self.missing = page, dataset, started, missing
        self.blank = 0
        self.polls: dict[str, int] = {}
        self.bad: dict[str, int] = {}
        self.messages: dict[str, int] = {}
        self.failed: set[str] = set()
        self.measuring_seen = False
        self.done_at: float | None = None

    def poll(self, phase: str, heading: str = "\0") -> dict:
        state = self.page.evaluate(POLL_JS, [heading, self.dataset])
        found = state["exceptions"] or (["a traceback in the page's text"] if state["traceback"] else [])
        self.polls[phase] = self.polls.get(phase, 0) + 1
        if found:
            self.bad[phase] = self.bad.get(phase, 0) + 1
            for text in found:
                key = " | ".join(text.strip().splitlines()[:2])[:200]
                self.messages[key] = self.messages.get(key, 0) + 1
        self.failed.update(FAILED.findall(state["sidebar"]))
        measuring = bool(MEASURING.search(state["sidebar"]))
        self.measuring_seen |= measuring
        if self.done_at is None and self.measuring_seen and state["active"] and state["ready"] and not measuring:
            if set(self.missing()) <= self.failed:
                self.done_at = time.perf_counter() - self.started
            else:
                self.blank += 1
        return state

    def visit(self, title: str, heading: str, timeout: float) -> tuple[float | None, str]:
        """Open `title` from the sidebar navigation: (seconds to its first figure, what was seen)."""
        begun = time.perf_counter()
        self.page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click(timeout=timeout * 1000)
        quiet_since = None
        while (elapsed := time.perf_counter() - begun) < timeout:
            state = self.poll(title, heading)
            if state["heading"] and self.page.locator(FIGURE).count():
                return elapsed, "figure"
            idle = state["heading"] and state["ready"] and not state["pending"]
            quiet_since = (quiet_since or elapsed) if idle else None
            if quiet_since is not None and elapsed - quiet_since >= QUIET_S:
                return None, f"no fig., {quiet_since:.1f}"  # none, but drawn to its end after that long
            self.page.wait_for_timeout(POLL_MS)
        return None, f"none in {timeout:.0f} s"


def download(page, watcher: Watcher, name: str, timeout: float) -> float | None:
    """Choose `name` in the sidebar, press Download: seconds from the click to the dataset active."""
    sidebar = page.locator(SIDEBAR)
    sidebar.locator("[data-testid='stSelectbox']").filter(has_text="Dataset").locator("input").click()
    page.locator("[role='option']").filter(has_text=re.compile(rf"^{re.escape(name)} \(download")).first.click()
    button = sidebar.get_by_role("button", name="Download", exact=True)
    button.wait_for(timeout=60_000)
    wait_ready(page)
    watcher.started = time.perf_counter()
    button.click()
    while (elapsed := time.perf_counter() - watcher.started) < timeout:
        state = watcher.poll("download")
        if state["home"] and state["active"] and state["ready"]:
            return elapsed
        page.wait_for_timeout(POLL_MS)
    return None


def tour(watcher: Watcher, order: list[tuple[str, str]], timeout: float, seen: dict, stop=lambda: False) -> None:
    """Open every page in `order` once from the navigation, appending (seconds, outcome) to seen[title]."""
    for title, heading in order:
        seen[title].append(watcher.visit(title, heading, timeout))
        if len(seen[title]) == 1 and seen[title][0][0] is None:  # what the page showed instead
            slug = re.sub(r"\W+", "_", title)
            watcher.page.screenshot(path=OUTPUT_DIR / f"bench_download_flow_{slug}.png", full_page=True)
        print(f"{title}: {seen[title][-1]}", flush=True)
        if stop():
            return


def outcome(visit: tuple[float | None, str] | None) -> str:  # "2.1" (s to the figure), or what was seen instead
    return "-" if visit is None else f"{visit[0]:.1f}" if visit[0] is not None else visit[1]


def report(seen: dict, after: dict, watcher: Watcher, totals: dict) -> None:
    home = seen["Home"][0][0]
    print(f"\n{'page':<37} {'first open s':>14} {'x Home':>6} {'visits':>6} {'after s':>14} {'polls':>6} {'exc.':>4}")
    for title, visits in seen.items():
        ratio = f"{visits[0][0] / home:.1f}" if visits[0][0] is not None and home else "-"
        later = outcome((after[title] or [None])[0])
        print(f"{title:<37} {outcome(visits[0]):>14} {ratio:>6} {len(visits):>6} {later:>14} "
              f"{watcher.polls.get(title, 0):>6} {watcher.bad.get(title, 0):>4}")
    print("(first open: click to the first figure, during the measuring; after: the open once it is done)\n")
    for label, value in totals.items():
        print(f"{label:<70} {value}")
    for text, count in watcher.messages.items():
        print(f"  exception seen at {count} poll(s): {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=sorted(FILES), default="mnist")
    parser.add_argument("--page-timeout", type=float, default=180.0, help="seconds to wait for a page's first figure")
    parser.add_argument("--max-minutes", type=float, default=45.0, help="stop polling the pages after this long")
    args = parser.parse_args()
    name = args.dataset
    if not available(name):
        print(f"skipped: {SHARED / FILES[name]} is not here (../shared/data is only on the team's machines)")
        return
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="bench-download-flow-"))
    folder, train, test = write_mirror(work / "mirror", name)
    pca_before = pca_seconds(name)
    data = work / "home" / ".cache" / "aecore" / "datasets"
    folders = {"AECORE_DATA": str(data), "AECORE_ZOO_CACHE": str(data.parent / "zoo-results"),
               "AECORE_ONNX_CACHE": str(data.parent / "onnx")}
    os.environ.update(folders)  # this process's check of the results on disk reads the server's folders
    import aecore.pretrained

    pages = app_pages()
    order = [p for p in pages if p[0] != "Home"] + [p for p in pages if p[0] == "Home"]  # Home last: the baseline
    seen: dict[str, list] = {title: [] for title, _ in order}
    after: dict[str, list] = {title: [] for title, _ in order}
    with Mirror(folder) as mirror:
        env = {"HOME": str(work / "home"), "XDG_CACHE_HOME": str(work / "home" / ".cache"), **folders,
               "AECORE_DATA_MIRROR": mirror.url, "AECORE_APP_SETTINGS": str(work / "app.json"),
               "AECORE_ZOO_MEASURE": "auto"}  # conftest sets "manual" for the tests: a real user gets "auto"
        with streamlit_server(SERVER_LOG, env=env) as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            cpu = CpuSampler(server_pid(base_url))
            page.goto(base_url)
            wait_ready(page)
            watcher = Watcher(page, name, time.perf_counter(), lambda: aecore.pretrained.missing_results(name))
            workers_before, own_before = cpu.workers(), cpu_seconds(cpu.pid)
            download_s = download(page, watcher, name, args.page_timeout * 2)
            deadline = watcher.started + args.max_minutes * 60
            over = lambda: watcher.done_at is not None or time.perf_counter() > deadline  # noqa: E731
            tour(watcher, order, args.page_timeout, seen)
            while not over():
                print(f"polling: {time.perf_counter() - watcher.started:.0f} s after the download click", flush=True)
                tour(watcher, order, min(args.page_timeout, 60.0), seen, stop=over)
            at_done = cpu.workers() - workers_before
            if watcher.done_at is not None:
                print("measuring done: every page once more", flush=True)
                tour(watcher, order, args.page_timeout, after)
            workers_s, own_s = cpu.workers() - workers_before, cpu_seconds(cpu.pid) - own_before
            cpu.stopped.set()
            browser.close()
    missing = aecore.pretrained.missing_results(name)
    shutil.rmtree(work, ignore_errors=True)
    log = OUTPUT_DIR / f"{SERVER_LOG}.log"
    tracebacks = log.read_text(errors="replace").count("Traceback (most recent call last)") if log.exists() else -1
    polls, bad = sum(watcher.polls.values()), sum(watcher.bad.values())
    done = f"{watcher.done_at:.0f}" if watcher.done_at is not None else f"not done in {args.max_minutes:.0f} min"
    report(seen, after, watcher, {
        f"images served ({name}): training, official-test file": f"{train:,}, {test:,}",
        "download: click to the dataset active, s": f"{download_s:.1f}" if download_s is not None else "timed out",
        "measuring: download click to the sidebar showing it done, s": done,
        "worker processes' CPU from the download click, s: at done / end": f"{at_done:.0f} / {workers_s:.0f}",
        "server process's own CPU from the download click to the end, s": f"{own_s:.0f}",
        "shipped models still without results on disk / failed": f"{len(missing)} / {sorted(watcher.failed) or 0}",
        "polls with an exception / polls (goal 0)": f"{bad} / {polls}",
        "polls whose sidebar showed no progress while models were unmeasured": watcher.blank,
        f"tracebacks in {log.relative_to(ROOT)}": tracebacks,
        "baseline: PCA(32) of the training images, s: before / after": f"{pca_before:.2f} / {pca_seconds(name):.2f}",
        "load average (1, 5, 15 min) at the end": " ".join(f"{v:.1f}" for v in os.getloadavg()),
    })


if __name__ == "__main__":
    main()
