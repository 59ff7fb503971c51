"""Conditional VAE: each image's class enters the encoder and the decoder as a one-hot vector.

Sohn, Lee & Yan, "Learning structured output representation using deep conditional generative
models", NeurIPS 2015 (and the generative model p(x | y, z) of Kingma et al.'s M2, NeurIPS 2014):
q(z | x, y) and p(x | z, y), trained on -ELBO = recon + KL(q(z | x, y) || N(0, I)). The decoder is told
the class, so the code is left to hold what the class does not say (slant, thickness, size: the
style): `sample(n, labels=c)` draws class c, and one image's code decoded under every class writes
each digit in that image's hand.

Where the one-hot y enters: both networks' first layer takes [input, y], written as its output plus
a learned vector per class (what concatenating y to a linear layer's input adds; for a convolution,
the same vector over every position). Every architecture begins with such a layer, so the cvae gets
every architecture.

Label dropout (as classifier-free guidance trains one conditional generator, Ho & Salimans 2022):
a share of the training images is shown with no class (an all-zero one-hot), so the same model is
also a plain VAE. `encode(x)`, `decode(z)` and `sample(n)` without labels give that plain VAE, and a
page that knows nothing of classes can use the model as it uses any VAE.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from aecore.models.base import Labels, ModelConfig
from aecore.models.registry import register_model
from aecore.models.vae import VAEConfig, VariationalAutoencoder

NO_CLASS = -1  # a label that gives no class: the all-zero one-hot


@dataclass
class CVAEConfig(VAEConfig):
    num_classes: int = field(default=10, metadata={  # length of the one-hot: the labels are 0 .. num_classes - 1
        "help": "How many classes the labels name (10 for digits): the length of the one-hot vector that "
                "tells the encoder and the decoder each image's class."})
    label_dropout: float = field(default=0.1, metadata={  # share of training images shown without their class
        "help": "The share of training images shown without their class, so that the same model also "
                "encodes, decodes and samples when no class is given (a plain VAE)."})

    def __post_init__(self) -> None:
        super().__post_init__()
        if int(self.num_classes) != self.num_classes or self.num_classes < 2:
            raise ValueError(f"num_classes must be an integer of at least 2, got {self.num_classes}")
        self.num_classes = int(self.num_classes)
        if not 0 <= self.label_dropout < 1:
            raise ValueError(f"label_dropout must be in [0, 1), got {self.label_dropout}")


def _first_layer(net: nn.Sequential) -> int:
    """Position of the first linear or convolutional layer: where the class vector is added."""
    for position, layer in enumerate(net):
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            return position
    raise ValueError("a conditional model needs networks that begin with a linear or convolutional layer")


def _width(layer: nn.Module) -> int:
    return layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels


@register_model("cvae")
class ConditionalVAE(VariationalAutoencoder):
    config_class = CVAEConfig  # type: ignore[assignment]
    config: CVAEConfig
    conditional = True

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        self._encoder_first, self._decoder_first = _first_layer(self.encoder), _first_layer(self.decoder)
        classes = self.config.num_classes
        # The one-hot's weights of each first layer (no bias: the layer has its own).
        self.encoder_label = nn.Linear(classes, _width(self.encoder[self._encoder_first]), bias=False)
        self.decoder_label = nn.Linear(classes, _width(self.decoder[self._decoder_first]), bias=False)

    def one_hot(self, labels: Labels, batch: int, device: torch.device) -> torch.Tensor:
        """(batch, num_classes) float one-hot of `labels`: a tensor (batch,), one int for all, or None;
        NO_CLASS (-1) or None gives the all-zero row. Raises ValueError for a label out of range."""
        classes = self.config.num_classes
        if labels is None:
            return torch.zeros(batch, classes, device=device)
        y = torch.as_tensor(labels, device=device).long().flatten()
        y = y.expand(batch) if y.numel() == 1 else y
        if y.shape != (batch,):
            raise ValueError(f"got {y.numel()} labels for {batch} images; give one label per image, or one for all")
        if len(y) and (int(y.min()) < NO_CLASS or int(y.max()) >= classes):
            raise ValueError(f"labels must be classes 0 to {classes - 1} (or {NO_CLASS} for none); "
                             f"got {int(y.min())} to {int(y.max())}")
        return torch.zeros(batch, classes + 1, device=device).scatter_(1, (y + 1)[:, None], 1.0)[:, 1:]

    def check_labels(self, labels: torch.Tensor | None, what: str) -> None:
        if labels is None:
            raise ValueError(f"{what} have no labels, and a conditional VAE (kind 'cvae') learns each image's "
                             "class beside it: train it on a labelled dataset, or pick another kind")
        if len(labels) and int(labels.max()) >= self.config.num_classes:
            raise ValueError(f"{what} have labels up to {int(labels.max())}, but this model takes "
                             f"{self.config.num_classes} classes: set num_classes to {int(labels.max()) + 1}")

    def _with_class(self, net: nn.Sequential, first: int, label_layer: nn.Linear, h: torch.Tensor,
                    labels: Labels) -> torch.Tensor:
        h = net[: first + 1](h)  # (B, width) or (B, width, H', W')
        shift = label_layer(self.one_hot(labels, len(h), h.device))  # (B, width)
        return net[first + 1:](h + shift.view(*shift.shape, *[1] * (h.dim() - 2)))

    def encoder_features(self, x: torch.Tensor, labels: Labels = None) -> torch.Tensor:
        return self._with_class(self.encoder, self._encoder_first, self.encoder_label, x, labels)

    def decoder_logits(self, z: torch.Tensor, labels: Labels = None) -> torch.Tensor:
        return self._with_class(self.decoder, self._decoder_first, self.decoder_label, z, labels)

    def loss(self, x: torch.Tensor, labels: Labels = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if self.training and labels is not None and self.config.label_dropout > 0:
            y = torch.as_tensor(labels, device=x.device).long().flatten().expand(len(x))
            # Drawn from torch's global generator, which fit seeds, so runs repeat.
            hidden = torch.rand(len(x), device=x.device) < self.config.label_dropout
            labels = y.masked_fill(hidden, NO_CLASS)
        return super().loss(x, labels)
