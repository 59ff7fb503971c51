"""Inside a convolutional encoder: the first layer's filters and the feature maps they make of one
image, the numbers behind the app's "Convolutional encoder" page.

The first layer is where a convolution is easiest to read: each filter is a small patch of weights
over the input's pixels, slid over the image with the layer's stride, and its feature map (after
the layer's activation) is bright wherever the image locally looks like the filter.
Everything returned is NumPy, ready for a picture or a chart.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from aecore.models import Autoencoder


def first_conv(model: Autoencoder) -> nn.Conv2d:
    """The encoder's first convolution; ValueError for a model without one (an MLP)."""
    for layer in model.encoder.modules():
        if isinstance(layer, nn.Conv2d):
            return layer
    raise ValueError(f"this {model.kind!r} model's encoder has no convolution (its architecture is "
                     f"{getattr(model.config, 'arch', 'unknown')!r}); pick a model with arch 'conv'")


def filters(model: Autoencoder) -> np.ndarray:
    """The first convolution's weights (C_out, C_in, k, k)."""
    return first_conv(model).weight.detach().double().cpu().numpy()


@torch.no_grad()
def feature_maps(model: Autoencoder, image: torch.Tensor) -> np.ndarray:
    """The first layer's output for one image (C, H, W): its feature maps (C_out, H', W'), after the
    activation that follows the first convolution. Runs the encoder's leading layers only, and
    leaves a shared model's train/eval mode as it is (these layers behave the same in both)."""
    if image.dim() != 3:
        raise ValueError(f"feature_maps takes one image (C, H, W), got shape {tuple(image.shape)}")
    conv = first_conv(model)
    x = image.unsqueeze(0).to(conv.weight.dtype)  # (1, C, H, W)
    seen_conv = False
    for layer in model.encoder.children():  # the encoder is an nn.Sequential of layers
        if seen_conv and not isinstance(layer, (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh)):
            break  # the first conv and its activation are done
        x = layer(x)
        seen_conv = seen_conv or layer is conv
    return x[0].double().cpu().numpy()  # (C_out, H', W')


def layer_shape(model: Autoencoder) -> dict[str, Any]:
    """{"filters": C_out, "in_channels", "size": k, "stride", "map_size": (H', W')} of the first layer."""
    conv = first_conv(model)
    _, height, width = model.config.input_shape
    step, size, pad = conv.stride[0], conv.kernel_size[0], conv.padding[0]
    return {"filters": conv.out_channels, "in_channels": conv.in_channels, "size": size, "stride": step,
            "map_size": ((height + 2 * pad - size) // step + 1, (width + 2 * pad - size) // step + 1)}


def map_summary(maps: np.ndarray) -> dict[str, Any]:
    """Per map and in all, for feature maps (C, H', W'): {"mean" (C,) mean activation of each map,
    "silent": how many maps are zero everywhere on this image, "strongest": the map of largest mean,
    "zero_share": the share of all positions the activation sets to exactly 0}."""
    means = maps.reshape(len(maps), -1).mean(axis=1)
    return {"mean": means, "silent": int((maps.reshape(len(maps), -1).max(axis=1) <= 0).sum()),
            "strongest": int(means.argmax()), "zero_share": float((maps <= 0).mean())}


__all__ = ["feature_maps", "filters", "first_conv", "layer_shape", "map_summary"]
