"""The autoencoder family. Each kind is one module that registers itself; importing them here is
the one line a new kind adds."""

from aecore.models import ae, contractive, denoising, hashing, resconv, sparse, vae  # noqa: F401  (registers the kinds, and resconv its architecture)
from aecore.models import autorec, denoising_autorec  # noqa: F401  (the ratings kinds: list_models("ratings"))
from aecore.models import cvae  # noqa: F401  (the conditional VAE: registers kind "cvae")
from aecore.models.arch import list_archs
from aecore.models.base import Autoencoder, AutoencoderOutput, ModelConfig
from aecore.models.registry import config_fields, create_model, default_arch, list_models, model_class, model_from_config, register_model

__all__ = [
    "Autoencoder", "AutoencoderOutput", "ModelConfig", "config_fields", "create_model", "default_arch", "list_archs",
    "list_models", "model_class", "model_from_config", "register_model",
]
