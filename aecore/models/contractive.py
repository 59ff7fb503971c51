"""Contractive autoencoder: the code should barely move when the input moves slightly.

Rifai et al., "Contractive auto-encoders: explicit invariance during feature extraction", ICML 2011:
penalty = weight * ||J_f(x)||_F^2, the squared Frobenius norm of the encoder's Jacobian dz/dx.

How it is computed: exactly, for any encoder (MLP or conv), as latent_dim vector-Jacobian products
(row j of J is the gradient of z_j), batched in one backward pass with `is_grads_batched`, with
`create_graph` so the penalty itself can be trained. Its cost grows with latent_dim: see
bench/bench_models.py for what it costs relative to the plain loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from aecore.models.arch import codes_each_image, list_archs
from aecore.models.base import Autoencoder, AutoencoderOutput, ModelConfig
from aecore.models.registry import register_model


@dataclass
class ContractiveConfig(ModelConfig):
    weight: float = field(default=0.01, metadata={  # multiplier of the Jacobian penalty in the total loss
        "help": "How much the contraction penalty counts against the reconstruction error (lambda). "
                "Larger: the code moves less when the image changes a little."})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.weight < 0:
            raise ValueError(f"contractive weight must be >= 0, got {self.weight}")
        if not codes_each_image(self.arch):  # see jacobian_penalty
            usable = [name for name in list_archs() if codes_each_image(name)]
            raise ValueError(f"the contractive penalty needs an encoder that codes each image on its own; {self.arch}'s "
                             f"batch norm ties each code to the rest of the batch in training: use arch "
                             f"{' or '.join(repr(name) for name in usable)}")


def jacobian_penalty(z: torch.Tensor, x: torch.Tensor, create_graph: bool = True) -> torch.Tensor:
    """Mean over the batch of ||dz_i/dx_i||_F^2, for codes z (B, k) computed from x (B, ...).

    Samples must be independent in the encoder (no batch norm), which holds for our architectures:
    then one vector-Jacobian product with cotangent e_j for every sample gives row j of every
    sample's Jacobian at once.
    """
    batch, k = z.shape
    cotangents = torch.eye(k, dtype=z.dtype, device=z.device).unsqueeze(1).expand(k, batch, k)  # (k, B, k)
    (rows,) = torch.autograd.grad(z, x, grad_outputs=cotangents, is_grads_batched=True, create_graph=create_graph)
    return rows.pow(2).flatten(2).sum(dim=(0, 2)).mean()  # rows: (k, B, C, H, W)


@register_model("contractive")
class ContractiveAutoencoder(Autoencoder):
    config_class = ContractiveConfig
    config: ContractiveConfig
    needs_input_grad = True

    def regularizer(self, x: torch.Tensor, output: AutoencoderOutput) -> dict[str, torch.Tensor]:
        training_graph = torch.is_grad_enabled()
        with torch.enable_grad():
            z = output.z
            if not (training_graph and x.requires_grad):
                # Called under no_grad (validation): the penalty still needs dz/dx, so rebuild z.
                x = x.detach().requires_grad_(True)
                z = self.encode(x)
            penalty = jacobian_penalty(z, x, create_graph=training_graph)
        return {"contractive": penalty if training_graph else penalty.detach()}

    def weights(self) -> dict[str, float]:
        return {"contractive": self.config.weight}
