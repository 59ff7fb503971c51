"""A residual convolutional net: the conv architecture with a residual block at every scale, both ways.

Fashion-MNIST's textures are where the plain conv net stops short: on the 6,517 training images we
hold, its 32-D code reaches 0.593x PCA-32's held-out error, this net 0.505x in the same 40 epochs
(`bench/fashion_ceiling.py`, which also fits the learning curve's limit). Batch norm in the blocks
makes it train in train mode and infer in eval mode, as `aecore.load` returns it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from aecore.models.arch import conv_plan, register_arch

if TYPE_CHECKING:
    from aecore.models.base import ModelConfig


class Residual(nn.Module):
    """Two 3x3 convolutions with batch norm, added to their input (He et al., 2016)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                                  nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return F.relu(h + self.body(h))


@register_arch("resconv", per_image=False)  # batch norm: see register_arch
def resconv(config: "ModelConfig", code_width: int) -> tuple[nn.Module, nn.Module]:
    """Stride-2 convolutions (`channels`, one per halving), each followed by a residual block, and a
    linear layer to the code; the decoder mirrors it with transposed convolutions that double each
    size exactly (kernel 4) or to an odd size (kernel 3): 28 -> 14 -> 7 -> 14 -> 28."""
    in_channels, widths, sizes, flat = conv_plan(config)
    bottom_h, bottom_w = sizes[-1]

    encoder: list[nn.Module] = []
    for c_in, c_out in zip([in_channels, *widths[:-1]], widths):
        encoder += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.ReLU(), Residual(c_out)]
    encoder += [nn.Flatten(), nn.Linear(flat, code_width)]

    decoder: list[nn.Module] = [nn.Linear(config.latent_dim, flat), nn.ReLU(),
                                nn.Unflatten(1, (widths[-1], bottom_h, bottom_w))]
    outs = [*reversed(widths[:-1]), in_channels]
    for i, (c_in, c_out) in enumerate(zip(reversed(widths), outs)):
        (h_in, w_in), (h_out, w_out) = sizes[-1 - i], sizes[-2 - i]
        kernel = (4 if h_out == 2 * h_in else 3, 4 if w_out == 2 * w_in else 3)  # 2n, or 2n - 1
        decoder += [Residual(c_in), nn.ConvTranspose2d(c_in, c_out, kernel, stride=2, padding=1)]
        if i < len(widths) - 1:  # no activation on the output logits
            decoder.append(nn.ReLU())
    return nn.Sequential(*encoder), nn.Sequential(*decoder)
