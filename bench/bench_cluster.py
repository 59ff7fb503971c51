"""Which distributed engine should carry the job queue past one server? Dask distributed against Ray,
each measured against `concurrent.futures.ProcessPoolExecutor` (the queue's local pool) in the same run.

Each engine runs in a fresh child process (the app server's role), `--rounds` times, alternating:
  start    seconds from nothing to a cluster of two worker processes that has run one job on each;
  job      seconds from submit to result of a trivial job, one at a time (median of `--jobs`);
  burst    seconds per job when `--jobs` trivial jobs are submitted at once;
  ckpt     seconds from submit to result of a job that returns 1 MB of bytes (a checkpoint);
  MB       the RSS of the child's process tree once started (scheduler, workers, the engine's
           daemons) less the child's own before it started anything.
Engines: `pool` (ProcessPoolExecutor, 2 spawned processes), `dask` (LocalCluster: 2 worker processes,
one thread each, the scheduler in the child), `ray` (ray.init with 2 CPUs: one node, 2 workers),
`ray2` (ray.cluster_utils.Cluster: a head and a second node, one CPU each). An engine that is not
installed is left out.

`--train N` measures the queue itself instead: `aecore.workers.JobQueue` on its local pool of one
worker against the same queue on a Dask LocalCluster of one worker (`JobQueue(cluster=...)`), each
in a fresh child per round, alternating: seconds from submit to result of the app's digits recipe
(`aecore.studies.jobs.train`, its epochs cut to `--epochs`), median of N after one warm-up job.

    python bench/bench_cluster.py [--rounds 3] [--jobs 40] [--engines pool,dask,ray,ray2]
    python bench/bench_cluster.py --train 3 [--rounds 3] [--epochs 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from appbench import tree_rss_mb  # noqa: E402

CHECKPOINT_BYTES = 1 << 20


def echo(value: int) -> int:
    return value


def checkpoint(seed: int) -> bytes:
    return os.urandom(CHECKPOINT_BYTES)


def where(_: int) -> int:
    time.sleep(0.2)  # long enough that two such jobs land on two workers
    return os.getpid()


class Engine:
    """One engine's start, submit-and-wait, and stop, behind one face."""

    def __init__(self, name: str) -> None:
        self.name = name

    def start(self) -> None:
        if self.name == "pool":
            self.pool = ProcessPoolExecutor(2, mp_context=get_context("spawn"))
            self.run_all = lambda f, xs: list(self.pool.map(f, xs))
        elif self.name == "dask":
            from dask.distributed import Client, LocalCluster

            self.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
            self.client = Client(self.cluster)
            self.run_all = lambda f, xs: self.client.gather(self.client.map(f, xs, pure=False))
        else:
            import ray

            if self.name == "ray":
                ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
            else:
                from ray.cluster_utils import Cluster

                self.cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
                self.cluster.add_node(num_cpus=1)
                ray.init(address=self.cluster.address, logging_level="ERROR", log_to_driver=False)
                self.cluster.wait_for_nodes()
            remotes = {}

            def run_all(f, xs):
                remote = remotes.setdefault(f, ray.remote(num_cpus=1)(f))
                return ray.get([remote.remote(x) for x in xs])

            self.run_all = run_all

    def stop(self) -> None:
        if self.name == "pool":
            self.pool.shutdown()
        elif self.name == "dask":
            self.client.close()
            self.cluster.close()
        else:
            import ray

            ray.shutdown()
            if self.name == "ray2":
                self.cluster.shutdown()


def measure(name: str, jobs: int) -> dict:
    before = tree_rss_mb(os.getpid())
    engine = Engine(name)
    started = time.perf_counter()
    engine.start()
    pids = set(engine.run_all(where, [0, 1]))  # both workers up and serving
    start_s = time.perf_counter() - started
    one = []
    for n in range(jobs):
        t = time.perf_counter()
        engine.run_all(echo, [n])
        one.append(time.perf_counter() - t)
    t = time.perf_counter()
    engine.run_all(echo, list(range(jobs)))
    burst = (time.perf_counter() - t) / jobs
    ckpt = []
    for n in range(max(5, jobs // 4)):
        t = time.perf_counter()
        assert len(engine.run_all(checkpoint, [n])[0]) == CHECKPOINT_BYTES
        ckpt.append(time.perf_counter() - t)
    mb = tree_rss_mb(os.getpid()) - before
    engine.stop()
    return {"engine": name, "start": start_s, "job": statistics.median(one), "burst": burst,
            "ckpt": statistics.median(ckpt), "mb": mb, "workers_seen": len(pids)}


def train_seconds(on_cluster: bool, repeats: int, epochs: int) -> dict:
    """Submit-to-result seconds of the digits recipe through the job queue, local pool or cluster."""
    from dataclasses import replace

    import aecore.studies.jobs
    from aecore.recipes import default_spec
    from aecore.workers import DONE, JobQueue

    spec = default_spec("digits")
    spec = replace(spec, fit=replace(spec.fit, epochs=epochs))
    cluster = None
    if on_cluster:
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                               worker_dashboard_address=None)
    queue = JobQueue(workers=None if on_cluster else 1, cluster=cluster.scheduler_address if cluster else None)
    seconds = []
    for n in range(repeats + 1):  # the first starts the worker and imports the job's module
        started = time.perf_counter()
        job = queue.submit(aecore.studies.jobs.train, spec)
        while not job.finished:
            job.touch()
            time.sleep(0.05)
        assert job.state == DONE, job.error
        if n:
            seconds.append(time.perf_counter() - started)
    queue.shutdown()
    if cluster is not None:
        cluster.close()
    return {"engine": "dask" if on_cluster else "pool", "train": statistics.median(seconds)}


def compare_training(rounds: int, repeats: int, epochs: int) -> None:
    medians: dict[str, list[float]] = {"pool": [], "dask": []}
    for round_ in range(rounds):
        for name in medians:
            out = subprocess.run([sys.executable, __file__, "--child", f"train-{name}", "--train", str(repeats),
                                  "--epochs", str(epochs)], capture_output=True, text=True, timeout=1200)
            if out.returncode != 0:
                print(f"round {round_ + 1} {name}: failed\n{out.stderr[-2000:]}", flush=True)
                continue
            medians[name].append(json.loads(out.stdout.strip().splitlines()[-1])["train"])
            print(f"round {round_ + 1} {name}: {medians[name][-1]:.2f} s submit to result", flush=True)
    pool, dask = (statistics.median(medians[name]) for name in ("pool", "dask"))
    print(f"\ncores={os.cpu_count()}, load average {os.getloadavg()[0]:.1f}; digits recipe, {epochs} epochs; "
          f"medians over {rounds} rounds of the median of {repeats}")
    print(f"| queue on | submit to result s | x pool |\n|---|---:|---:|\n| local pool, 1 worker | {pool:.2f} | 1.00 |\n"
          f"| Dask LocalCluster, 1 worker | {dask:.2f} | {dask / pool:.2f} |")


def installed(name: str) -> bool:
    module = {"pool": "concurrent", "dask": "distributed", "ray": "ray", "ray2": "ray"}[name]
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--engines", default="pool,dask,ray,ray2")
    parser.add_argument("--train", type=int, default=0, help="time the job queue's training, N repeats a round")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = (train_seconds(args.child == "train-dask", args.train, args.epochs) if args.child.startswith("train-")
                  else measure(args.child, args.jobs))
        print(json.dumps(result))
        return
    if args.train:
        compare_training(args.rounds, args.train, args.epochs)
        return
    engines = [name for name in args.engines.split(",") if installed(name)]
    rows: dict[str, list[dict]] = {name: [] for name in engines}
    for round_ in range(args.rounds):
        for name in engines:  # alternating, so a busy spell of the machine hits every engine alike
            out = subprocess.run([sys.executable, __file__, "--child", name, "--jobs", str(args.jobs)],
                                 capture_output=True, text=True, timeout=600)
            if out.returncode != 0:
                print(f"round {round_ + 1} {name}: failed\n{out.stderr[-2000:]}", flush=True)
                continue
            rows[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
            r = rows[name][-1]
            print(f"round {round_ + 1} {name}: start {r['start']:.2f} s, job {1000 * r['job']:.1f} ms, "
                  f"{r['mb']:.0f} MB, {r['workers_seen']} workers seen", flush=True)
    base = {key: statistics.median(r[key] for r in rows["pool"]) for key in ("start", "job", "burst", "ckpt", "mb")} \
        if rows.get("pool") else None
    print(f"\ncores={os.cpu_count()}, load average {os.getloadavg()[0]:.1f}; medians of {args.rounds} rounds; "
          "ratios against the ProcessPoolExecutor of the same run\n")
    print("| engine | start s | x pool | trivial job ms | x pool | burst ms/job | x pool | 1 MB result ms | x pool "
          "| MB (scheduler + workers) | x pool |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, results in rows.items():
        if not results:
            continue
        m = {key: statistics.median(r[key] for r in results) for key in ("start", "job", "burst", "ckpt", "mb")}
        ratio = (lambda key: f"{m[key] / base[key]:.1f}") if base else (lambda key: "-")
        print(f"| {name} | {m['start']:.2f} | {ratio('start')} | {1000 * m['job']:.1f} | {ratio('job')} | "
              f"{1000 * m['burst']:.2f} | {ratio('burst')} | {1000 * m['ckpt']:.1f} | {ratio('ckpt')} | "
              f"{m['mb']:.0f} | {ratio('mb')} |")


if __name__ == "__main__":
    main()
