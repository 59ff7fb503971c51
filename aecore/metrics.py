"""How well a model reconstructs a dataset, and the PCA baseline it should beat.

Every number is a plain Python float (or list of floats), so results go straight into JSON, a
checkpoint's config.json or a table in the app. Reconstruction metrics (one formula for the
models and for PCA):
- `mse`: mean squared error per pixel;
- `psnr`: peak signal-to-noise ratio in dB per image, 10 log10(1 / mse_image) with data range 1,
  averaged over images;
- `bce`: binary cross-entropy summed over pixels, averaged over images (nats; the Bernoulli
  reconstruction term of the loss).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from aecore.data import ImageDataset
from aecore.models import Autoencoder
from aecore.models.vae import kl_standard_normal

MIN_MSE = 1e-10  # clamps the PSNR of a perfect reconstruction to 100 dB instead of infinity
BCE_CLIP = 1e-6  # keeps log() finite for reconstructions that are exactly 0 or 1 (PCA's)
# Burda et al., "Importance weighted autoencoders", ICLR 2016, section 5.2: a latent unit is active
# when its posterior mean varies across the data by more than this.
ACTIVE_UNIT_THRESHOLD = 0.01


def psnr(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """PSNR in dB of each image (B,) for images (B, ...) in [0, 1]; at most 100 dB (mse clamped)."""
    _check_pair(x, x_hat)
    return _psnr_from_mse((x_hat - x).pow(2).flatten(1).mean(1))


def _psnr_from_mse(mse: torch.Tensor) -> torch.Tensor:
    return 10.0 * torch.log10(1.0 / mse.clamp_min(MIN_MSE))


def _check_pair(x: torch.Tensor, x_hat: torch.Tensor) -> None:
    if x.shape != x_hat.shape or x.dim() < 2:
        raise ValueError(f"x and x_hat must be batches (B, ...) of the same shape, got {tuple(x.shape)} "
                         f"and {tuple(x_hat.shape)}")


def _reconstruction_sums(
    x: torch.Tensor, x_hat: torch.Tensor, logits: torch.Tensor | None = None
) -> dict[str, float]:
    """Each metric summed over the images of a batch, so batches add up before the final mean.

    bce uses the decoder's logits when given (exact, stable); otherwise x_hat clipped away from 0, 1.
    """
    _check_pair(x, x_hat)
    mse = (x_hat - x).pow(2).flatten(1).mean(1)  # (B,)
    if logits is not None:
        bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    else:
        bce = F.binary_cross_entropy(x_hat.clamp(BCE_CLIP, 1 - BCE_CLIP), x, reduction="none")
    return {
        "mse": mse.sum().item(),
        "psnr": _psnr_from_mse(mse).sum().item(),
        "bce": bce.flatten(1).sum(1).sum().item(),
    }


def error_metrics(x: torch.Tensor, x_hat: torch.Tensor) -> dict[str, float]:
    """{"mse", "psnr"} of reconstructions x_hat of images x, as `reconstruction_metrics` gives them,
    without the bce, which costs five times both (a compression sweep scores 160 reconstructions)."""
    _check_pair(x, x_hat)
    mse = (x_hat - x).pow(2).flatten(1).mean(1)  # (B,)
    return {"mse": mse.mean().item(), "psnr": _psnr_from_mse(mse).mean().item()}


def reconstruction_metrics(
    x: torch.Tensor, x_hat: torch.Tensor, logits: torch.Tensor | None = None
) -> dict[str, float]:
    """{"mse", "psnr", "bce"} of reconstructions x_hat of images x, both (B, ...) in [0, 1].

    Pass the decoder's `logits` to compute bce from them; without them x_hat is clipped to
    [1e-6, 1 - 1e-6] first so a pixel reconstructed as exactly 0 or 1 costs a finite amount.
    """
    sums = _reconstruction_sums(x, x_hat, logits)
    return {name: value / len(x) for name, value in sums.items()}


@torch.no_grad()
def evaluate(model: Autoencoder, dataset: ImageDataset, batch_size: int = 512, seed: int = 0) -> dict[str, Any]:
    """Reconstruction metrics of `model` on every image of `dataset`, in eval mode.

    For a VAE (a model whose output has a posterior mean) also: `neg_elbo`, the negative ELBO per
    image in nats with the Bernoulli likelihood (bce of one z drawn from q(z|x) with a generator
    seeded by `seed`, plus the analytic KL), `kl` (mean per image), `kl_per_dim` (mean KL of each
    latent unit) and `active_units` (units whose posterior mean has variance > 0.01 across the
    data, Burda et al. 2016). A conditional model (the cvae) is given each image's label, where the
    dataset has them. The model's train/eval mode is restored afterwards.
    """
    _check_evaluable(model, dataset, batch_size)
    device = next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    totals: dict[str, Any] = {}
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(dataset), batch_size):
            x = dataset.images[start:start + batch_size].to(device)  # (B, C, H, W)
            y = None if dataset.labels is None else dataset.labels[start:start + batch_size].to(device)
            output = model(x, y)  # unconditional kinds ignore y
            batch = _reconstruction_sums(x, output.x_hat, output.logits)
            if output.mu is not None:
                batch.update(_posterior_sums(model, x, output.mu, output.logvar, generator, y))
            for name, value in batch.items():
                totals[name] = totals[name] + value if name in totals else value
    finally:
        model.train(was_training)
    return _finish(totals, len(dataset))


def _check_evaluable(model: Autoencoder, dataset: ImageDataset, batch_size: int) -> None:
    if tuple(dataset.image_shape) != tuple(model.config.input_shape):
        raise ValueError(
            f"dataset {dataset.name!r} has images shaped {tuple(dataset.image_shape)} but the model takes "
            f"{tuple(model.config.input_shape)}; evaluate on the dataset the model was trained for"
        )
    if len(dataset) == 0:
        raise ValueError(f"dataset {dataset.name!r} has no images to evaluate on")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")


def _posterior_sums(
    model: Autoencoder, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator,
    labels: torch.Tensor | None = None,
) -> dict[str, Any]:
    """Batch sums of the VAE terms; per-dim sums stay float64 tensors until `_finish`."""
    kl = kl_standard_normal(mu, logvar)  # (B, k)
    eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    z = mu + eps * (0.5 * logvar).exp()  # one reparameterised sample per image
    nll = F.binary_cross_entropy_with_logits(model.decoder_logits(z, labels), x, reduction="none").flatten(1).sum(1)  # (B,)
    mu64 = mu.double()
    return {
        "neg_elbo": (nll + kl.sum(1)).sum().item(),
        "kl": kl.sum().item(),
        "kl_per_dim": kl.double().sum(0).cpu(),
        "mu_sum": mu64.sum(0).cpu(),
        "mu_square_sum": mu64.pow(2).sum(0).cpu(),
    }


def _finish(totals: dict[str, Any], n: int) -> dict[str, Any]:
    result: dict[str, Any] = {name: totals[name] / n for name in ("mse", "psnr", "bce")}
    if "neg_elbo" in totals:
        mu_mean = totals["mu_sum"] / n
        mu_variance = totals["mu_square_sum"] / n - mu_mean.pow(2)  # population Cov_x(mu_j)
        result.update(
            neg_elbo=totals["neg_elbo"] / n,
            kl=totals["kl"] / n,
            kl_per_dim=(totals["kl_per_dim"] / n).tolist(),
            active_units=int((mu_variance > ACTIVE_UNIT_THRESHOLD).sum()),
        )
    return result


def pca_baseline(train: ImageDataset | torch.Tensor, test: ImageDataset | torch.Tensor, k: int) -> dict[str, Any]:
    """Reconstruction metrics of PCA with k components fit on `train`, reconstructing `test`.

    The linear baseline an autoencoder with a k-dimensional code should beat. PCA reconstructions
    can leave [0, 1], so they are clipped to [0, 1] before the metrics (and, for bce, further to
    [1e-6, 1 - 1e-6]). Returns {"mse", "psnr", "bce", "k"}.
    """
    x_train, x_test = _flat_images(train, "train"), _flat_images(test, "test")
    if x_train.shape[1] != x_test.shape[1]:
        raise ValueError(f"train and test images differ in size ({x_train.shape[1]} vs {x_test.shape[1]} "
                         "pixels); give two splits of one dataset")
    most = min(x_train.shape)
    if int(k) != k or not 1 <= k <= most:
        raise ValueError(f"k must be an integer from 1 to {most} (the number of train images or pixels), got {k}")
    # float64 and a fixed random_state, so the baseline is the same number on every run.
    from sklearn.decomposition import PCA  # scikit-learn loads on first use: seconds off the app's start

    pca = PCA(n_components=int(k), random_state=0).fit(x_train)
    x_hat = np.clip(pca.inverse_transform(pca.transform(x_test)), 0.0, 1.0)
    metrics: dict[str, Any] = reconstruction_metrics(torch.from_numpy(x_test), torch.from_numpy(x_hat))
    metrics["k"] = int(k)
    return metrics


def nested_pca(x_train: np.ndarray, sizes: Sequence[int], solver: str = "covariance_eigh") -> dict[int, Any]:
    """{k: PCA with k components} for every k of `sizes`, from one exact fit (N, pixels) at the
    largest: an exact PCA's first k components are PCA-k's (the covariance's eigenvectors, in
    order), so one fit serves every size. `solver`: an exact one of scikit-learn's ("full",
    "covariance_eigh", the faster on tall data); a randomized one would break the nesting."""
    import copy

    from sklearn.decomposition import PCA  # scikit-learn loads on first use

    top = PCA(n_components=int(max(sizes)), svd_solver=solver, random_state=0).fit(x_train)
    nested = {}
    for k in sorted({int(k) for k in sizes}):
        pca = copy.copy(top)
        pca.n_components = pca.n_components_ = k
        for name in ("components_", "explained_variance_", "explained_variance_ratio_", "singular_values_"):
            setattr(pca, name, getattr(top, name)[:k])
        nested[k] = pca
    return nested


def _flat_images(data: ImageDataset | torch.Tensor, what: str) -> np.ndarray:
    images = data.images if isinstance(data, ImageDataset) else data
    if not isinstance(images, torch.Tensor) or images.dim() < 2 or len(images) == 0:
        raise ValueError(f"{what} must be an ImageDataset or a non-empty tensor of images (N, C, H, W)")
    return images.detach().cpu().flatten(1).double().numpy()
