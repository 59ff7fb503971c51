"""aecore.studies.conv_maps: the first convolution's filters and one image's feature maps, against torch's
own layers, on a small conv model and the zoo's shapes model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import aecore
from aecore.studies import conv_maps


@pytest.fixture(scope="module")
def small_conv() -> aecore.Autoencoder:
    torch.manual_seed(0)
    return aecore.create_model("ae", arch="conv", input_shape=(1, 9, 9), latent_dim=3, channels=(4, 6))


def test_feature_maps_are_the_first_layer_after_its_relu(small_conv):
    image = torch.rand(1, 9, 9)
    maps = conv_maps.feature_maps(small_conv, image)
    reference = torch.relu(small_conv.encoder[0](image.unsqueeze(0)))[0].detach().numpy()
    np.testing.assert_allclose(maps, reference, rtol=1e-6)
    shape = conv_maps.layer_shape(small_conv)
    assert maps.shape == (shape["filters"], *shape["map_size"]) == (4, 5, 5)
    assert conv_maps.filters(small_conv).shape == (4, 1, 3, 3)


def test_feature_maps_leave_a_shared_models_mode_alone(small_conv):
    small_conv.train()
    conv_maps.feature_maps(small_conv, torch.rand(1, 9, 9))
    assert small_conv.training
    small_conv.eval()


def test_map_summary_counts_silent_maps_and_the_strongest():
    maps = np.zeros((3, 2, 2))
    maps[1] = 0.5
    maps[2, 0, 0] = 4.0
    summary = conv_maps.map_summary(maps)
    assert summary["silent"] == 1 and summary["strongest"] == 2
    np.testing.assert_allclose(summary["mean"], [0.0, 0.5, 1.0])
    assert summary["zero_share"] == pytest.approx(7 / 12)


def test_the_shapes_model_has_32_filters_of_3x3_and_16x16_maps():
    model = aecore.load_pretrained("shapes-ae-8")
    image = aecore.load_dataset("shapes").images[0]
    shape = conv_maps.layer_shape(model)
    assert (shape["filters"], shape["size"], shape["stride"], shape["map_size"]) == (32, 3, 2, (16, 16))
    assert conv_maps.feature_maps(model, image).shape == (32, 16, 16)


def test_an_mlp_has_no_convolution_to_show():
    with pytest.raises(ValueError, match="no convolution"):
        conv_maps.first_conv(aecore.create_model("ae", input_shape=(1, 8, 8)))


def test_feature_maps_take_one_image(small_conv):
    with pytest.raises(ValueError, match="one image"):
        conv_maps.feature_maps(small_conv, torch.rand(2, 1, 9, 9))
