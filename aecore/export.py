"""A model's decoder as ONNX, so a browser (ONNX Runtime Web) can decode codes with no server.

    data = decoder_onnx(model)                       # bytes of an ONNX graph z (B, d) -> image (B, C, H, W)
    path = export_decoder(model, "decoder.onnx")     # the same, written atomically to a file
    path = cached_decoder(model)                     # exported once per weights, kept on disk

The graph is exactly `model.decode`: the decoder network, then the sigmoid, so its output is the
image in [0, 1] that PyTorch draws. Every kind decodes the same way (a VAE decodes its z), so every
registered kind and architecture exports alike. Exporting uses torch's `torch.export`-based exporter
(`dynamo=True`): about 2 s per model on these cores, 8 s the first time in a process, so an app runs
it in a worker and keeps the result in `cache_root()`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import warnings
from pathlib import Path

import torch
from torch import nn

from aecore.files import write_atomically
from aecore.models import Autoencoder, model_from_config

ONNX_NAME = "decoder.onnx"  # the file written beside a checkpoint (`aecore.save(..., export_decoder=True)`)
INPUT_NAME, OUTPUT_NAME = "z", "image"
OPSET = 20  # ONNX Runtime Web 1.31 runs it; the exporter's own default at torch 2.14
CACHE_ENV = "AECORE_ONNX_CACHE"
CACHE_VERSION = 1  # bump when the exported graph changes, so old cached files are not reused
MAX_BATCH = 65_536


class _Decode(nn.Module):
    """`Autoencoder.decode` without its shape check: decoder, then sigmoid."""

    def __init__(self, decoder: nn.Module) -> None:
        super().__init__()
        self.decoder = decoder

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z))


def onnx_available() -> bool:
    """Whether onnx and onnxscript (torch.onnx's exporter needs both) are installed: the app's extras,
    not the core install's."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("onnx", "onnxscript"))


def decoder_onnx(model: Autoencoder) -> bytes:
    """The model's decoder as the bytes of an ONNX model: input "z" (B, latent_dim) float32, output
    "image" (B, C, H, W) float32 in [0, 1], any batch size B."""
    try:  # what torch.onnx's exporter imports; extras (`aecore[app]`), not core dependencies
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as error:
        raise ImportError("exporting the decoder as ONNX needs onnx and onnxscript, which the core install "
                          "leaves out; install them with: pip install 'aecore[app]' (or save without it: "
                          "export_decoder=False, `aecore train --no-onnx`)") from error
    # A copy on the CPU in eval mode: the model may be shared by other sessions, whose mode must not
    # change under them, and the exporter traces whatever mode it is given.
    decode = _Decode(copy.deepcopy(model.decoder).cpu()).eval()
    example = torch.zeros(2, model.config.latent_dim)
    batch = torch.export.Dim("batch", min=1, max=MAX_BATCH)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's chatter about its own internals
        program = torch.onnx.export(decode, (example,), dynamo=True, opset_version=OPSET, verbose=False,
                                    input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                                    dynamic_shapes=({0: batch},), optimize=True)
    return program.model_proto.SerializeToString()


def export_decoder(model: Autoencoder, path: str | os.PathLike) -> Path:
    """Write `decoder_onnx(model)` to `path` atomically (a crash leaves no half file); return the path."""
    return write_atomically(path, decoder_onnx(model), mode=0o644)


def cache_root() -> Path:
    """Where exported decoders are kept: $AECORE_ONNX_CACHE, else `onnx` beside the dataset folder
    (`aecore.data.default_data_root()`, e.g. ~/.cache/aecore/onnx), never inside the zoo, whose size
    is capped."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    from aecore.data import default_data_root

    return default_data_root().parent / "onnx"


def weights_digest(model: Autoencoder) -> str:
    """A short hash of the decoder's config and weights: the cache file's name changes with them."""
    digest = hashlib.blake2b(digest_size=12)
    digest.update(json.dumps({**model.config.to_dict(), "kind": model.kind, "v": CACHE_VERSION},
                             sort_keys=True).encode())
    for name, tensor in model.decoder.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def cached_path(model: Autoencoder, root: str | os.PathLike | None = None) -> Path:
    """Where `cached_decoder` keeps this model's export (it may not exist yet)."""
    return Path(root or cache_root()) / f"{model.kind}-{model.config.arch}-{weights_digest(model)}.onnx"


def cached_decoder(model: Autoencoder, root: str | os.PathLike | None = None) -> Path:
    """The model's exported decoder on disk, exported now if this exact model has none yet."""
    path = cached_path(model, root)
    return path if path.is_file() else export_decoder(model, path)


def export_job(config: dict, state: dict[str, torch.Tensor], root: str | None = None) -> str:
    """`cached_decoder` for a worker process (`aecore.workers.JobQueue.submit`): the model travels as
    its config and weights; returns the file's path."""
    torch.set_num_threads(1)
    model = model_from_config(config)
    model.load_state_dict(state)
    return str(cached_decoder(model, root))
