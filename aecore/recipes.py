"""Every recipe, written once: the zoo's models, and the defaults the app and the CLI start from.

A recipe is a `RunSpec`. The app's Train page starts from `default_spec(dataset)`, which is the zoo's
plain 8-D autoencoder of that dataset, so pressing Train with the defaults rebuilds the shipped
model, and the one-class models (anomaly detection), the rate-distortion sweeps and the warm-up
experiment all derive from the same specs. Digits (8x8) get the MLP, shapes (32x32, 10,000 images)
the conv net: the architecture that suits each.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

from aecore.runner import FitSettings, RunSpec


@dataclass(frozen=True)
class Recipe:
    """A named zoo model: what to train, and a sentence on what it is for."""

    name: str
    description: str
    spec: RunSpec

    def command(self) -> str:
        """The `python -m aecore train` command that rebuilds it into `pretrained/`."""
        return self.spec.command(out=f"pretrained/{self.name}")


def _recipe(dataset: str, arch: str, batch_size: int, lr: float = 0.002, schedule: str = "constant",
            **arch_options: Any) -> Any:
    """A recipe maker for one dataset: kind, code size, epochs, warm-up and the kind's options."""
    def make(kind: str, latent: int, epochs: int, warmup: float = 0.0, **options: Any) -> RunSpec:
        return RunSpec(dataset=dataset, kind=kind, arch=arch, latent_dim=latent, options={**arch_options, **options},
                       fit=FitSettings(epochs=epochs, batch_size=batch_size, lr=lr, warmup_epochs=warmup, seed=0,
                                       schedule=schedule))
    return make


_digits = _recipe("digits", "mlp", 64)
_shapes = _recipe("shapes", "conv", 128)
# 28x28 images: the conv net (32 and 64 channels) with small batches and a one-cycle schedule reaches
# in 5 epochs what a constant rate needs 10 for; the MLP is wider than digits' (784 pixels in).
_28 = {"batch_size": 64, "lr": 0.005, "schedule": "onecycle"}
_mnist = _recipe("mnist", "conv", **_28)
_mnist_mlp = _recipe("mnist", "mlp", 64, 0.003, "onecycle", hidden=(512, 256))
_fashion = _recipe("fashion-mnist", "conv", **_28)
_fashion_mlp = _recipe("fashion-mnist", "mlp", 64, 0.003, "onecycle", hidden=(512, 256))
TWO_D_TEST_FRACTION = 0.05  # the 28x28 2-D codes' test split (see _family)


def _family(prefix: str, make: Any, epochs: int, two_d: Any = None, two_d_epochs: int = 0,
            reconstruction: dict[str, Any] | None = None) -> tuple[Recipe, ...]:
    """Every kind for one 28x28 dataset and architecture: the 32-D codes of the reconstruction and
    denoising lessons, a 16-D VAE and a 10-D beta-VAE for sampling, and (made by `two_d`) 2-D codes
    for the map. A 2-D code is squeezed through the conv net's single linear layer; the MLP's two
    hidden layers rebuild from it better (test MSE 0.65x PCA-2's against 0.85x in the same time).
    reconstruction: fit settings of the plain 32-D code (the reconstruction lesson's model) alone."""
    recipes = [
        Recipe(f"{prefix}-ae-32", "plain autoencoder, 32-D code",
               make("ae", 32, epochs).with_fit(**(reconstruction or {}))),
        Recipe(f"{prefix}-sparse-l1-32", "sparse autoencoder, L1 penalty on a 32-D ReLU code",
               make("sparse", 32, epochs, penalty="l1", weight=0.05)),
        Recipe(f"{prefix}-sparse-kl-32", "sparse autoencoder, KL penalty towards 5% activity on a 32-D code",
               make("sparse", 32, epochs, penalty="kl", weight=2.0, rho=0.05)),
        Recipe(f"{prefix}-denoising-32", "denoising autoencoder trained on gaussian noise, sigma 0.5",
               make("denoising", 32, epochs, noise="gaussian", noise_level=0.5)),
        # The Jacobian penalty costs one encoder pass per code unit: a 16-D code, a fifth of the epochs.
        Recipe(f"{prefix}-contractive-16", "contractive autoencoder, 16-D code",
               make("contractive", 16, max(2, epochs // 5), weight=0.01)),
        Recipe(f"{prefix}-vae-16", "variational autoencoder (beta 1), 16-D code, KL warm-up",
               make("vae", 16, 2 * epochs, 1, beta=1.0)),
        Recipe(f"{prefix}-beta-vae-10", "beta-VAE (beta 4), 10-D code, KL warm-up",
               make("vae", 10, 2 * epochs, 1, beta=4.0)),
    ]
    if two_d is not None:
        # A 2-D code still gains from every image (MNIST: 0.652x PCA-2's error from 80% of the
        # training images, 0.626x from 95%), so it holds out 5% to test on: 3,000 of MNIST's 60,000,
        # still more than the map draws.
        def map_code(*args: Any, **options: Any) -> RunSpec:
            return replace(two_d(*args, **options), test_fraction=TWO_D_TEST_FRACTION)

        recipes += [Recipe(f"{prefix}-ae-2", "plain autoencoder (MLP), 2-D code: the map shows the raw code",
                           map_code("ae", 2, two_d_epochs or 4 * epochs)),
                    Recipe(f"{prefix}-vae-2", "variational autoencoder (MLP), 2-D code: the map shows the raw code",
                           map_code("vae", 2, 3 * epochs, 1, beta=1.0))]
    return tuple(recipes)


ZOO: tuple[Recipe, ...] = (
    Recipe("digits-ae-8", "plain autoencoder, 8-D code", _digits("ae", 8, 100)),
    Recipe("digits-ae-2", "plain autoencoder, 2-D code (the map shows the raw code)", _digits("ae", 2, 150)),
    Recipe("digits-sparse-l1-16", "sparse autoencoder, L1 penalty on a 16-D ReLU code",
           _digits("sparse", 16, 100, penalty="l1", weight=0.05)),
    Recipe("digits-sparse-kl-16", "sparse autoencoder, KL penalty towards 5% activity on a 16-D code",
           _digits("sparse", 16, 100, penalty="kl", weight=0.5, rho=0.05)),
    Recipe("digits-denoising-16", "denoising autoencoder trained on gaussian noise, sigma 0.3",
           _digits("denoising", 16, 300, noise="gaussian", noise_level=0.3)),
    Recipe("digits-contractive-8", "contractive autoencoder, 8-D code", _digits("contractive", 8, 100, weight=0.01)),
    Recipe("digits-vae-8", "variational autoencoder (beta 1), 8-D code, KL warm-up", _digits("vae", 8, 200, 10, beta=1.0)),
    # beta 4 switched every unit off on 64 pixels (0 active units); beta 2 keeps 3 at work.
    Recipe("digits-beta-vae-8", "beta-VAE (beta 2), 8-D code, KL warm-up", _digits("vae", 8, 200, 10, beta=2.0)),
    Recipe("digits-vae-2", "variational autoencoder, 2-D code (the map shows the raw code)",
           _digits("vae", 2, 200, 10, beta=1.0)),
    # The class as a one-hot in both networks: 100 samples of each class, all read as that class by the
    # zoo's MLP judge (its 8-D code keeps 3 units at work: the style).
    Recipe("digits-cvae-8", "conditional VAE: each image's class enters encoder and decoder, 8-D code",
           _digits("cvae", 8, 200, 10)),
    Recipe("digits-hashing-16", "semantic hashing: a code of 16 bits, searched by Hamming distance",
           _digits("hashing", 16, 100)),
    Recipe("shapes-ae-8", "plain autoencoder, 8-D code", _shapes("ae", 8, 20)),
    Recipe("shapes-ae-2", "plain autoencoder, 2-D code", _shapes("ae", 2, 20)),
    Recipe("shapes-sparse-l1-16", "sparse autoencoder, L1 penalty, 16-D code",
           _shapes("sparse", 16, 12, penalty="l1", weight=0.05)),
    Recipe("shapes-sparse-kl-16", "sparse autoencoder, KL penalty towards 5% activity, 16-D code",
           _shapes("sparse", 16, 12, penalty="kl", weight=0.5, rho=0.05)),
    Recipe("shapes-denoising-8", "denoising autoencoder trained on gaussian noise, sigma 0.3",
           _shapes("denoising", 8, 12, noise="gaussian", noise_level=0.3)),
    Recipe("shapes-contractive-8", "contractive autoencoder, 8-D code", _shapes("contractive", 8, 5, weight=0.01)),
    Recipe("shapes-vae-8", "variational autoencoder (beta 1), 8-D code, KL warm-up", _shapes("vae", 8, 15, 3, beta=1.0)),
    Recipe("shapes-beta-vae-6", "beta-VAE (beta 4), 6-D code: x, y and scale each move one unit",
           _shapes("vae", 6, 40, 5, beta=4.0)),
    Recipe("shapes-vae-2", "variational autoencoder, 2-D code", _shapes("vae", 2, 15, 3, beta=1.0)),
    # 60 epochs for MNIST's 2-D code. Held-out error against PCA-2's (bar 0.65x): 0.652x from
    # 16,165 training images at 40 or 60 epochs; 0.626x from 19,195 at 60: data, not epochs.
    *_family("mnist", _mnist, 10, two_d=_mnist_mlp, two_d_epochs=60),
    # The MLP's 16-D VAE, 80 epochs: its prior samples are then clear (mean top-class probability 0.81,
    # against 0.79 at 40 and 0.77 for the conv VAE), at a test -ELBO of 101.7 nats. The rest of
    # MNIST's MLP family (2.1 MB each) taught what the conv family teaches, and was pruned.
    Recipe("mnist-mlp-vae-16", "variational autoencoder (beta 1), 16-D code, KL warm-up",
           _mnist_mlp("vae", 16, 80, 1, beta=1.0)),
    # The conditional VAE's code holds the style alone, the class given. At beta 1 its samples of a
    # class stray towards others (per class named as asked by the MLP judge: 81% to 98% at 4-D; the
    # logistic judge gave 64% to 90% at 16-D); beta 2 keeps them on the class asked (93% to 99%).
    Recipe("mnist-cvae-4", "conditional VAE (beta 2): each image's class enters encoder and decoder, 4-D code",
           _mnist("cvae", 4, 10, 1, beta=2.0)),
    # Semantic hashing, 32 bits (bench/bench_retrieval.py), precision@10 by label against the 20,206
    # training images: 0.855 from the reconstruction alone (20 epochs or a third conv layer: 0.849);
    # with the moved views' InfoNCE term (aecore.models.hashing) at weight 10, 40 and 100: 0.883,
    # 0.901 and 0.910 (moves up to 0.1); weight 40 with moves up to 0.15: 0.911, at a held-out error
    # of 0.0255 against 0.0202. The signs of centred PCA-32: 0.795; mnist-ae-32's floats: 0.941.
    Recipe("mnist-hashing-32", "semantic hashing: a code of 32 bits, searched by Hamming distance, its bits "
           "kept by moved views", _mnist("hashing", 32, 10, views=40.0)),
    # Fashion's 32-D code overfits its 5,213 training images (0.658x PCA-32's held-out error at 20
    # epochs, 0.577x on its own images); 60 epochs reach 0.615x, 60 on mirrored clothes 0.593x.
    *_family("fashion-mnist", _fashion, 20, two_d=_fashion_mlp, reconstruction={"epochs": 60, "augment": "hflip"}),
    # The same code through the residual conv net (aecore.models.resconv), 40 epochs on mirrored
    # clothes: bench/fashion_ceiling.py put it at 0.505x from the 6,517 training images we hold.
    Recipe("fashion-mnist-resconv-32", "plain autoencoder, 32-D code, residual conv net",
           _recipe("fashion-mnist", "resconv", **_28)("ae", 32, 40).with_fit(augment="hflip")),
)
DEFAULT_DATASET = "digits"


def zoo_recipe(name: str) -> Recipe:
    """The zoo recipe called `name`; ValueError listing the valid names otherwise."""
    for recipe in ZOO:
        if recipe.name == name:
            return recipe
    raise ValueError(f"unknown zoo model {name!r}; valid: {', '.join(r.name for r in ZOO)}")


# Where the Train page starts on each dataset: the zoo model a default run rebuilds. A 28x28 dataset
# the zoo does not cover (KMNIST, your own 28x28 images) starts from MNIST's recipe, CIFAR-10 from
# the shapes conv net; anything else from digits'.
DEFAULT_MODELS = {"digits": "digits-ae-8", "shapes": "shapes-ae-8", "mnist": "mnist-ae-32",
                  "fashion-mnist": "fashion-mnist-ae-32", "kmnist": "mnist-ae-32", "cifar10": "shapes-ae-8"}
# The Train page's 28x28 run is MNIST's 32-D recipe for a budget of training images rather than of
# epochs, so that a click gives the active model in under 45 s on a 2-core server whatever the set's
# size: 5 epochs of the 20,206 training images here reach 0.331x PCA-32's held-out error in 31 s on
# one core (8 epochs: 0.294x in 50 s; bench/bench_live.py), 2 of MNIST's 60,000.
LIVE_SAMPLES = 100_000
LIVE_DATASETS = ("mnist", "fashion-mnist", "kmnist")


def default_spec(dataset: str, train_images: int | None = None) -> RunSpec:
    """Where training on `dataset` starts (see DEFAULT_MODELS), with that dataset swapped in; for a
    28x28 set with `train_images` training images, as many epochs as LIVE_SAMPLES take."""
    spec = replace(zoo_recipe(DEFAULT_MODELS.get(dataset, f"{DEFAULT_DATASET}-ae-8")).spec, dataset=dataset)
    if dataset in LIVE_DATASETS and train_images:
        spec = spec.with_fit(epochs=max(1, -(-LIVE_SAMPLES // int(train_images))))
    return spec


# One-class training on 28x28 images: a tenth of the data, so more epochs; and an 8-D code, which
# rebuilds the normal class and not the rest (MNIST, mean AUROC over the 10 classes: 0.951 against
# PCA-8's 0.931, every class ahead; at 32-D the code rebuilds anomalies too: 0.948 against 0.953).
ONE_CLASS = {"latent_dim": 8, "epochs": 30}


def one_class_spec(dataset: str, normal_classes: Sequence[int]) -> RunSpec:
    """The default recipe, trained on the normal classes only (anomaly detection)."""
    spec = replace(default_spec(dataset), normal_classes=tuple(sorted(int(c) for c in normal_classes)))
    if dataset in LIVE_DATASETS:
        spec = replace(spec, latent_dim=ONE_CLASS["latent_dim"]).with_fit(epochs=ONE_CLASS["epochs"])
    return spec


# Rate-distortion sweeps (aecore.studies.compression): the default recipe at each code size; shapes with
# fewer epochs, so the whole sweep rebuilds in minutes on a CPU. MNIST's and Fashion's sweeps ship
# as models, measured on the user's copy of the images (aecore.studies.sweep_models), in the default MLP
# (256-128) rather than the conv net: that measuring decodes the test images 75 times (15 bit widths
# at 5 sizes), 0.06 s each for 10,000 images through this MLP's decoder on one core, 2.7 s through
# the conv net's.
SWEEP_SIZES: dict[str, list[int]] = {"digits": [2, 4, 8, 16, 32], "shapes": [2, 4, 8, 16],
                                     "mnist": [2, 4, 8, 16, 32], "fashion-mnist": [2, 4, 8, 16, 32]}
SWEEP_EPOCHS: dict[str, int] = {"digits": 100, "shapes": 3, "mnist": 20, "fashion-mnist": 40}
SWEEP_ARCHS: dict[str, str] = {"mnist": "mlp", "fashion-mnist": "mlp"}


def warmup_specs(beta: float = 3.0) -> dict[str, RunSpec]:
    """The posterior-collapse experiment: one small MLP VAE on digits, without and with KL warm-up,
    from the same seed, so the warm-up is the only difference."""
    base = RunSpec(dataset="digits", kind="vae", arch="mlp", latent_dim=8, options={"beta": float(beta)},
                   fit=FitSettings(epochs=20, batch_size=64, lr=2e-3, seed=0, device="cpu"))
    return {"no warm-up": base, "warm-up": base.with_fit(warmup_epochs=15.0)}


__all__ = ["Recipe", "ZOO", "default_spec", "one_class_spec", "warmup_specs", "zoo_recipe"]
