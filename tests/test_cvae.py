"""The conditional VAE (kind cvae): the class enters both networks, no class is the plain VAE, the
shipped digits model draws the class asked (the bar: a pixel classifier names at least 90% of each
class's samples as that class), "same style, other digit", and a clear error for every bad label."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import aecore
from aecore.generate import restyle
from aecore.models.cvae import NO_CLASS
from aecore.studies.quality import BARS, class_samples


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return aecore.create_model("cvae", input_shape=(1, 8, 8), latent_dim=3).eval()


def test_the_class_enters_the_encoder_and_the_decoder(model):
    x, z = torch.rand(4, 1, 8, 8), torch.randn(4, 3)
    assert not torch.allclose(model.encode(x, 2), model.encode(x, 7))
    assert not torch.allclose(model.decode(z, 2), model.decode(z, 7))
    # A tensor gives each image its own class: the same as asking for each one alone.
    each = torch.tensor([0, 1, 2, 3])
    assert torch.allclose(model.decode(z, each)[1:2], model.decode(z[1:2], 1))


def test_no_class_is_the_all_zero_one_hot(model):
    x = torch.rand(5, 1, 8, 8)
    assert torch.equal(model.one_hot(None, 5, x.device), torch.zeros(5, 10))
    assert torch.equal(model.encode(x), model.encode(x, NO_CLASS))
    assert torch.equal(model.one_hot(torch.tensor([3, NO_CLASS]), 2, x.device).argmax(1), torch.tensor([3, 0]))
    assert model.one_hot(torch.tensor([3, NO_CLASS]), 2, x.device).sum().item() == 1


@pytest.mark.parametrize("labels, message", [
    (torch.tensor([0, 1]), "got 2 labels for 5 images"),
    (10, "labels must be classes 0 to 9"),
    (torch.tensor([0, 1, 2, 3, -2]), "labels must be classes 0 to 9"),
])
def test_bad_labels_raise_clear_errors(model, labels, message):
    with pytest.raises(ValueError, match=message):
        model.encode(torch.rand(5, 1, 8, 8), labels)


@pytest.mark.parametrize("options, message", [({"num_classes": 1}, "num_classes must be an integer of at least 2"),
                                              ({"label_dropout": 1.0}, r"label_dropout must be in \[0, 1\)")])
def test_bad_options_raise_clear_errors(options, message):
    with pytest.raises(ValueError, match=message):
        aecore.create_model("cvae", **options)


def test_fit_says_a_conditional_model_needs_labelled_images_that_fit_it():
    images = torch.rand(20, 1, 8, 8)
    unlabelled = aecore.ImageDataset(images)
    with pytest.raises(ValueError, match="have no labels, and a conditional VAE"):
        aecore.fit(aecore.create_model("cvae", input_shape=(1, 8, 8)), unlabelled, epochs=1)
    twelve = aecore.ImageDataset.from_arrays(images, np.arange(20) % 12)
    with pytest.raises(ValueError, match="labels up to 11, but this model takes 10 classes: set num_classes to 12"):
        aecore.fit(aecore.create_model("cvae", input_shape=(1, 8, 8)), twelve, epochs=1)


def test_label_dropout_hides_the_class_of_a_share_of_training_images_only(monkeypatch):
    model = aecore.create_model("cvae", input_shape=(1, 8, 8), label_dropout=0.3)
    seen = []
    decode = model.decoder_logits
    monkeypatch.setattr(model, "decoder_logits", lambda z, labels=None: seen.append(labels) or decode(z, labels))
    x, y = torch.rand(2000, 1, 8, 8), torch.arange(2000) % 10
    torch.manual_seed(0)
    model.train().loss(x, y)
    hidden = (seen[-1] == NO_CLASS).float().mean().item()
    assert 0.25 < hidden < 0.35
    assert torch.equal(seen[-1][seen[-1] != NO_CLASS], y[seen[-1] != NO_CLASS])  # the others keep their own
    model.eval().loss(x, y)
    assert torch.equal(seen[-1], y)


def test_same_style_other_class_decodes_one_code_under_every_class(model):
    x, y = torch.rand(3, 1, 8, 8), torch.tensor([4, 0, 9])
    grid = restyle(model, x, y)
    assert grid.shape == (3, 10, 1, 8, 8)
    own = model.decode(model.encode(x, y), y)  # the column of each image's own class is its reconstruction
    assert torch.allclose(grid[torch.arange(3), y], own, atol=1e-6)
    with pytest.raises(ValueError, match="restyling needs a conditional model"):
        restyle(aecore.create_model("vae", input_shape=(1, 8, 8)), x, y)


def test_the_shipped_digits_model_draws_every_class_asked():
    train, _ = aecore.load_split("digits")
    checked = class_samples(aecore.load_pretrained("digits-cvae-8"), train)
    assert checked["min"] >= BARS["class_sample_accuracy"], checked["accuracy"]
