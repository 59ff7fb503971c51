"""Training throughput of `aecore.fit` against a bare hand-written loop, and the app's default recipe.

Throughput mode: for the MLP and conv `ae` and `vae` on random 28x28 images, time the public call
`fit(model, train, epochs=E, batch_size=128, lr=1e-3, device=D)` and the minimal loop it replaces
(data resident on the device, a randperm per epoch, sliced batches, zero_grad / backward / Adam
step), each on a fresh model from the same seed. Runs alternate fit and bare (the order flips every
repeat), and each repeat's fit run is divided by the bare run beside it: load from other work on a
shared machine swings single runs by tens of percent, but the two halves of a pair see nearly the
same load, so the median of those paired ratios is the headline fit/bare. The table also gives the
median samples/s of each, the ratio of those medians, and the paired ratio in process CPU time,
which ignores time spent waiting for a core (a faithful measure of work with --threads 1; with more
threads it counts their spin-waits too). On CUDA a plain `DataLoader` loop (CPU tensors, one
host-to-device copy per batch) is timed as well, paired with the bare loop the same way.
On a CPU shared with other work, --threads 1 gives far steadier numbers: torch's intra-op threads
wait on each other whenever one of them loses its core.

One-GPU mode (--vae): an MLP VAE 784-400-20 at batch 128 on random 28x28 images, four loops:
the pytorch/examples VAE loop (DataLoader over CPU tensors, a copy and a `loss.item()` per batch,
one worker and pinned memory on CUDA as that example sets them), the resident bare loop, `fit`'s
default path, and `aecore.cuda_step.make_step(graph=True)` replayed over resident batches (the
graph floor; CUDA only, 'n/a' elsewhere; its one-off warm-up and capture are timed apart).
Goal on a GPU: fit >= 5x the DataLoader loop and >= 0.8x the graph floor (use a few epochs there,
so fit's one-off capture is spread as it is in a real run).

Recipe mode (--recipe): the app's default recipe on digits (MLP ae, latent 8, 100 epochs, batch
64, lr 2e-3, CPU): median wall seconds of 3 runs and the test MSE against PCA with k=8.

    python bench/bench_fit.py [--device cpu|cuda|auto] [--repeats 15] [--epochs 1] [--threads N]
    python bench/bench_fit.py --vae [--device cuda --samples 60000 --epochs 3] [--repeats 5]
    python bench/bench_fit.py --recipe [--repeats 3] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import aecore  # noqa: E402
from aecore.cuda_step import make_step  # noqa: E402
from aecore.train import resolve_device  # noqa: E402

CASES = [(arch, kind) for arch in ("mlp", "conv") for kind in ("ae", "vae")]
BATCH_SIZE = 128
LR = 1e-3
MIN_FIT_RATIO = 0.95  # fit may cost at most 5% over the bare loop
MAX_PCA_RATIO = 0.5  # the recipe must halve PCA's test error at the same code size

# A runner trains a fresh model for some epochs and returns the wall seconds it took.
Runner = Callable[[aecore.Autoencoder, aecore.ImageDataset, int, torch.device], float]


def fresh_model(kind: str, arch: str, device: torch.device, **options) -> aecore.Autoencoder:
    """The same initial weights for every runner and repeat; moved before timing, as every runner
    would otherwise pay the copy differently. options: model settings (default latent_dim 8)."""
    torch.manual_seed(0)
    model = aecore.create_model(kind, arch=arch, input_shape=(1, 28, 28), **{"latent_dim": 8, **options})
    return model.to(device).train()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_fit(model: aecore.Autoencoder, data: aecore.ImageDataset, epochs: int, device: torch.device) -> float:
    """The ordinary public call, no callbacks."""
    _sync(device)
    start = time.perf_counter()
    aecore.fit(model, data, epochs=epochs, batch_size=BATCH_SIZE, lr=LR, device=device)
    _sync(device)
    return time.perf_counter() - start


def run_bare(model: aecore.Autoencoder, data: aecore.ImageDataset, epochs: int, device: torch.device) -> float:
    """The honest minimal loop. The one copy of the data to the device is timed, as fit's is."""
    _sync(device)
    start = time.perf_counter()
    images = data.images.to(device)  # (N, 1, 28, 28), resident
    optimiser = torch.optim.Adam(model.parameters(), lr=LR)
    for _ in range(epochs):
        permutation = torch.randperm(len(images), device=device)
        for first in range(0, len(images), BATCH_SIZE):
            x = images[permutation[first : first + BATCH_SIZE]]  # (B, 1, 28, 28)
            optimiser.zero_grad(set_to_none=True)
            model.loss(x)[0].backward()
            optimiser.step()
    _sync(device)
    return time.perf_counter() - start


def run_loader(model: aecore.Autoencoder, data: aecore.ImageDataset, epochs: int, device: torch.device) -> float:
    """The textbook loop: a DataLoader over CPU tensors, each batch copied to the device."""
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(data.images), batch_size=BATCH_SIZE, shuffle=True
    )
    _sync(device)
    start = time.perf_counter()
    optimiser = torch.optim.Adam(model.parameters(), lr=LR)
    for _ in range(epochs):
        for (x,) in loader:
            x = x.to(device)
            optimiser.zero_grad(set_to_none=True)
            model.loss(x)[0].backward()
            optimiser.step()
    _sync(device)
    return time.perf_counter() - start


def time_case(
    arch: str, kind: str, runners: dict[str, Runner], data: aecore.ImageDataset, epochs: int, repeats: int,
    device: torch.device, **options,
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Samples per wall second and per process CPU second of every runner in each repeat, round-robin,
    after one untimed warm-up run each (first calls pay for allocator growth and kernel selection)."""
    names = list(runners)
    for name in names:
        runners[name](fresh_model(kind, arch, device, **options), data, 1, device)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:  # no runner always goes first
            model = fresh_model(kind, arch, device, **options)
            cpu_start = time.process_time()
            seconds = runners[name](model, data, epochs, device)
            wall[name].append(epochs * len(data) / seconds)
            cpu[name].append(epochs * len(data) / (time.process_time() - cpu_start))
    return wall, cpu


def paired_ratio(speeds: dict[str, list[float]], name: str) -> float:
    """Median over repeats of `name`'s speed over the bare loop's speed in the same repeat."""
    return statistics.median(a / b for a, b in zip(speeds[name], speeds["bare"]))


def table_row(arch: str, kind: str, speeds: dict[str, list[float]], cpu: dict[str, list[float]]) -> str:
    median = {name: statistics.median(s) for name, s in speeds.items()}
    ratio = paired_ratio(speeds, "fit")
    row = (f"| {arch} | {kind} | {median['fit']:,.0f} | {median['bare']:,.0f} | **{ratio:.3f}** | "
           f"{median['fit'] / median['bare']:.3f} | {paired_ratio(cpu, 'fit'):.3f} | "
           f"{'yes' if ratio >= MIN_FIT_RATIO else 'NO'} |")
    if "loader" in speeds:
        row += f" {median['loader']:,.0f} | {paired_ratio(speeds, 'loader'):.3f} |"
    return row


def throughput(args: argparse.Namespace) -> None:
    device = resolve_device(args.device)
    torch.manual_seed(0)
    data = aecore.ImageDataset.from_arrays(torch.rand(args.samples, 1, 28, 28))
    runners: dict[str, Runner] = {"fit": run_fit, "bare": run_bare}
    if device.type == "cuda":  # on the CPU there is no copy for resident data to save
        runners["loader"] = run_loader
    print(f"device={device} torch={torch.__version__} threads={torch.get_num_threads()} "
          f"data={args.samples}x1x28x28 batch={BATCH_SIZE} lr={LR} epochs={args.epochs} repeats={args.repeats}\n")
    header = ("| arch | kind | fit samples/s (median) | bare samples/s (median) | fit/bare (paired median) "
              f"| fit/bare (of medians) | fit/bare (CPU time, paired median) | >= {MIN_FIT_RATIO} |")
    rule = "|---|---|---:|---:|---:|---:|---:|:---:|"
    if "loader" in runners:
        header += " loader samples/s (median) | loader/bare (paired median) |"
        rule += "---:|---:|"
    print(header + "\n" + rule, flush=True)
    for arch, kind in CASES:
        speeds, cpu = time_case(arch, kind, runners, data, args.epochs, args.repeats, device)
        print(table_row(arch, kind, speeds, cpu), flush=True)


def run_examples(model: aecore.Autoencoder, data: aecore.ImageDataset, epochs: int, device: torch.device) -> float:
    """pytorch/examples' vae/main.py train loop: a DataLoader over CPU tensors (one worker and
    pinned memory on CUDA, as it sets them), a copy per batch and a `loss.item()` per batch."""
    extra = {"num_workers": 1, "pin_memory": True} if device.type == "cuda" else {}
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data.images), batch_size=BATCH_SIZE,
                                         shuffle=True, **extra)
    _sync(device)
    start = time.perf_counter()
    optimiser = torch.optim.Adam(model.parameters(), lr=LR)
    for _ in range(epochs):
        train_loss = 0.0
        for (x,) in loader:
            x = x.to(device)
            optimiser.zero_grad()
            loss = model.loss(x)[0]
            loss.backward()
            train_loss += loss.item()
            optimiser.step()
    _sync(device)
    return time.perf_counter() - start


GRAPH_SETUP: list[float] = []  # seconds of make_step's warm-up and capture, one per graph run


def run_graph(model: aecore.Autoencoder, data: aecore.ImageDataset, epochs: int, device: torch.device) -> float:
    """The graph floor: make_step(graph=True) replayed over resident batches and nothing else.
    Its one-off warm-up and capture are timed apart, into GRAPH_SETUP."""
    images = data.images.to(device)
    _sync(device)
    start = time.perf_counter()
    step = make_step(model, images[:BATCH_SIZE], lr=LR, graph=True)
    _sync(device)
    GRAPH_SETUP.append(time.perf_counter() - start)
    if step.mode != "cuda graph":
        raise RuntimeError(f"make_step did not capture a graph: {step.mode}")
    start = time.perf_counter()
    for _ in range(epochs):
        permutation = torch.randperm(len(images), device=device)
        for first in range(0, len(images), BATCH_SIZE):
            step(images[permutation[first : first + BATCH_SIZE]])  # the last, partial batch runs eagerly
    _sync(device)
    return time.perf_counter() - start


def one_gpu(args: argparse.Namespace) -> None:
    """The issue's one-GPU table: an MLP VAE 784-400-20, batch 128, four loops, median samples/s."""
    device = resolve_device(args.device)
    torch.manual_seed(0)
    data = aecore.ImageDataset.from_arrays(torch.rand(args.samples, 1, 28, 28))
    runners: dict[str, Runner] = {"loader": run_examples, "bare": run_bare, "fit": run_fit}
    if device.type == "cuda":
        runners["graph"] = run_graph
    print(f"device={device} torch={torch.__version__} threads={torch.get_num_threads()} model=mlp vae "
          f"784-400-20 data={args.samples}x1x28x28 batch={BATCH_SIZE} lr={LR} epochs={args.epochs} "
          f"repeats={args.repeats}\n")
    speeds, _ = time_case("mlp", "vae", runners, data, args.epochs, args.repeats, device, hidden=(400,), latent_dim=20)
    median = {name: statistics.median(s) for name, s in speeds.items()}
    graph = f"{median['graph']:,.0f}" if "graph" in median else "n/a"
    print("samples/s, median of the repeats:\n")
    print("| DataLoader loop (pytorch/examples) | resident loop | fit (default path) | make_step graph "
          "| fit / DataLoader (goal >= 5) | fit / graph (goal >= 0.8) | graph setup s (median) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {median['loader']:,.0f} | {median['bare']:,.0f} | {median['fit']:,.0f} | {graph} | "
          f"{median['fit'] / median['loader']:.2f} | "
          + (f"{median['fit'] / median['graph']:.2f} | {statistics.median(GRAPH_SETUP):.3f} |"
             if "graph" in median else "n/a | n/a |"))


def recipe(args: argparse.Namespace) -> None:
    """The app's default recipe, timed whole (as a user waits for it) and scored on held-out digits."""
    train, test = aecore.load_dataset("digits").split(0.2, 0)
    baseline = aecore.pca_baseline(train, test, k=8)["mse"]
    seconds, errors = [], []
    for _ in range(args.repeats):
        torch.manual_seed(0)
        model = aecore.create_model("ae", arch="mlp", input_shape=train.image_shape, latent_dim=8)
        start = time.perf_counter()
        aecore.fit(model, train, epochs=100, batch_size=64, lr=2e-3, device="cpu")
        seconds.append(time.perf_counter() - start)
        errors.append(aecore.evaluate(model, test)["mse"])
    mse = statistics.median(errors)
    print(f"recipe: digits {len(train)} train / {len(test)} test, mlp ae latent 8, 100 epochs, batch 64, "
          f"lr 2e-3, cpu, threads={torch.get_num_threads()} torch={torch.__version__} repeats={args.repeats}\n")
    print("| wall s (median) | wall s (min-max) | test MSE | PCA k=8 MSE | MSE / PCA | <= 0.5 |")
    print("|---:|---:|---:|---:|---:|:---:|")
    print(f"| {statistics.median(seconds):.2f} | {min(seconds):.2f}-{max(seconds):.2f} | {mse:.5f} | "
          f"{baseline:.5f} | {mse / baseline:.3f} | {'yes' if mse / baseline <= MAX_PCA_RATIO else 'NO'} |")
    if max(errors) != min(errors):  # the same seed should give the same weights on one machine
        print(f"\nnote: test MSE differed across repeats: {', '.join(f'{e:.6f}' for e in errors)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (throughput and --vae modes)")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per case (default 15; recipe 3)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per timed run (throughput and --vae modes)")
    parser.add_argument("--samples", type=int, default=4096, help="random training images (throughput and --vae modes)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--recipe", action="store_true", help="time the app's default recipe on digits instead")
    parser.add_argument("--vae", action="store_true", help="the one-GPU table: MLP VAE 784-400-20, four loops")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.repeats is None:
        args.repeats = 3 if args.recipe else 15
    if args.recipe:
        recipe(args)
    elif args.vae:
        one_gpu(args)
    else:
        throughput(args)


if __name__ == "__main__":
    main()
