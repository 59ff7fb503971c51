"""Does watching a training run, or leaving its page, slow it down? The default digits recipe (MLP
autoencoder, 100 epochs, batch 64) started from the Train page in Chromium, against the same recipe
in a bare torch loop (one thread, same model, data, batch size, lr) timed in this same process.

Each repeat times, in an order that flips every repeat:
  bare   the bare loop in this process (appbench.bare_samples_per_second), the server idle;
  watch  a fresh session presses Train and stays on the Train page until "... is now the active
         model" shows;
  leave  a fresh session presses Train and at once opens Reconstruct & denoise; the run counts as
         seen once the sidebar names the trained model (the sidebar's heartbeat looks every second and
         reruns the app when the run has ended), then the Train page is opened to read the metric.
For the two browser modes two figures: the app's own "Samples per second" metric (fit's measured
speed in the worker, validation excluded) and the wall-clock samples per second, epochs x training
images over the time from the click to the finish being on screen (queueing, data loading,
validation, evaluation, checkpoint, reruns included). Ratios to the bare loop are paired within a
repeat; medians over repeats. One warm-up run (the worker process spawns and imports torch) comes
first and is reported apart. Goal: app/bare >= 0.8 and wall/bare >= 0.8 in both modes.

    python bench/bench_watch.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import time

from appbench import (CHROMIUM, CHROMIUM_ARGS, DONE_TEXT, EXCEPTION, MAIN, SIDEBAR, SUCCESS, VIEWPORT,
                      bare_samples_per_second, median, parse_number, streamlit_server, train_images, verdict,
                      wait_ready)

GOAL = 0.8
TRAIN_TIMEOUT_MS = 240_000  # the shared CPU may be busy with other work
PAGE_TIMEOUT_MS = 60_000
OTHER_PAGE = ("Reconstruct & denoise", "Reconstruct & denoise")  # (nav title, heading)


def nav(page, title: str, heading: str) -> None:
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    page.locator("h1", has_text=heading).first.wait_for(timeout=PAGE_TIMEOUT_MS)
    wait_ready(page)


def metric(page, label: str) -> str:
    found = page.locator("[data-testid='stMetric']").filter(has_text=label)
    return found.locator("[data-testid='stMetricValue']").first.inner_text(timeout=PAGE_TIMEOUT_MS)


def browser_run(browser, base_url: str, leave: bool) -> dict[str, float]:
    """One run of the default recipe from a fresh session: seconds from the click to the finish on
    screen, the app's samples/s, its Elapsed metric, and the exceptions seen."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        page.goto(base_url)
        wait_ready(page)
        nav(page, "Train", "Train a model")
        epochs = int(page.get_by_role("spinbutton", name="Epochs", exact=True).input_value())
        button = page.locator(f"{MAIN} button", has_text="Train").first
        button.wait_for(timeout=PAGE_TIMEOUT_MS)
        started = time.perf_counter()
        button.click()
        if leave:
            page.locator(f"{MAIN} [data-testid='stProgress'], {MAIN} [data-testid='stAlert']").first.wait_for(
                timeout=PAGE_TIMEOUT_MS)  # the click has been taken: the job is queued
            nav(page, *OTHER_PAGE)
            page.locator(SIDEBAR, has_text="trained: ae mlp 8-D #1").wait_for(timeout=TRAIN_TIMEOUT_MS)
            seconds = time.perf_counter() - started
            exceptions = page.locator(EXCEPTION).count()
            nav(page, "Train", "Train a model")
        success = page.locator(SUCCESS, has_text=DONE_TEXT)
        success.wait_for(timeout=TRAIN_TIMEOUT_MS)
        if not leave:
            seconds = time.perf_counter() - started
            exceptions = 0
        wait_ready(page)
        return {"seconds": seconds, "epochs": epochs, "app": parse_number(metric(page, "Samples per second")),
                "elapsed": parse_number(metric(page, "Elapsed")),
                "exceptions": exceptions + page.locator(EXCEPTION).count()}
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch
    from playwright.sync_api import sync_playwright

    import aecore.recipes

    spec = aecore.recipes.default_spec("digits")
    load = os.getloadavg()[0]
    n_train = train_images(spec)
    bare_samples_per_second(spec.with_fit(epochs=2))  # warm-up of this process's torch
    speeds: dict[str, list[float]] = {"bare": []}
    runs: dict[str, list[dict[str, float]]] = {"watch": [], "leave": []}
    with streamlit_server("bench_watch_server") as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        warm = browser_run(browser, base_url, leave=False)
        for repeat in range(args.repeats):
            order = ["bare", "watch", "leave"]
            for mode in order if repeat % 2 == 0 else order[::-1]:
                if mode == "bare":
                    speeds["bare"].append(bare_samples_per_second(spec))
                else:
                    runs[mode].append(browser_run(browser, base_url, leave=mode == "leave"))
                print(f"repeat {repeat + 1} {mode} done", flush=True)
        browser.close()

    bare = speeds["bare"]
    print(f"\ndefault digits recipe: {spec.kind} {spec.arch} {spec.latent_dim}-D, {spec.fit.epochs} epochs, batch "
          f"{spec.fit.batch_size}, {n_train} training images; bare loop: 1 torch thread, threads here="
          f"{torch.get_num_threads()}; repeats={args.repeats}; load average at start {load:.1f}, at end "
          f"{os.getloadavg()[0]:.1f} (2 cores, shared)")
    print(f"warm-up run (worker spawn included): {warm['seconds']:.2f} s click to finish, app "
          f"{warm['app']:,.0f} samples/s\n")
    print(f"bare loop: median {median(bare):,.0f} samples/s (runs: {', '.join(f'{b:,.0f}' for b in bare)})\n")
    print("| mode | app samples/s (median) | app / bare (paired median) | click to finish s (median) "
          f"| wall samples/s (median) | wall / bare (paired median) | Elapsed s (median) | exceptions | >= {GOAL} |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|:---:|")
    for mode, results in runs.items():
        wall = [r["epochs"] * n_train / r["seconds"] for r in results]
        app_ratio = median(r["app"] / b for r, b in zip(results, bare))
        wall_ratio = median(w / b for w, b in zip(wall, bare))
        print(f"| {mode} | {median(r['app'] for r in results):,.0f} | {app_ratio:.3f} | "
              f"{median(r['seconds'] for r in results):.2f} | {median(wall):,.0f} | {wall_ratio:.3f} | "
              f"{median(r['elapsed'] for r in results):.0f} | {sum(r['exceptions'] for r in results)} | "
              f"{verdict(app_ratio >= GOAL and wall_ratio >= GOAL)} |")
    print("\nper run (s click to finish / app samples/s): " + "; ".join(
        f"{mode}: " + ", ".join(f"{r['seconds']:.1f}/{r['app']:,.0f}" for r in results)
        for mode, results in runs.items()))


if __name__ == "__main__":
    main()
