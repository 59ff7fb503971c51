"""The library's defaults fit the input: `create_model` without an arch builds the recipes' net for the
image size, and on real 28x28 images that net, trained with `fit`'s defaults, reconstructs held-out
images at most as badly as PCA with as many components.

The 28x28 check reads ../shared/data's MNIST prefix (never part of the project) and skips where that
folder is absent, as on a user's clone."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

import aecore

_spec = importlib.util.spec_from_file_location("shared_data", Path(__file__).resolve().parents[1] / "bench" / "shared_data.py")
shared_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shared_data)


@pytest.mark.parametrize(("shape", "options", "arch"), [
    ((1, 8, 8), {}, "mlp"),                        # the embedded digits: the MLP, as their recipes
    ((1, 28, 28), {}, "conv"),                     # MNIST, Fashion-MNIST: the conv net, as theirs
    ((3, 32, 32), {}, "conv"),                     # CIFAR-10, the shapes
    ((1, 28, 28), {"hidden": (64,)}, "mlp"),       # an MLP's option names the MLP
    ((1, 8, 8), {"channels": (8, 16)}, "conv"),    # and a conv net's the conv net
])
def test_create_model_picks_the_recipes_net_for_the_image_size(shape, options, arch):
    model = aecore.create_model("ae", input_shape=shape, **options)
    assert model.config.arch == arch
    assert model.decode(model.encode(torch.rand(2, *shape))).shape == (2, *shape)
    assert aecore.create_model("ae", arch="mlp", input_shape=shape).config.arch == "mlp"  # a named arch holds


def test_the_library_defaults_beat_pca_on_real_mnist():
    if not shared_data.available("mnist"):
        pytest.skip("../shared/data has no MNIST images here")
    train, test = shared_data.held_out_split("mnist")
    # 8,000 training images and 10 epochs of fit's defaults (batch 128, lr 1e-3): 625 steps. At this
    # budget the default 8-D conv net reached 0.027 against PCA-8's 0.037 (2,000 held-out images).
    train, test = train.subset(np.arange(8000)), test.subset(np.arange(2000))
    torch.manual_seed(0)
    model = aecore.create_model("ae", input_shape=train.image_shape)
    aecore.fit(model, train, epochs=10, device="cpu")
    ours = aecore.evaluate(model, test)["mse"]
    pca = aecore.pca_baseline(train, test, k=model.config.latent_dim)["mse"]
    assert model.config.arch == "conv"
    assert ours <= pca, f"the defaults' held-out MSE {ours:.4f} is above PCA-{model.config.latent_dim}'s {pca:.4f}"
