"""Time one training step (forward + loss + backward + Adam step) of every registered kind and arch.

Prints the median over repeats and the ratio to the plain `ae` of the same architecture, measured in
the same run, so the ratios hold on a noisy shared machine.

    python bench/bench_models.py [--device cpu|cuda] [--repeats 20] [--latent-dim 8]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import aecore  # noqa: E402

VARIANTS = [(kind, {}) for kind in aecore.list_models()] + [("sparse", {"penalty": "kl"})]


def step(model: aecore.Autoencoder, optimiser: torch.optim.Optimizer, x: torch.Tensor) -> float:
    """Seconds of one optimisation step."""
    if x.is_cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    optimiser.zero_grad(set_to_none=True)
    model.loss(x)[0].backward()
    optimiser.step()
    if x.is_cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - start


def time_models(models: dict[str, aecore.Autoencoder], x: torch.Tensor, repeats: int, warmup: int = 3) -> dict[str, float]:
    """Median seconds per step of each model, taken round-robin so that load on a shared machine
    hits every model alike."""
    optimisers = {name: torch.optim.Adam(m.parameters(), lr=1e-3) for name, m in models.items()}
    times: dict[str, list[float]] = {name: [] for name in models}
    for i in range(warmup + repeats):
        for name, model in models.items():
            seconds = step(model, optimisers[name], x)
            if i >= warmup:
                times[name].append(seconds)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--latent-dim", type=int, default=8)
    args = parser.parse_args()

    torch.manual_seed(0)
    x = torch.rand(args.batch_size, 1, 28, 28, device=args.device)
    print(f"device={args.device} torch={torch.__version__} threads={torch.get_num_threads()} "
          f"batch={args.batch_size}x1x28x28 latent_dim={args.latent_dim} repeats={args.repeats}")
    print(f"{'kind':<14}{'arch':<6}{'median ms':>10}{'x ae':>8}")
    for arch in aecore.list_archs():
        models = {
            kind + "".join(f"-{v}" for v in options.values()): aecore.create_model(
                kind, arch=arch, input_shape=(1, 28, 28), latent_dim=args.latent_dim, **options
            ).to(args.device).train()
            for kind, options in VARIANTS
        }
        medians = time_models(models, x, args.repeats)
        for name, seconds in medians.items():
            print(f"{name:<14}{arch:<6}{seconds * 1e3:>10.2f}{seconds / medians['ae']:>8.2f}")

if __name__ == "__main__":
    main()
