"""A classroom: K students press Train on the default recipe at the same moment, while one more
student keeps using the Reconstruct & denoise lab. Does the queue stay fair, the lab responsive and
the server's memory bounded?

One Streamlit server, one Chromium (async Playwright), one context per session. One warm-up run
first spawns the worker process (reported apart). Then, on the idle server, the watcher session
changes the lab's Seed (`denoise_seed`) several times and times each change to the picture: from
Enter to the script state notRunning, no skeleton, and the grid's image different from before.
Then, for each K (K=1 always first, as the reference), K fresh sessions open the Train page,
press Train together (default digits recipe: MLP, 100 epochs, batch 64) and wait for "... is now
the active model", while the watcher keeps changing the seed (a new seed each time,
so nothing is served from a cache) until the last of them finishes.

Reported per K: each session's seconds from its click to its finish; the slowest over K x the K=1
time (the queue runs $AECORE_WORKERS jobs at a time, default cores-1: with one worker K runs take
K times one, so goal <= 1.3); the lab's control-to-picture median during the rush over the idle
median (goal <= 2); the server's memory with its worker processes (RSS summed over the process tree
from /proc, sampled every 0.25 s: before, with the K sessions open, peak, after they close) and the
memory per session ((open - before) / K, and (after - before) / K once each holds a trained
model); exceptions ([data-testid='stException']) on any page at the end (goal 0; page K is the
lab's). Every wait has a timeout: a session that does not finish in
time counts as nan and what its page shows then is printed; a lab change with no picture within
120 s counts as lost. Per rush, the CPU used by the server process, its workers and the browser side
(Chromium, Playwright, this process) is printed in cores. The server inherits this environment, so
its settings can be varied from the command line (AECORE_WORKERS=2, or any STREAMLIT_* option).

`--cluster N` runs the same class with the queue's jobs on a local Dask cluster of N worker processes
(one thread each; 0, the default: the server's own process pool). This process starts the cluster
(`distributed.LocalCluster`, its scheduler in this process) and hands its address to the server as
$AECORE_CLUSTER (docs/class-server.md); the cluster's worker processes count in the memory figures and
as "cluster" in the CPU split. Compare with the same N as the local pool's workers (cores - 1).

    python bench/bench_classroom.py [--k 1,8,20] [--idle-changes 8] [--cluster 0]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import time
from contextlib import ExitStack

from appbench import (CHROMIUM, CHROMIUM_ARGS, DONE_TEXT, EXCEPTION, MAIN, SUCCESS, VIEWPORT, RssSampler, median,
                      server_pid, streamlit_server, tree_cpu_seconds, tree_rss_mb, verdict)

PAGE_TIMEOUT_MS = 120_000  # many sessions opening at once on 2 cores are slow (docs/streamlit-notes.md)
FINISH_BASE_S, FINISH_PER_RUN_S = 120, 30  # one run takes ~3 s in the queue alone
MAX_RUSH_CHANGES = 200
FAIR_GOAL, LAB_GOAL = 1.3, 2.0
CLUSTER_PIDS: list[int] = []  # the local cluster's worker processes (--cluster), counted with the server
READY_JS = """(old) => {
  const app = document.querySelector("[data-testid='stApp']");
  const image = document.querySelector("[data-testid='stPlotlyChart'] g.imagelayer image");
  return app && app.getAttribute("data-test-script-state") === "notRunning"
    && !document.querySelector("[data-testid='stSkeleton']") && image && image.getAttribute("href") !== old;
}"""
GRID_IMAGE = "[data-testid='stPlotlyChart'] g.imagelayer image"
SHOWN_JS = """() => ["stApp", "stAlert", "stProgress", "stSidebar"].map(id => Array.from(
  document.querySelectorAll(`[data-testid='${id}']`)).map(e => id === "stApp"
  ? e.getAttribute("data-test-script-state") : e.innerText.slice(0, 300)).join(" / ")).join(" || ")"""


async def wait_ready(page) -> None:
    await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=PAGE_TIMEOUT_MS)
    await page.wait_for_selector("[data-testid='stSkeleton']", state="detached", timeout=PAGE_TIMEOUT_MS)


async def open_session(browser, base_url: str, title: str, heading: str):
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    await page.goto(base_url, timeout=PAGE_TIMEOUT_MS)
    await wait_ready(page)
    await page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click(timeout=PAGE_TIMEOUT_MS)
    await page.locator("h1", has_text=heading).first.wait_for(timeout=PAGE_TIMEOUT_MS)
    await wait_ready(page)
    return context, page


async def change_seed(page, value: int) -> float:
    """Seconds from Enter in the Seed box to the redrawn picture with the script idle."""
    seed = page.get_by_role("spinbutton", name="Seed", exact=True)
    old = await page.locator(GRID_IMAGE).first.get_attribute("href", timeout=PAGE_TIMEOUT_MS)
    await seed.fill(str(value), timeout=PAGE_TIMEOUT_MS)
    started = time.perf_counter()
    await seed.press("Enter", timeout=PAGE_TIMEOUT_MS)
    await page.wait_for_function(READY_JS, arg=old, polling=20, timeout=PAGE_TIMEOUT_MS)
    return time.perf_counter() - started


async def train_and_wait(page, timeout_s: float, stuck: list[str]) -> float:
    """Press Train; seconds from the click to the success message. If it does not come within
    timeout_s: nan, and what the page shows then goes into `stuck`."""
    button = page.locator(f"{MAIN} button", has_text="Train").first
    started = time.perf_counter()
    await button.click(timeout=PAGE_TIMEOUT_MS)
    try:
        await page.locator(SUCCESS, has_text=DONE_TEXT).first.wait_for(timeout=timeout_s * 1000)
    except Exception as error:  # noqa: BLE001 - Playwright's TimeoutError: report it as a missing figure
        stuck.append(f"{type(error).__name__} after {time.perf_counter() - started:.0f} s; page: "
                     + " | ".join((await page.evaluate(SHOWN_JS)).split()))
        return float("nan")
    return time.perf_counter() - started


async def keep_changing(page, seeds, done: asyncio.Event, times: list[float]) -> None:
    for value in seeds:
        if done.is_set() or len(times) >= MAX_RUSH_CHANGES:
            return
        try:
            times.append(await change_seed(page, value))
        except Exception:  # noqa: BLE001 - a change that never drew (Playwright's TimeoutError) counts as nan
            times.append(float("nan"))
        await asyncio.sleep(0.3)


async def exceptions_shown(pages) -> list[str]:
    """The text of every exception box on `pages` (the page's index first)."""
    found = []
    for index, page in enumerate(pages):
        for box in await page.locator(EXCEPTION).all():
            found.append(f"page {index}: " + " ".join((await box.inner_text()).split())[:400])
    return found


def cpu_split(pid: int) -> dict[str, float]:
    """CPU seconds so far of the server process, its workers, the cluster's workers (--cluster), and
    the rest of this bench's tree (Playwright and Chromium, this process, the cluster's scheduler)."""
    server, everything = tree_cpu_seconds(pid), tree_cpu_seconds(os.getpid())
    cluster = sum(sum(tree_cpu_seconds(p).values()) for p in CLUSTER_PIDS)
    return {"server": server["own"], "workers": server["children"], "cluster": cluster,
            "browser": everything["own"] + everything["children"] - server["own"] - server["children"] - cluster}


def memory_mb(pid: int) -> float:
    """The server's process tree and the cluster's worker processes (--cluster), in MB."""
    return tree_rss_mb(pid) + sum(tree_rss_mb(p) for p in CLUSTER_PIDS)


async def rush(browser, base_url: str, pid: int, k: int, watcher, next_seed: int) -> dict:
    before = memory_mb(pid)
    opened_at = time.perf_counter()
    sessions = await asyncio.gather(*(open_session(browser, base_url, "Train", "Train a model") for _ in range(k)))
    open_s = time.perf_counter() - opened_at
    pages = [page for _, page in sessions]
    with_open = memory_mb(pid)
    done, lab_times = asyncio.Event(), []
    timeout_s = FINISH_BASE_S + FINISH_PER_RUN_S * k
    cpu_before, started = cpu_split(pid), time.perf_counter()
    with RssSampler(pid, also=CLUSTER_PIDS) as sampler:
        lab = asyncio.create_task(keep_changing(watcher, range(next_seed, next_seed + MAX_RUSH_CHANGES), done,
                                                lab_times))
        stuck: list[str] = []
        finish = await asyncio.gather(*(train_and_wait(page, timeout_s, stuck) for page in pages))
        done.set()
        await asyncio.wait_for(lab, PAGE_TIMEOUT_MS / 1000)
    seconds = time.perf_counter() - started
    cpu = {name: (value - cpu_before[name]) / seconds for name, value in cpu_split(pid).items()}
    exceptions = await exceptions_shown(pages + [watcher])
    for context, _ in sessions:
        await context.close()
    await asyncio.sleep(2)
    return {"k": k, "finish": finish, "open_s": open_s, "lab": lab_times, "before": before, "open": with_open,
            "peak": sampler.peak_mb, "after": memory_mb(pid), "exceptions": exceptions, "cpu": cpu,
            "stuck": stuck}


def local_cluster(workers: int, stack: ExitStack) -> dict[str, str]:
    """Start a local Dask cluster of `workers` processes (closed with `stack`); the server's environment."""
    from distributed import Client, LocalCluster

    cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               dashboard_address=None, worker_dashboard_address=None))
    with Client(cluster) as client:
        CLUSTER_PIDS[:] = client.run(os.getpid).values()
    return {"AECORE_CLUSTER": cluster.scheduler_address}


async def bench(ks: list[int], idle_changes: int, cluster: int) -> tuple[list[float], list[dict], int]:
    from playwright.async_api import async_playwright

    with ExitStack() as stack, streamlit_server("bench_classroom_server",
                                                local_cluster(cluster, stack) if cluster else None) as base_url:
        pid = server_pid(base_url)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # Warm-up: the first job spawns the worker process (it imports torch): not part of any K.
            context, page = await open_session(browser, base_url, "Train", "Train a model")
            warm = await train_and_wait(page, FINISH_BASE_S + FINISH_PER_RUN_S, [])
            await context.close()
            print(f"warm-up run (worker spawn included): {warm:.1f} s click to finish", flush=True)
            _, watcher = await open_session(browser, base_url, "Reconstruct & denoise", "Reconstruct & denoise")
            await change_seed(watcher, 1000)  # warm-up: the lab's first draw at a new seed
            idle = []
            for value in range(1, idle_changes + 1):
                idle.append(await change_seed(watcher, value))
                await asyncio.sleep(0.3)
            rounds, next_seed = [], 100
            for k in ks:
                rounds.append(await rush(browser, base_url, pid, k, watcher, next_seed))
                next_seed += MAX_RUSH_CHANGES
                r = rounds[-1]
                print(f"K={k}: finished {sum(f == f for f in r['finish'])}/{k}, slowest {max(r['finish']):.1f} s, "
                      f"{len(r['lab'])} lab changes", flush=True)
            await browser.close()
    return idle, rounds, pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", default="1,8,20", help="comma-separated session counts; 1 is always run first")
    parser.add_argument("--idle-changes", type=int, default=8)
    parser.add_argument("--cluster", type=int, default=0, help="worker processes of a local Dask cluster (0: none)")
    args = parser.parse_args()
    ks = [1] + sorted({int(k) for k in args.k.split(",")} - {1})
    load = os.getloadavg()[0]
    idle, rounds, _ = asyncio.run(bench(ks, args.idle_changes, args.cluster))
    one = rounds[0]["finish"][0]
    idle_median = median(idle)
    workers = os.environ.get("AECORE_WORKERS", f"default ({max(1, (os.cpu_count() or 1) - 1)})")
    if args.cluster:
        workers = f"a local Dask cluster of {args.cluster} worker processes (AECORE_CLUSTER)"
    print(f"\nworkers={workers}, cores={os.cpu_count()}, load average at start {load:.1f}, at end "
          f"{os.getloadavg()[0]:.1f}; default digits recipe")
    print(f"lab control-to-picture, idle server: median {idle_median:.2f} s over {len(idle)} changes "
          f"(min {min(idle):.2f}, max {max(idle):.2f})\n")
    print(f"| K | open K sessions s | click to finish s: median / slowest | slowest / (K x {one:.1f} s) | "
          f"<= {FAIR_GOAL} | lab s median (n, lost) | lab / idle | <= {LAB_GOAL} | "
          "server+workers MB: before / K open / peak / after close | MB per session: open / trained | "
          "exceptions |")
    print("|---:|---:|---:|---:|:---:|---:|---:|:---:|---:|---:|---:|")
    for r in rounds:
        k, finish = r["k"], r["finish"]
        slowest = max(finish) if all(f == f for f in finish) else float("nan")
        fair = slowest / (k * one)
        lost = sum(t != t for t in r["lab"])  # changes with no picture within PAGE_TIMEOUT_MS
        lab = median([t if t == t else math.inf for t in r["lab"]])  # a lost change counts as endless
        print(f"| {k} | {r['open_s']:.1f} | {median(finish):.1f} / {slowest:.1f} | {fair:.2f} | "
              f"{verdict(fair <= FAIR_GOAL)} | {lab:.2f} ({len(r['lab'])}, {lost} lost) | {lab / idle_median:.2f} | "
              f"{verdict(lab / idle_median <= LAB_GOAL)} | {r['before']:.0f} / {r['open']:.0f} / {r['peak']:.0f} / "
              f"{r['after']:.0f} | {(r['open'] - r['before']) / k:.1f} / "
              f"{(r['after'] - r['before']) / k:.1f} | {len(r['exceptions'])} |")
    print("\nCPU during each rush, in cores (1.0 = one core busy the whole time): " + "; ".join(
        f"K={r['k']}: " + ", ".join(f"{name} {value:.2f}" for name, value in r["cpu"].items()) for r in rounds))
    for r in rounds:
        print(f"\nK={r['k']} finish s, in order: {', '.join(f'{f:.1f}' for f in sorted(r['finish']))}")
        print(f"K={r['k']} lab s: {', '.join(f'{t:.2f}' for t in r['lab'])}")
        for text in r["stuck"]:
            print(f"K={r['k']} a session with no finish: {text}")
        for text in r["exceptions"]:
            print(f"K={r['k']} exception on {text}")


if __name__ == "__main__":
    main()
