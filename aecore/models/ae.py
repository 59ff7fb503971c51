"""The undercomplete ("vanilla") autoencoder: a code smaller than the input is its only constraint.

Hinton & Salakhutdinov, "Reducing the dimensionality of data with neural networks", Science 2006.
"""

from __future__ import annotations

from aecore.models.base import Autoencoder
from aecore.models.registry import register_model


@register_model("ae")
class PlainAutoencoder(Autoencoder):
    """Minimises the reconstruction term alone; everything it needs is in the base class."""
