"""The autoencoder every kind builds on: config, output contract, encode/decode and the loss skeleton.

A kind subclasses `Autoencoder` and overrides one or two hooks:
- `bottleneck(features, sample)`: turns encoder features into the code (the VAE samples here);
- `regularizer(x, output)`: its extra loss terms (sparsity, contraction, KL), unweighted;
- `weights()`: how each term enters the total;
- `corrupt_input(x)`: what the encoder sees during training (the denoising AE corrupts here);
- `encoder_features(x, labels)`, `decoder_logits(z, labels)`: where a conditional kind (the cvae)
  hands each image's class to its networks; the others ignore `labels`.
So no kind rewrites the loss. Every loss term is summed over pixels / code units and averaged over
the batch, so terms of different kinds can be charted side by side.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import ClassVar, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from aecore.models.arch import ARCHITECTURES, list_archs

LIKELIHOODS = ("bernoulli", "gaussian")


@dataclass
class ModelConfig:
    """Settings shared by every kind. Training settings (lr, epochs...) live with `fit`, not here."""

    kind: str = "ae"  # registry key; set by create_model
    arch: str = "mlp"  # "mlp", "conv" or "resconv" (aecore.models.arch, aecore.models.resconv)
    input_shape: tuple[int, int, int] = (1, 28, 28)  # (C, H, W) of the images
    latent_dim: int = 8  # size of the code z
    hidden: tuple[int, ...] = field(default=(256, 128), metadata={  # MLP layer widths, encoder side
        "help": "How many units each hidden layer of the MLP has, from the image towards the code; the "
                "decoder mirrors them. Wider layers can learn more but train slower."})
    channels: tuple[int, ...] = field(default=(32, 64), metadata={  # conv channels, one stride-2 layer each
        "help": "How many filters each convolutional layer has; each layer also halves the image's height "
                "and width. The decoder mirrors them."})
    # Reconstruction term: "bernoulli" = binary cross-entropy summed over pixels (images in [0, 1]
    # read as pixel probabilities); "gaussian" = squared error summed over pixels, the Gaussian
    # negative log-likelihood with variance 1/2 up to a constant.
    likelihood: str = field(default="bernoulli", metadata={
        "choices": LIKELIHOODS,
        "help": "How a reconstruction is scored: bernoulli reads each pixel as a probability of ink "
                "(binary cross-entropy), gaussian scores the squared difference. Both are summed over "
                "the pixels."})

    def __post_init__(self) -> None:
        self.input_shape = tuple(int(v) for v in self.input_shape)  # type: ignore[assignment]
        self.hidden = tuple(int(v) for v in self.hidden)
        self.channels = tuple(int(v) for v in self.channels)
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"unknown arch {self.arch!r}; valid archs: {', '.join(list_archs())}")
        if len(self.input_shape) != 3 or min(self.input_shape) < 1:
            raise ValueError(f"input_shape must be (C, H, W) with positive sizes, got {self.input_shape}")
        if int(self.latent_dim) != self.latent_dim or self.latent_dim < 1:
            raise ValueError(f"latent_dim must be an integer of at least 1, got {self.latent_dim}")
        self.latent_dim = int(self.latent_dim)
        if not self.hidden or min(self.hidden) < 1 or not self.channels or min(self.channels) < 1:
            raise ValueError("hidden and channels must be non-empty lists of positive widths")
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"unknown likelihood {self.likelihood!r}; valid: {', '.join(LIKELIHOODS)}")

    def to_dict(self) -> dict:
        """Plain JSON-ready values; `create_model(**config.to_dict())` rebuilds the model."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


@dataclass
class AutoencoderOutput:
    """What `model(x)` returns for every kind, so callers never ask which kind they have."""

    x_hat: torch.Tensor  # (B, C, H, W) reconstruction in [0, 1]
    z: torch.Tensor  # (B, latent_dim) code fed to the decoder
    logits: torch.Tensor  # (B, C, H, W) decoder output before the sigmoid
    mu: torch.Tensor | None = None  # (B, latent_dim) posterior mean, VAE only
    logvar: torch.Tensor | None = None  # (B, latent_dim) posterior log-variance, VAE only
    extras: dict[str, torch.Tensor] = field(default_factory=dict)


# Each image's class for a conditional kind: a tensor (B,) of class indices, one int for the whole
# batch, or None (no class given); unconditional kinds ignore it.
Labels = torch.Tensor | int | None

# Layers whose output depends on train/eval mode; `infer` refuses them in training mode.
_MODE_DEPENDENT = (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._NormBase)


def _concat_outputs(parts: list[AutoencoderOutput]) -> AutoencoderOutput:
    # Batches -> one output on the CPU; optional fields stay None when the kind has none.
    def cat(tensors: list[torch.Tensor | None]) -> torch.Tensor | None:
        return None if tensors[0] is None else torch.cat([t.cpu() for t in tensors])

    fields = {f.name: cat([getattr(p, f.name) for p in parts])
              for f in dataclasses.fields(AutoencoderOutput) if f.name != "extras"}
    extras = {name: cat([p.extras[name] for p in parts]) for name in parts[0].extras}
    return AutoencoderOutput(**fields, extras=extras)


def _label_batches(labels: Labels, batch_size: int) -> Iterator[Labels]:
    # The labels beside `_batches`' slices: a tensor is sliced alike, one class or none repeats.
    if not isinstance(labels, torch.Tensor):
        return itertools.repeat(labels)
    return (labels[i:i + int(batch_size)] for i in range(0, max(len(labels), 1), int(batch_size)))


class Autoencoder(nn.Module):
    """Undercomplete autoencoder: x -> encoder -> z -> decoder -> x_hat, trained to reconstruct x."""

    config_class: ClassVar[type[ModelConfig]] = ModelConfig
    kind: ClassVar[str] = "ae"
    # How many numbers per latent unit the encoder emits (the VAE emits mean and log-variance).
    code_multiplier: ClassVar[int] = 1
    # Whether the regularizer differentiates through the input (the contractive penalty does).
    needs_input_grad: ClassVar[bool] = False
    # Whether the networks take each image's class beside it (the cvae): fit then hands them the
    # training labels. Every kind accepts `labels=` in forward/encode/decode/loss; the others ignore it.
    conditional: ClassVar[bool] = False
    # Multiplies every regularizer term; fit() ramps it from 0 to 1 during warm-up (KL annealing).
    warmup_scale: float = 1.0

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        # Exactly the registered config class: a checkpoint is rebuilt through it, so any other
        # (even a subclass with extra fields) would save a model that cannot be loaded back.
        if type(config) is not self.config_class:
            raise TypeError(f"{type(self).__name__} takes a {self.config_class.__name__}, got {type(config).__name__}")
        # The class decides what the model is: a config built directly (`VAEConfig()`) keeps the
        # default kind "ae", and a checkpoint saved with that kind could not be loaded back.
        # A copy, so the caller's config object is never changed under them.
        self.config = config if config.kind == self.kind else dataclasses.replace(config, kind=self.kind)
        build = ARCHITECTURES[config.arch]
        self.encoder, self.decoder = build(config, config.latent_dim * self.code_multiplier)

    # --- hooks a kind overrides -------------------------------------------------------------
    def bottleneck(self, features: torch.Tensor, sample: bool) -> dict[str, torch.Tensor]:
        """Encoder features (B, code_width) -> {"z": code, ...}. `sample` is True in training."""
        return {"z": features}

    def regularizer(self, x: torch.Tensor, output: AutoencoderOutput) -> dict[str, torch.Tensor]:
        """Extra loss terms, unweighted, each averaged over the batch."""
        return {}

    def weights(self) -> dict[str, float]:
        """Multiplier of each regularizer term in the total loss."""
        return {}

    def corrupt_input(self, x: torch.Tensor) -> torch.Tensor:
        """What the encoder sees during training; the clean x is always the target."""
        return x

    def check_labels(self, labels: torch.Tensor | None, what: str) -> None:
        """Raise ValueError when a dataset's labels (N,) or None do not suit this kind (a conditional
        one needs a class for each image); `what` names the images in the message."""

    def encoder_features(self, x: torch.Tensor, labels: Labels = None) -> torch.Tensor:
        """Images (B, C, H, W) -> encoder features (B, code_width); a conditional kind adds the class."""
        return self.encoder(x)

    def decoder_logits(self, z: torch.Tensor, labels: Labels = None) -> torch.Tensor:
        """Codes (B, latent_dim) -> logits (B, C, H, W); a conditional kind adds the class."""
        return self.decoder(z)

    # --- the interface every kind shares ----------------------------------------------------
    def _run(self, x: torch.Tensor, sample: bool, labels: Labels = None) -> AutoencoderOutput:
        self._check_input(x)
        code = self.bottleneck(self.encoder_features(x, labels), sample)
        logits = self.decoder_logits(code["z"], labels)
        extras = {k: v for k, v in code.items() if k not in ("z", "mu", "logvar")}
        return AutoencoderOutput(
            x_hat=torch.sigmoid(logits), z=code["z"], logits=logits,
            mu=code.get("mu"), logvar=code.get("logvar"), extras=extras,
        )

    def forward(self, x: torch.Tensor, labels: Labels = None) -> AutoencoderOutput:
        return self._run(x, sample=self.training, labels=labels)

    def encode(self, x: torch.Tensor, labels: Labels = None) -> torch.Tensor:
        """Images (B, C, H, W) -> codes (B, latent_dim); deterministic (the VAE gives its mean).
        labels: each image's class (B,) or one class for all, for a conditional kind; others ignore them."""
        self._check_input(x)
        return self.bottleneck(self.encoder_features(x, labels), sample=False)["z"]

    def decode(self, z: torch.Tensor, labels: Labels = None) -> torch.Tensor:
        """Codes (B, latent_dim) -> images (B, C, H, W) in [0, 1] (labels: as for `encode`)."""
        if z.dim() != 2 or z.shape[1] != self.config.latent_dim:
            raise ValueError(f"decode expects codes shaped (B, {self.config.latent_dim}), got {tuple(z.shape)}")
        return torch.sigmoid(self.decoder_logits(z, labels))

    @torch.no_grad()
    def infer(self, x: torch.Tensor, batch_size: int = 512, labels: Labels = None) -> AutoencoderOutput:
        """Eval-mode outputs for images x (N, C, H, W), batch by batch, without gradients, on the CPU.

        Deterministic (a VAE gives its posterior mean, as `model(x)` does in eval mode), and the
        model's train/eval mode is never switched: models are shared between sessions and threads,
        so calling `.eval()` on one would change it under whoever else holds it. Our layers behave
        the same in both modes, so this is exact in either; a model holding a layer that does not
        (dropout, batch norm) must be in eval mode, else RuntimeError.
        """
        return _concat_outputs([self._run(batch, sample=False, labels=y)
                                for batch, y in zip(self._batches(x, batch_size), _label_batches(labels, batch_size))])

    @torch.no_grad()
    def infer_codes(self, x: torch.Tensor, batch_size: int = 512, labels: Labels = None) -> torch.Tensor:
        """The codes (N, latent_dim) `infer` gives, without running the decoder (half the work), on the CPU."""
        return torch.cat([self.encode(batch, y).cpu()
                          for batch, y in zip(self._batches(x, batch_size), _label_batches(labels, batch_size))])

    def _batches(self, x: torch.Tensor, batch_size: int) -> list[torch.Tensor]:
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"batch_size must be an integer of at least 1, got {batch_size}")
        self._check_input(x)
        if self.training and any(isinstance(m, _MODE_DEPENDENT) for m in self.modules()):
            raise RuntimeError("this model has dropout or batch norm and is in training mode; call "
                               "infer on a model in eval mode (as `aecore.load` returns it)")
        device, size = next(self.parameters()).device, int(batch_size)
        starts = range(0, max(len(x), 1), size)  # an empty x still runs once, giving empty outputs
        return [x[i:i + size].to(device) for i in starts]

    def reconstruction_loss(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of x under the decoder, summed over pixels, mean over batch."""
        if self.config.likelihood == "bernoulli":
            per_pixel = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
        else:
            per_pixel = (torch.sigmoid(logits) - x) ** 2
        return per_pixel.flatten(1).sum(1).mean()

    def loss(self, x: torch.Tensor, labels: Labels = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """(total, logs): total = recon + warmup_scale * sum(weight * term); logs holds each term
        unweighted and detached, plus "total". labels: the batch's classes, for a conditional kind."""
        x_in = self.corrupt_input(x) if self.training else x
        if self.needs_input_grad:
            x_in = x_in.detach().requires_grad_(True)
        output = self._run(x_in, sample=True, labels=labels)
        terms = {"recon": self.reconstruction_loss(output.logits, x), **self.regularizer(x_in, output)}
        weights = self.weights()
        total = terms["recon"] + sum(
            self.warmup_scale * weights.get(name, 1.0) * value for name, value in terms.items() if name != "recon"
        )
        logs = {name: value.detach() for name, value in terms.items()}
        logs["total"] = total.detach()
        return total, logs

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 4 or tuple(x.shape[1:]) != self.config.input_shape:
            raise ValueError(
                f"this model takes images shaped (B, {', '.join(map(str, self.config.input_shape))}), "
                f"got {tuple(x.shape)}"
            )

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}, arch={self.config.arch!r}, latent_dim={self.config.latent_dim}"
