"""How far can a 32-D code go on Fashion-MNIST with the images we hold? A learning curve and its limit.

The quality bar (aecore.studies.quality.BARS) asks for 0.35x PCA-32's held-out error. This trains one net on the first n of the
6,517 training images of the shared prefix, for the same number of optimiser steps at every n (so
a small n gets more epochs, not less work), and measures the held-out / PCA-32 ratio on the last
2,000 images of the prefix and on (up to 2,000 of) its own training images. It then fits
ratio(n) = a + b n^-c to the held-out points: `a` is where more images of the same kind stop
helping this net, and the fit's value at n = 60,000 is what the full training split should give.

    python bench/fashion_ceiling.py                  # the residual net (0.505x from 6,517 images; 23 min on 2 cores)
    python bench/fashion_ceiling.py --net recipe --steps 2040   # the shipped recipe's conv net

Training as the recipes do: binary cross-entropy on logits, AdamW at 0.005 with a one-cycle
schedule, batch 64; random horizontal flips (clothing is left-right symmetric, digits are not).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import curve_fit
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from aecore import create_model  # noqa: E402
from aecore.metrics import pca_baseline  # noqa: E402
from shared_data import HELD, arrays  # noqa: E402


def residual_net(c1: int = 32, c2: int = 64, latent: int = 32) -> nn.Module:
    """The recipe's conv net (28 -> 14 -> 7 -> code) with a residual block at each scale, both ways:
    the `resconv` architecture (`aecore.models.resconv`), which this bench measured before it shipped."""
    model = create_model("ae", arch="resconv", input_shape=(1, 28, 28), latent_dim=latent, channels=(c1, c2))
    return nn.Sequential(model.encoder, model.decoder)


def recipe_net(latent: int = 32) -> nn.Module:
    model = create_model("ae", arch="conv", input_shape=(1, 28, 28), latent_dim=latent, channels=(32, 64))
    return nn.Sequential(model.encoder, model.decoder)


def train(net: nn.Module, images: torch.Tensor, steps: int, lr: float = 5e-3, batch: int = 64) -> nn.Module:
    torch.manual_seed(0)
    optimiser = torch.optim.AdamW(net.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, lr, total_steps=steps)
    done = 0
    while done < steps:
        order = torch.randperm(len(images))
        for start in range(0, len(images) - batch + 1, batch):
            x = images[order[start:start + batch]]
            x = torch.where((torch.rand(len(x)) < 0.5)[:, None, None, None], x.flip(-1), x)
            loss = F.binary_cross_entropy_with_logits(net(x), x)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            done += 1
            if done == steps:
                break
    return net.eval()


@torch.no_grad()
def mse(net: nn.Module, images: torch.Tensor) -> float:
    return float(torch.cat([(torch.sigmoid(net(part)) - part).pow(2).flatten(1).mean(1)
                            for part in images.split(500)]).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", choices=("residual", "recipe"), default="residual")
    parser.add_argument("--steps", type=int, default=4080, help="optimiser steps at every n (4080 = 40 epochs of 6,517)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[815, 1630, 3260, 6517])
    args = parser.parse_args()
    torch.set_num_threads(2)
    x, _ = arrays("fashion-mnist")
    images = torch.from_numpy(x).float().div(255).unsqueeze(1)
    train_all, test = images[:-HELD["fashion-mnist"]], images[-HELD["fashion-mnist"]:]
    baseline = pca_baseline(train_all, test, 32)["mse"]  # clipped to [0, 1], as the bars measure it
    print(f"PCA-32 held-out MSE {baseline:.5f} (fit on {len(train_all):,} images)")
    held = []
    for n in args.sizes:
        start = time.perf_counter()
        torch.manual_seed(0)
        net = train(residual_net() if args.net == "residual" else recipe_net(), train_all[:n], args.steps)
        held.append(mse(net, test) / baseline)
        print(f"n={n:>5}: held-out {held[-1]:.3f}x, training {mse(net, train_all[:min(n, 2000)]) / baseline:.3f}x "
              f"({sum(p.numel() for p in net.parameters()):,} parameters, {time.perf_counter() - start:.0f} s)", flush=True)
    if len(held) >= 3:
        law = lambda n, a, b, c: a + b * n ** -c  # noqa: E731
        (a, b, c), _ = curve_fit(law, np.array(args.sizes, float), np.array(held), p0=(0.4, 30.0, 0.8), maxfev=20000)
        print(f"fit: {a:.3f} + {b:.1f} n^-{c:.2f}; at 60,000 images {law(60000, a, b, c):.3f}x; limit {a:.3f}x")


if __name__ == "__main__":
    main()
