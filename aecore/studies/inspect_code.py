"""What each regularizer does to a trained model, measured: the numbers behind "Inside the code".

- sparsity: the codes of a dataset, and the share of code units active per image;
- contraction: how far the code moves per unit of input perturbation, and the encoder's Jacobian
  Frobenius norm ||dz/dx||_F per image (the quantity the contractive penalty squares);
- the VAE's KL per dimension and its active units, and a short fit with and without KL warm-up;
- the train / validation loss history a checkpoint recorded;
- each regularizer's loss term, computed from those measures exactly as the model's `regularizer`
  computes it in training (`l1_terms`, `kl_sparsity_terms`, `contractive_term`), so the page can
  put the number beside its formula.
Every result is a NumPy array or plain Python numbers, ready for a chart or a table.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch.func import jacrev, vmap

from aecore.data import ImageDataset
from aecore.models import Autoencoder
from aecore.models.vae import kl_standard_normal
from aecore.recipes import warmup_specs
from aecore.runner import run

KL_ACTIVE = 0.01  # a VAE unit whose mean KL is at most this many nats carries nothing (collapsed)
ACTIVE_THRESHOLD = 0.1  # a unit is "on" for an image when |z_j| exceeds this share of its largest |z_j|
NOISES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)  # the perturbation sizes σ the page offers, all stored
# Test images the sensitivity and the Jacobian are measured on: the exact Jacobian costs one backward
# pass per code unit and image (16 s for a conv model on 5,000 images, 3 s on 1,000), and a box plot
# and a mean need no more. The same seeded draw for every model, so models compare on one set.
MEASURED_IMAGES = 1_000


def codes(model: Autoencoder, images: torch.Tensor) -> np.ndarray:
    """Deterministic codes (N, d) of `images` (N, C, H, W): the VAE gives its posterior mean."""
    return model.infer_codes(images).double().numpy()  # a shared model's mode is never switched


def active_fraction(z: np.ndarray, threshold: float = ACTIVE_THRESHOLD) -> np.ndarray:
    """Share of the d code units active in each image (N,), for codes z (N, d).

    Unit j counts as active in an image when |z_j| > threshold * max over the images of |z_j|.
    Scaling by each unit's own largest value makes codes of any range comparable: a ReLU code's
    zeros, a sigmoid code's near-zeros and a plain code's small values all read as "off".
    """
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must be in [0, 1), got {threshold}")
    if z.ndim != 2 or len(z) == 0:
        raise ValueError(f"codes must be a non-empty (N, d) array, got shape {z.shape}")
    scale = np.abs(z).max(axis=0)  # (d,)
    active = np.abs(z) > threshold * scale  # (N, d); a unit that is always 0 never counts
    return active.mean(axis=1)


def sparsity_summary(model: Autoencoder, images: torch.Tensor, threshold: float = ACTIVE_THRESHOLD) -> dict[str, Any]:
    """{"codes" (N, d), "active_fraction" (N,), "mean_active_fraction", "exact_zeros"} of `images`."""
    return sparsity_of_codes(codes(model, images), threshold)


def sparsity_of_codes(z: np.ndarray, threshold: float = ACTIVE_THRESHOLD) -> dict[str, Any]:
    """`sparsity_summary` of codes already computed (N, d): numpy only, so a threshold is cheap."""
    fraction = active_fraction(z, threshold)
    return {"codes": z, "active_fraction": fraction, "mean_active_fraction": float(fraction.mean()),
            "exact_zeros": float((z == 0).mean())}


def code_sensitivity(model: Autoencoder, images: torch.Tensor, noise: float = 0.01, seed: int = 0,
                     base: torch.Tensor | None = None) -> np.ndarray:
    """||z(x + eps) - z(x)|| / ||eps|| per image (N,), eps ~ N(0, noise^2 I) drawn with `seed`.

    A finite-difference view of the Jacobian: for small noise it approaches ||J eps|| / ||eps||,
    a random direction's stretch, whose mean square is ||J||_F^2 / (number of pixels). `base`: the
    codes of `images` when at hand (one encoding serves every noise size).
    """
    if not noise > 0:
        raise ValueError(f"noise must be positive, got {noise}")
    generator = torch.Generator().manual_seed(seed)
    eps = torch.randn(images.shape, generator=generator, dtype=images.dtype) * noise  # (N, C, H, W)
    moved = model.infer_codes(images + eps) - (model.infer_codes(images) if base is None else base)  # (N, d)
    return (moved.norm(dim=1) / eps.flatten(1).norm(dim=1)).double().numpy()


def jacobian_norms(model: Autoencoder, images: torch.Tensor, chunk: int = 256) -> np.ndarray:
    """Frobenius norm ||dz/dx||_F of the encoder at each image (N,), exact, via torch.func.jacrev.

    The contractive penalty (Rifai et al. 2011) is weight * ||dz/dx||_F^2 averaged over the batch.
    `encode` is deterministic in either mode, so a shared model's mode is left as it is.
    """

    def encode_one(x: torch.Tensor) -> torch.Tensor:  # (C, H, W) -> (d,)
        return model.encode(x.unsqueeze(0))[0]

    per_image = vmap(jacrev(encode_one))
    norms = [per_image(images[start:start + chunk]).flatten(1).norm(dim=1).detach()  # J: (B, d, C, H, W)
             for start in range(0, len(images), chunk)]
    return torch.cat(norms).double().numpy()


def measured_rows(n_images: int, size: int = MEASURED_IMAGES) -> np.ndarray:
    """Sorted positions of the seeded draw of `size` of `n_images` images (all when fewer) that
    `code_measures` measures the sensitivity and the Jacobian on."""
    if n_images <= size:
        return np.arange(n_images)
    return np.sort(np.random.default_rng(0).choice(n_images, size, replace=False))


def code_measures(model: Autoencoder, images: torch.Tensor, noises: tuple[float, ...] = NOISES,
                  sample: int = MEASURED_IMAGES) -> dict[str, Any]:
    """Everything the page measures that no control changes, in one pass: {"codes" (N, d),
    "sensitivity": {σ: (M,)} for each of `noises`, "jacobian" (M,), "kl_per_dim" (d,) or None when
    the model is no VAE}, the codes over all N images, the sensitivity and the Jacobian over the M
    images of `measured_rows(N, sample)`. The zoo stores it; a user's model gets it from a job."""
    rows = torch.from_numpy(measured_rows(len(images), sample))
    pushed, all_codes = images[rows], model.infer_codes(images)  # one encoding serves the codes and every σ
    return {"codes": all_codes.double().numpy(),
            "sensitivity": {float(noise): code_sensitivity(model, pushed, noise, base=all_codes[rows]) for noise in noises},
            "jacobian": jacobian_norms(model, pushed),
            "kl_per_dim": kl_per_dimension(model, images) if hasattr(model, "encode_distribution") else None}


@torch.no_grad()
def kl_per_dimension(model: Autoencoder, images: torch.Tensor) -> np.ndarray:
    """Mean KL(q(z_j|x) || N(0, 1)) of each code unit over `images` (d,), in nats (a VAE only)."""
    if not hasattr(model, "encode_distribution"):
        raise ValueError(f"KL per dimension needs a VAE; this model is a {model.kind!r} autoencoder")
    output = model.infer(images)  # the posterior's mu and logvar, without switching the model's mode
    mu, logvar = output.mu, output.logvar
    return kl_standard_normal(mu, logvar).mean(0).double().numpy()


def loss_history(source: Autoencoder | dict[str, Any] | None) -> dict[str, list[float]] | None:
    """{"train_loss", "val_loss"} per epoch as recorded in a model's checkpoint metadata (or in a
    metadata dict such as `RunResult.metadata`), or None when none is recorded (a model built in
    Python, a checkpoint saved without its history)."""
    metadata = getattr(source, "checkpoint", {}).get("metadata") if isinstance(source, Autoencoder) else source
    history = metadata.get("history") if isinstance(metadata, dict) else None
    if not isinstance(history, dict):
        return None
    curves = {name: [float(v) for v in history.get(name) or [] if isinstance(v, (int, float))]
              for name in ("train_loss", "val_loss")}
    return curves if curves["train_loss"] or curves["val_loss"] else None


def normalized_activations(z: np.ndarray) -> np.ndarray:
    """|z_j| divided by unit j's largest |z_j| over the images (N, d), in [0, 1]: the scale on which
    `active_fraction` thresholds, so codes of different ranges share one histogram."""
    scale = np.abs(z).max(axis=0)
    return np.abs(z) / np.where(scale > 0, scale, 1.0)


ACTIVATION_EDGES = np.linspace(0.0, 1.0, 41)  # bins of 0.025 for normalized activations


def binned_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The share of `values` in each bin between `edges` (the last bin holds its right edge): a
    histogram that sums to 1 over values in range, as plotly's histnorm="probability" draws it."""
    counts, _ = np.histogram(values, bins=edges)
    return counts / max(len(values), 1)


def l1_terms(z: np.ndarray, weight: float) -> np.ndarray:
    """weight * sum_j |z_j| of each code (N,) for codes z (N, d): the L1 sparse model's penalty per
    image (`aecore.models.sparse`: its batch mean is the term in the loss)."""
    return weight * np.abs(z).sum(axis=1)


def kl_sparsity_terms(z: np.ndarray, rho: float, eps: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """(rho_hat (d,), KL(rho || rho_hat_j) (d,)) of sigmoid codes z (N, d): each unit's mean
    activation over the images and its Bernoulli KL from the target rate, as
    `aecore.models.sparse.kl_sparsity` computes them over a training batch (its sum, times the
    weight, is the term in the loss)."""
    if not 0 < rho < 1:
        raise ValueError(f"rho (target activation rate) must be in (0, 1), got {rho}")
    rho_hat = np.clip(z.mean(axis=0), eps, 1 - eps)
    return rho_hat, rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def contractive_term(jacobian: np.ndarray, weight: float) -> float:
    """weight * mean ||dz/dx||_F^2 over images, from the Frobenius norms per image (N,): the
    contractive model's penalty as its loss adds it."""
    return float(weight * np.mean(np.square(jacobian)))


def jacobian_from_pushes(sensitivity: np.ndarray, pixels: int) -> float:
    """Mean ||dz/dx||_F^2 estimated from finite pushes: `pixels` * mean(s^2) of the code moved per
    unit pushed s (N,) (see `code_sensitivity`). Close to the exact value for a small push; a large
    one leaves the region where the encoder is linear and reads otherwise."""
    return float(pixels * np.mean(np.square(sensitivity)))


def collapsed_units(kl_per_dim: Any) -> int:
    """How many units have collapsed to the prior: mean KL at most `KL_ACTIVE` nats."""
    return int(sum(float(kl) <= KL_ACTIVE for kl in kl_per_dim))


def warmup_comparison(beta: float = 3.0, data: tuple[ImageDataset, ImageDataset] | None = None,
                      progress: Callable[[str, float], None] | None = None, stop: Any = None) -> dict[str, dict[str, Any]]:
    """Train the same small MLP VAE twice (`aecore.recipes.warmup_specs`), with and without KL
    warm-up (Bowman et al. 2016), and return per run {"kl_per_dim", "active_units", "kl", "bce",
    "val_loss", "seconds"}. Identical seeds, so the warm-up is the only difference between the runs.

    data: (train, test) of digits as the specs split it, to skip loading it; progress(label,
    fraction of that run) after each report; stop ends a run early (its numbers are then partial).
    """
    results = {}
    for label, spec in warmup_specs(beta).items():
        report = None if progress is None else (lambda snapshot, label=label: progress(label, snapshot.fraction))
        result = run(spec, progress=report, stop=stop, data=data)
        metrics = result.metrics
        results[label] = {"kl_per_dim": metrics["kl_per_dim"], "active_units": metrics["active_units"],
                          "kl": metrics["kl"], "bce": metrics["bce"], "val_loss": result.history.val_loss,
                          "seconds": result.history.wall_time}
    return results
