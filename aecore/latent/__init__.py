"""The latent space: codes of a dataset, 2-D maps of them, and paths through them.

    Z = encode_dataset(model, test)            # (N, d) numpy codes
    umap_map = project(Z, "umap").embedding_   # (N, 2), scikit-learn conventions
    umap_map = embed(Z, "umap")                # the same map alone (no transform), without pynndescent
    path = interpolate(z0, z1, 16, "slerp")    # (16, d), both ends included
    sweep = traverse(z, dim=3, values=np.linspace(-3, 3, 9))
"""

from aecore.latent.decode import MapInverse
from aecore.latent.paths import interpolate, traverse
from aecore.latent.projection import METHODS, PCAProjection, embed, encode_dataset, project, warm_up

__all__ = ["METHODS", "MapInverse", "PCAProjection", "embed", "encode_dataset", "interpolate", "project", "traverse", "warm_up"]
