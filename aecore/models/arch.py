"""Encoder and decoder networks: an MLP and a small convolutional net, for any (C, H, W) input.

An architecture is a function `(config, code_width) -> (encoder, decoder)`: the encoder maps
images (B, C, H, W) to (B, code_width) features, the decoder maps (B, latent_dim) codes to logits
(B, C, H, W). The objective (plain, sparse, variational...) lives in the model, not here, so every
kind gets every architecture.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

from torch import nn

if TYPE_CHECKING:
    from aecore.models.base import ModelConfig

Builder = Callable[["ModelConfig", int], tuple[nn.Module, nn.Module]]
ARCHITECTURES: dict[str, Builder] = {}
_BATCH_COUPLED: set[str] = set()  # architectures whose code of one image depends on its batch in training


def register_arch(name: str, per_image: bool = True) -> Callable[[Builder], Builder]:
    """Register an architecture builder. per_image=False: in training it codes each image together
    with the rest of its batch (batch norm), so a per-image quantity such as the contractive
    penalty's Jacobian is not defined for it."""
    def wrap(fn: Builder) -> Builder:
        ARCHITECTURES[name] = fn
        if not per_image:
            _BATCH_COUPLED.add(name)
        return fn

    return wrap


def codes_each_image(arch: str) -> bool:
    """Whether `arch` codes every image on its own in training (see `register_arch`)."""
    return arch not in _BATCH_COUPLED


def list_archs() -> list[str]:
    return list(ARCHITECTURES)


@register_arch("mlp")
def mlp(config: "ModelConfig", code_width: int) -> tuple[nn.Module, nn.Module]:
    """Fully connected: flatten -> hidden layers (ReLU) -> code; the decoder mirrors it."""
    channels, height, width = config.input_shape
    sizes = [channels * height * width, *config.hidden]
    encoder: list[nn.Module] = [nn.Flatten()]
    for size_in, size_out in zip(sizes[:-1], sizes[1:]):
        encoder += [nn.Linear(size_in, size_out), nn.ReLU()]
    encoder.append(nn.Linear(sizes[-1], code_width))

    decoder: list[nn.Module] = []
    reverse = [config.latent_dim, *reversed(config.hidden)]
    for size_in, size_out in zip(reverse[:-1], reverse[1:]):
        decoder += [nn.Linear(size_in, size_out), nn.ReLU()]
    decoder += [nn.Linear(reverse[-1], sizes[0]), nn.Unflatten(1, config.input_shape)]
    return nn.Sequential(*encoder), nn.Sequential(*decoder)


def conv_sizes(input_shape: tuple[int, int, int], depth: int) -> list[tuple[int, int]]:
    """Spatial sizes after each stride-2 convolution (kernel 3, padding 1), input size first.

    Raises ValueError when the image is too small to be halved `depth` times.
    """
    sizes = [tuple(input_shape[1:])]
    for _ in range(depth):
        height, width = sizes[-1]
        if min(height, width) < 2:
            smallest = 2**depth
            raise ValueError(
                f"the conv architecture halves the image {depth} times (channels={depth} layers) and needs "
                f"H and W of at least {smallest}; got input_shape={tuple(input_shape)}. "
                "Use arch='mlp' or fewer conv channels."
            )
        sizes.append((math.floor((height - 1) / 2) + 1, math.floor((width - 1) / 2) + 1))
    return sizes  # type: ignore[return-value]


def conv_plan(config: "ModelConfig") -> tuple[int, list[int], list[tuple[int, int]], int]:
    """What a stride-2 conv net of `config.channels` needs: (input channels, widths, the spatial sizes
    from the input down (`conv_sizes`), and the flattened size of the smallest feature map)."""
    widths = list(config.channels)
    sizes = conv_sizes(config.input_shape, len(widths))
    return config.input_shape[0], widths, sizes, widths[-1] * sizes[-1][0] * sizes[-1][1]


@register_arch("conv")
def conv(config: "ModelConfig", code_width: int) -> tuple[nn.Module, nn.Module]:
    """Stride-2 convolutions down to a small feature map, a linear layer to the code; the decoder
    mirrors it with transposed convolutions whose output padding restores odd sizes exactly
    (28 -> 14 -> 7 -> 14 -> 28, 8 -> 4 -> 2 -> 4 -> 8)."""
    in_channels, widths, sizes, flat = conv_plan(config)
    bottom_h, bottom_w = sizes[-1]

    encoder: list[nn.Module] = []
    for c_in, c_out in zip([in_channels, *widths[:-1]], widths):
        encoder += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.ReLU()]
    encoder += [nn.Flatten(), nn.Linear(flat, code_width)]

    decoder: list[nn.Module] = [
        nn.Linear(config.latent_dim, flat),
        nn.ReLU(),
        nn.Unflatten(1, (widths[-1], bottom_h, bottom_w)),
    ]
    outs = [*reversed(widths[:-1]), in_channels]
    for i, (c_in, c_out) in enumerate(zip(reversed(widths), outs)):
        (h_in, w_in), (h_out, w_out) = sizes[-1 - i], sizes[-2 - i]
        # A stride-2 transposed conv (kernel 3, padding 1) gives 2n - 1; output_padding adds the rest.
        padding = (h_out - (2 * h_in - 1), w_out - (2 * w_in - 1))
        decoder.append(nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=padding))
        if i < len(widths) - 1:  # no activation on the output logits
            decoder.append(nn.ReLU())
    return nn.Sequential(*encoder), nn.Sequential(*decoder)
