"""Helpers the app-level benchmarks share (bench_watch, bench_classroom, bench_estimate).

Not a benchmark itself: the bare training loop that is every app figure's baseline, the memory of
the Streamlit server with its worker processes read from /proc, and a few small page readers.
The server and browser come from tests/conftest.py, as in bench_browser.py.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_ready  # noqa: E402,F401

MAIN = "[data-testid='stMain']"
SIDEBAR = "[data-testid='stSidebar']"
SUCCESS = f"{MAIN} [data-testid='stAlertContentSuccess']"
EXCEPTION = "[data-testid='stException']"
DONE_TEXT = "is now the active model"
VIEWPORT = {"width": 1400, "height": 1000}


# --- the baseline: the default recipe in a bare torch loop ------------------------------------
def bare_samples_per_second(spec, data=None) -> float:
    """Samples per second of `spec` (an aecore RunSpec) in the minimal loop: the same model, seed,
    training images, batch size and lr as `aecore.runner.run`, data resident, a randperm per epoch,
    Adam, one torch thread (as a worker has); no validation, callbacks or evaluation.
    (bench_fit.run_bare is the same loop but fixes batch 128 and lr 1e-3 as module constants.)"""
    import torch

    from aecore.runner import build_model, split_for

    torch.set_num_threads(1)
    train, _ = data if data is not None else split_for(spec)
    model = build_model(spec, train.image_shape).train()
    torch.manual_seed(spec.fit.seed)
    images, batch = train.images, spec.fit.batch_size  # (N, C, H, W)
    start = time.perf_counter()
    optimiser = torch.optim.Adam(model.parameters(), lr=spec.fit.lr)
    for _ in range(spec.fit.epochs):
        permutation = torch.randperm(len(images))
        for first in range(0, len(images), batch):
            x = images[permutation[first : first + batch]]  # (B, C, H, W)
            optimiser.zero_grad(set_to_none=True)
            model.loss(x)[0].backward()
            optimiser.step()
    return spec.fit.epochs * len(images) / (time.perf_counter() - start)


def train_images(spec) -> int:
    from aecore.runner import split_for

    return len(split_for(spec)[0])


# --- memory of a process tree, from /proc -----------------------------------------------------
def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_pids(pid: int) -> list[int]:
    """`pid` and all its descendants (the server's worker processes, their resource tracker)."""
    tree, pids, todo = _children(), [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(tree.get(current, []))
    return pids


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(pid: int) -> float:
    return sum(_status_kb(p, "VmRSS") for p in tree_pids(pid)) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds `pid` itself has used (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def tree_cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds of `pid` itself ("own") and of its living descendants ("children")."""
    pids = tree_pids(pid)
    return {"own": cpu_seconds(pid), "children": sum(cpu_seconds(p) for p in pids[1:])}


def server_pid(base_url: str) -> int:
    """The pid of the `streamlit run` process serving `base_url` (found by its port argument)."""
    port = base_url.rsplit(":", 1)[1]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in b" ".join(argv) and b"--server.port" in argv and port.encode() in argv:
                return int(entry)
    raise RuntimeError(f"no streamlit process serves {base_url}")


class RssSampler:
    """Samples the total RSS of a process tree (and the trees of `also`) every `every` s on a thread;
    `.peak_mb` is the highest total seen (a sum of the per-process peaks would overstate it)."""

    def __init__(self, pid: int, every: float = 0.25, also: list[int] | None = None) -> None:
        self.pid, self.every, self.peak_mb, self.also = pid, every, 0.0, also or []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid) + sum(tree_rss_mb(p) for p in self.also))
            self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# --- small readers -----------------------------------------------------------------------------
def parse_number(text: str) -> float:
    """"18,164" -> 18164.0."""
    match = re.search(r"-?[\d,]*\.?\d+", text)
    return float(match.group().replace(",", "")) if match else float("nan")


def median(values) -> float:
    values = [v for v in values if v == v]  # drop nan
    return statistics.median(values) if values else float("nan")


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"
