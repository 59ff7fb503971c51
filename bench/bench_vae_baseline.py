"""The VAE bar's baseline: the pytorch/examples VAE (784-400-20 MLP, Bernoulli decoder, Adam 1e-3,
batch 128) trained by its own bare loop, against a zoo VAE recipe trained through `aecore.run` (aecore.runner), for
the same number of epochs on the same images. Both are scored by the test negative ELBO per image in
nats (one posterior sample, BCE summed over pixels plus the analytic KL): lower is better.

The images are the first images of MNIST's (or Fashion-MNIST's) training split in ../shared/data;
the last --held of them are the test set, never trained on.

    python bench/bench_vae_baseline.py [--dataset mnist] [--recipe mnist-vae-16] [--held 5000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shared_data import held_out_split  # noqa: E402

from aecore.metrics import evaluate  # noqa: E402
from aecore.recipes import zoo_recipe  # noqa: E402
from aecore.runner import run  # noqa: E402


class ExampleVAE(nn.Module):
    """pytorch/examples vae/main.py, unchanged in shape: 784-400-20-400-784."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.fc4(F.relu(self.fc3(z))), mu, logvar


def example_loss(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    bce = F.binary_cross_entropy_with_logits(logits, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def train_example(train: torch.Tensor, test: torch.Tensor, epochs: int, seed: int = 0) -> float:
    """Bare loop; returns the test negative ELBO per image."""
    torch.manual_seed(seed)
    model = ExampleVAE()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(train)).split(128):
            x = train[batch]
            optimiser.zero_grad()
            logits, mu, logvar = model(x)
            example_loss(logits, x, mu, logvar).backward()
            optimiser.step()
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x in test.split(1000):
            logits, mu, logvar = model(x)
            total += example_loss(logits, x, mu, logvar).item()
    return total / len(test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="mnist", choices=["mnist", "fashion-mnist"])
    parser.add_argument("--recipe", default=None, help="zoo VAE recipe (default <dataset>-vae-16)")
    parser.add_argument("--held", type=int, default=5000)
    args = parser.parse_args()
    train, test = held_out_split(args.dataset, args.held)
    recipe = zoo_recipe(args.recipe or f"{args.dataset}-vae-16")
    epochs = recipe.spec.fit.epochs
    started = time.perf_counter()
    baseline = train_example(train.images.float(), test.images.float(), epochs)
    baseline_s = time.perf_counter() - started
    started = time.perf_counter()
    result = run(recipe.spec, data=(train, test))
    ours_s = time.perf_counter() - started
    ours = evaluate(result.model, test)["neg_elbo"]
    print(f"{args.dataset}: {len(train)} training, {len(test)} held-out images; {epochs} epochs each")
    print("| model | test -ELBO (nats/image) | seconds |\n|---|---:|---:|")
    print(f"| pytorch/examples VAE 784-400-20, bare loop | {baseline:.2f} | {baseline_s:.0f} |")
    print(f"| {recipe.name} ({recipe.spec.arch}) | {ours:.2f} | {ours_s:.0f} |")
    print(f"ours / baseline: {ours / baseline:.3f}; goal: below 1 -> {'met' if ours < baseline else 'NOT met'}")


if __name__ == "__main__":
    main()
