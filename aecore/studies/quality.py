"""Quality bars: does a model do what autoencoders are for better than PCA does?

Each function measures one bar on held-out images, against the linear baseline measured the same
way, and returns plain numbers (docs/quality.md's table and `bench/bench_quality.py` print them;
`tests/test_quality.py` checks the shipped models against them):

    reconstruction(model, train, test)      # MSE against PCA with as many components as the code
    denoising(denoiser, plain, test)        # PSNR gain over the noisy input at sigma 0.5, clipped
    prior_samples(vae, train)               # class shares and confidence of decoded prior samples
    class_samples(cvae, train)              # each class's samples named as that class, per class
    probe(model, train, test)               # accuracy with 10 labels per class: codes, PCA, pixels
    one_class_auroc(model, train, test, c)  # anomaly detection with class c as the normal one
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from aecore.anomaly import anomaly_scores, normal_mask, pca_scores, roc
from aecore.data import ImageDataset
from aecore.metrics import evaluate, pca_baseline, psnr
from aecore.models import Autoencoder
from aecore.noise import corrupt

BARS = {
    "reconstruction_32": 0.35,  # test MSE of a 32-D code / PCA-32's, at most
    "reconstruction_2": 0.63,  # the same for a 2-D code (0.65 left no room for writers the model never saw)
    "denoising_gain_db": 8.0,  # PSNR of the denoised images over the noisy ones, at least
    "prior_class_share": 0.03,  # every class among decoded prior samples, at least
    "prior_confidence": 0.8,  # mean top-class probability of those samples, at least
    "class_sample_accuracy": 0.9,  # a conditional model's samples of each class named as that class, at least
    "beta_vae_active_units": 3,  # at least
    "vae_active_units": 2,  # any shipped VAE, at least
}
DENOISE_SIGMA = 0.5


def reconstruction(model: Autoencoder, train: ImageDataset, test: ImageDataset) -> dict[str, float]:
    """Test MSE of the model and of PCA with latent_dim components fit on `train`, and their ratio."""
    mse = float(evaluate(model, test)["mse"])
    pca = float(pca_baseline(train, test, k=model.config.latent_dim)["mse"])
    return {"mse": mse, "pca_mse": pca, "ratio": mse / pca}


@torch.no_grad()
def denoising(model: Autoencoder, plain: Autoencoder | None, test: ImageDataset, sigma: float = DENOISE_SIGMA,
              seed: int = 0) -> dict[str, float]:
    """Mean PSNR (dB) of the noisy test images (gaussian sigma, clipped to [0, 1] as the app shows
    them), of the model's reconstructions of them and of a plain model's, and the model's gain."""
    x = test.images.float()
    noisy = corrupt(x, "gaussian", sigma, seed=seed)
    result = {"noisy_psnr": float(psnr(x, noisy).mean()),
              "psnr": float(psnr(x, model.infer(noisy).x_hat).mean())}
    if plain is not None:
        result["plain_psnr"] = float(psnr(x, plain.infer(noisy).x_hat).mean())
    result["gain_db"] = result["psnr"] - result["noisy_psnr"]
    return result


def pixel_classifier(train: ImageDataset, max_images: int = 10_000, seed: int = 0, kind: str = "logistic") -> Any:
    """A classifier of real pixels, the judge of what a generated image shows: "logistic" regression,
    or "mlp", one hidden layer of 256 ReLUs (30 epochs of Adam). On MNIST's held-out images the
    logistic judge reads 85-97% of each class right, below the 90% a class's samples are held to;
    the MLP 92-98%, so it judges the conditional samples."""
    if train.labels is None:
        raise ValueError("judging samples needs a labelled dataset")
    keep = np.random.default_rng(seed).permutation(len(train))[:max_images]
    x, y = train.images[keep].flatten(1).double().numpy(), np.asarray(train.labels)[keep]
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=500).fit(x, y)
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    with warnings.catch_warnings():  # 30 epochs are enough to judge; more cost time, not accuracy
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier(hidden_layer_sizes=(256,), max_iter=30, random_state=seed).fit(x, y)


@torch.no_grad()
def prior_samples(model: Autoencoder, train: ImageDataset, n: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Decode n codes drawn from N(0, I) and classify them with a logistic regression trained on the
    real training images: the share of each class and the mean top-class probability."""
    if not hasattr(model, "sample"):
        raise ValueError(f"prior samples need a VAE; this model is a {model.kind!r} autoencoder")
    images = model.sample(n, seed=seed).flatten(1).double().numpy()
    judge = pixel_classifier(train, seed=seed)
    probabilities = judge.predict_proba(images)
    counts = np.bincount(judge.classes_[probabilities.argmax(1)], minlength=len(judge.classes_))
    return {"class_shares": (counts / n).tolist(), "min_share": float(counts.min() / n),
            "confidence": float(probabilities.max(1).mean())}


@torch.no_grad()
def class_samples(model: Autoencoder, train: ImageDataset, per_class: int = 100, seed: int = 0) -> dict[str, Any]:
    """Ask a conditional model (the cvae) for `per_class` samples of each class of `train` (z ~ N(0, I))
    and classify them with the MLP judge trained on its real images (`pixel_classifier`): {"accuracy":
    each class's share of samples named as that class, "min": the lowest, "mean": their mean}."""
    if not model.conditional:
        raise ValueError(f"samples of a class need a conditional model (kind 'cvae'); this one is a {model.kind!r}")
    judge = pixel_classifier(train, seed=seed, kind="mlp")
    accuracy = []
    for label in range(len(train.classes)):
        images = model.sample(per_class, seed=seed + label, labels=label).flatten(1).double().numpy()
        accuracy.append(float(np.mean(judge.predict(images) == label)))
    return {"accuracy": accuracy, "min": min(accuracy), "mean": float(np.mean(accuracy))}


def probe(model: Autoencoder, train: ImageDataset, test: ImageDataset, labels_per_class: int = 10,
          repeats: int = 5) -> dict[str, float]:
    """Logistic-regression accuracy with `labels_per_class` labels per class on the model's codes,
    on PCA codes of the same size and on raw pixels (mean over `repeats` draws)."""
    from aecore.probe import label_key, linear_probe

    accuracy = linear_probe(model, train, test, labels_per_class, repeats=repeats)["accuracy"]
    key = label_key(labels_per_class)
    return {name: float(accuracy[name]["logistic"][key]) for name in ("autoencoder", "pca", "pixels")}


def one_class_auroc(model: Autoencoder, train: ImageDataset, test: ImageDataset, normal: int) -> dict[str, float]:
    """AUROC of the reconstruction error as a detector of the other classes, for a model trained on
    class `normal` only, and of PCA with as many components fit on the same normal images."""
    normal_train = train.subset(normal_mask(train, (normal,)))
    is_anomaly = ~normal_mask(test, (normal,))
    k = model.config.latent_dim
    return {"autoencoder": float(roc(anomaly_scores(model, test), is_anomaly)["auroc"]),
            "pca": float(roc(pca_scores(normal_train, test, k), is_anomaly)["auroc"])}


__all__ = ["BARS", "DENOISE_SIGMA", "class_samples", "denoising", "one_class_auroc", "pixel_classifier", "prior_samples", "probe", "reconstruction"]
