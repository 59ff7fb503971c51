"""The model registry: `@register_model("name")` on a class makes it buildable by `create_model`.

The app's forms, the checkpoints and the tests find kinds here; nothing else names them.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, TypeVar

from aecore.models.base import Autoencoder, ModelConfig

_MODELS: dict[str, type[Autoencoder]] = {}
M = TypeVar("M", bound=type[Autoencoder])


def register_model(name: str) -> Callable[[M], M]:
    """Class decorator: register an Autoencoder subclass under a lowercase key."""
    if name != name.lower():
        raise ValueError(f"model keys are lowercase, got {name!r}")

    def wrap(cls: M) -> M:
        if name in _MODELS:
            raise ValueError(f"model kind {name!r} is already registered by {_MODELS[name].__name__}")
        cls.kind = name
        _MODELS[name] = cls
        return cls

    return wrap


def list_models(data: str = "images") -> list[str]:
    """Registered model kinds of `data`, sorted: "images" (what every image page, form and
    registry-wide test takes), or "ratings" (rows of a ratings table: the recommenders of
    aecore.models.autorec, which set the class attribute `data`)."""
    return sorted(name for name, cls in _MODELS.items() if getattr(cls, "data", "images") == data)


def model_class(kind: str) -> type[Autoencoder]:
    if kind not in _MODELS:
        raise ValueError(f"unknown model kind {kind!r}; valid kinds: {', '.join(sorted(_MODELS))}")
    return _MODELS[kind]


def config_fields(kind: str) -> list[dataclasses.Field]:
    """The fields of a kind's config (name, type, default): what the app's training form shows.

    A text field with a fixed set of valid values lists them in `field.metadata["choices"]`."""
    return [f for f in dataclasses.fields(model_class(kind).config_class) if f.name != "kind"]


# From this side up (28x28: MNIST, Fashion-MNIST; CIFAR's 32x32) the conv net is the default: on
# 8,000 MNIST images, 20 epochs of fit's defaults at a 16-D code, the recipes' conv net reaches a
# held-out MSE of 0.0128 where the 256-128 MLP stops at 0.0195 (PCA-16: 0.0262). Below it (the 8x8 digits) the MLP is the recipes' net:
# two stride-2 layers leave a 2x2 grid with too little room for filters to pay.
CONV_FROM_SIDE = 28


def default_arch(input_shape: tuple[int, int, int], options: dict[str, Any] | None = None) -> str:
    """The architecture `create_model` picks when none is named: the one the recipes use for images of
    that size (see CONV_FROM_SIDE). Options that belong to one architecture (`hidden` for the MLP,
    `channels` for the conv net) pick that one."""
    options = options or {}
    if "hidden" in options and "channels" not in options:
        return "mlp"
    if "channels" in options and "hidden" not in options:
        return "conv"
    sides = tuple(input_shape)[1:]
    return "conv" if len(sides) == 2 and min(int(s) for s in sides) >= CONV_FROM_SIDE else "mlp"


def create_model(
    kind: str,
    arch: str | None = None,
    input_shape: tuple[int, int, int] = (1, 28, 28),
    latent_dim: int = 8,
    **options: Any,
) -> Autoencoder:
    """Build a model of a registered kind, e.g. `create_model("vae", arch="conv", beta=4.0)`.

    arch: "mlp", "conv" or "resconv"; None picks the recipes' net for the image size (`default_arch`:
    the conv net from 28x28 up, the MLP below).
    Raises ValueError for an unknown kind, arch or option, or an invalid value.
    """
    cls = model_class(kind)
    valid = {f.name for f in config_fields(kind)}
    unknown = sorted(set(options) - valid)
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for kind {kind!r}; valid options: {', '.join(sorted(valid))}")
    if arch is None:
        arch = default_arch(input_shape, options)
    config = cls.config_class(kind=kind, arch=arch, input_shape=tuple(input_shape), latent_dim=latent_dim, **options)
    return cls(config)


def model_from_config(config: ModelConfig | dict[str, Any]) -> Autoencoder:
    """Rebuild a model (fresh weights) from its config or the config's `to_dict()`."""
    values = config.to_dict() if isinstance(config, ModelConfig) else dict(config)
    if "kind" not in values:
        raise ValueError("a model config must name its 'kind'")
    return create_model(**values)
