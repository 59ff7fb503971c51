"""Checkpoints: a folder (or a .zip of one) holding `config.json` and `model.safetensors`.

config.json names the model's kind and every option, so `load` rebuilds the model through the
registry and then fills in the weights. Nothing is ever unpickled: a checkpoint is data, never code,
so loading one a stranger uploaded is safe. Saving is atomic: a crash mid-save leaves the previous
checkpoint at that path untouched.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import safetensors.torch
import torch

from aecore.files import fsync_file, replace_folder, write_atomically
from aecore.limits import MAX_UPLOAD_BYTES
from aecore.models import Autoencoder, model_from_config

FORMAT = "aecore-checkpoint"
FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
# The largest total uncompressed size a checkpoint archive may claim: far above any model this app
# trains, far below what would exhaust memory (the zip-bomb guard).
MAX_UNCOMPRESSED_BYTES = 512 * 1024**2

PathLike = str | os.PathLike
Source = PathLike | bytes | bytearray | memoryview | BinaryIO


class CheckpointError(ValueError):
    """A file or folder that cannot be loaded as an aecore checkpoint; the message says why."""


# --- saving -------------------------------------------------------------------------------------
def checkpoint_config(model: Autoencoder, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """The config.json contents for `model`: its config under "model", plus dataset, metrics, the
    remaining metadata and the format version. Raises ValueError if metadata is not plain JSON."""
    from aecore import __version__  # lazily: aecore/__init__ imports this module

    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError(f"metadata must be a dict, got {type(metadata).__name__}")
    rest = dict(metadata or {})
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "aecore_version": __version__,
        # The kind from the class (its registry key), which is what `load` rebuilds.
        "model": {**model.config.to_dict(), "kind": model.kind},
        "dataset": rest.pop("dataset", None),
        "metrics": rest.pop("metrics", {}),
        "metadata": rest,
    }
    config = _non_finite_to_none(config)
    try:
        json.dumps(config, allow_nan=False)  # strict JSON, so any JSON reader can open the file
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"checkpoint metadata must be plain JSON (str, int, float, bool, None, lists, dicts with "
            f"str keys); convert tensors and arrays with .item() or .tolist() first ({error})"
        ) from error
    return config


def _non_finite_to_none(value: Any) -> Any:
    # A diverged run's metrics are NaN; they are saved as null rather than refusing to save.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _non_finite_to_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_non_finite_to_none(v) for v in value]
    return value


def _state_tensors(model: Autoencoder, dtype: torch.dtype | None = None) -> dict[str, torch.Tensor]:
    def stored(t: torch.Tensor) -> torch.Tensor:
        t = t.detach().cpu()
        return (t.to(dtype) if dtype is not None and t.is_floating_point() else t).contiguous()

    return {name: stored(t) for name, t in model.state_dict().items()}


def _config_bytes(config: dict[str, Any]) -> bytes:
    return (json.dumps(config, indent=2, allow_nan=False) + "\n").encode("utf-8")


def _zip_bytes(model: Autoencoder, metadata: dict[str, Any] | None, folder: str, export_decoder: bool = False) -> bytes:
    config = checkpoint_config(model, metadata)
    weights = safetensors.torch.save(_state_tensors(model))
    buffer = io.BytesIO()
    # One folder inside the archive, so unzipping never scatters files into the current directory.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}/{CONFIG_NAME}", _config_bytes(config))
        archive.writestr(f"{folder}/{WEIGHTS_NAME}", weights)
        if export_decoder:
            archive.writestr(f"{folder}/{_onnx_name()}", _decoder_onnx(model))
    return buffer.getvalue()


def _onnx_name() -> str:
    from aecore.export import ONNX_NAME  # lazily: the exporter imports onnxscript, seconds of import

    return ONNX_NAME


def _decoder_onnx(model: Autoencoder) -> bytes:
    from aecore.export import decoder_onnx

    return decoder_onnx(model)


def to_zip_bytes(model: Autoencoder, metadata: dict[str, Any] | None = None, export_decoder: bool = False) -> bytes:
    """The checkpoint as the bytes of a .zip archive (for a download button); `load` reads them back.
    export_decoder: also hold `decoder.onnx`, as `save` writes it."""
    return _zip_bytes(model, metadata, folder=f"aecore-{model.kind}", export_decoder=export_decoder)


def save(model: Autoencoder, path: PathLike, metadata: dict[str, Any] | None = None,
         dtype: torch.dtype | None = None, export_decoder: bool = False) -> Path:
    """Write a checkpoint folder at `path`, or a zip archive if `path` ends in ".zip"; return the path.

    metadata: plain JSON; its "dataset" and "metrics" entries get their own keys in config.json.
    dtype: store the floating-point weights as this type (torch.float16 halves a shipped model;
    `load` casts them back to the model's float32), in a folder checkpoint.
    export_decoder: also write the decoder as ONNX (`decoder.onnx`, see `aecore.export`) beside the
    weights, for a browser to decode with; `load` ignores it. About 2 s more (8 s the first time).
    An existing checkpoint at `path` is replaced atomically; any other existing file or folder
    there is left alone and ValueError is raised.
    """
    path = Path(path)
    _make_parent(path)
    if path.suffix.lower() == ".zip":
        if path.is_dir():
            raise ValueError(f"{path} is a folder; choose another name for the .zip checkpoint")
        write_atomically(path, _zip_bytes(model, metadata, folder=path.stem, export_decoder=export_decoder))
        return path
    config = checkpoint_config(model, metadata)  # validate before touching the disk
    _check_replaceable(path)
    temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        (temporary / CONFIG_NAME).write_bytes(_config_bytes(config))
        safetensors.torch.save_file(_state_tensors(model, dtype), str(temporary / WEIGHTS_NAME))
        names = [CONFIG_NAME, WEIGHTS_NAME]
        if export_decoder:
            names.append(_onnx_name())
            (temporary / names[-1]).write_bytes(_decoder_onnx(model))
        for name in names:
            fsync_file(temporary / name)
        replace_folder(temporary, path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return path


def _make_parent(path: Path) -> None:
    # mkdir alone raises FileExistsError or NotADirectoryError, which name neither the culprit nor a fix.
    blocking = next((parent for parent in path.parents if parent.exists() and not parent.is_dir()), None)
    if blocking is not None:
        raise ValueError(f"cannot save a checkpoint at {path}: {blocking} is a file, not a folder; "
                         "choose a path inside an existing folder or a new one")
    path.parent.mkdir(parents=True, exist_ok=True)


def _check_replaceable(path: Path) -> None:
    # Replacing a folder deletes it, so only ever replace one that holds a checkpoint (or nothing).
    if path.is_file():
        raise ValueError(f"{path} is a file; choose another path for the checkpoint folder")
    if path.is_dir() and any(path.iterdir()) and not (path / CONFIG_NAME).is_file():
        raise ValueError(f"{path} is a folder that is not an aecore checkpoint; choose a new path "
                         "(saving would replace the folder and everything in it)")


# --- loading ------------------------------------------------------------------------------------
def load(source: Source, device: str | torch.device = "cpu") -> Autoencoder:
    """Rebuild a model from a checkpoint folder, a .zip of one, or the zip's bytes or file object.

    Returns the model in eval mode on `device`, with config.json's contents (dataset, metrics,
    metadata, aecore_version...) as `model.checkpoint`. Raises CheckpointError (a ValueError)
    saying what is wrong with anything that is not a valid checkpoint.
    """
    where, raw_config, weights = _read_source(source)
    config = _parse_config(raw_config, where)
    try:
        model = model_from_config(config["model"])
    except (ValueError, TypeError) as error:
        raise CheckpointError(f"{where}: config.json describes a model aecore cannot build: {error}") from error
    _load_weights(model, _read_weights(weights, where), where)
    model.to(device).eval()
    model.checkpoint = config
    return model


def _read_source(source: Source) -> tuple[str, bytes, bytes | Path]:
    """(description for messages, config.json bytes, weights as bytes or a file path)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        _check_upload_size(len(data), "the uploaded checkpoint")
        return _read_zip(io.BytesIO(data), "the uploaded checkpoint")
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        where = f"checkpoint {name}" if name else "the uploaded checkpoint"
        data = source.read(MAX_UPLOAD_BYTES + 1)  # one byte past the limit is enough to refuse it
        if not isinstance(data, bytes):
            raise CheckpointError("open the checkpoint file in binary mode ('rb')")
        _check_upload_size(len(data), where)
        return _read_zip(io.BytesIO(data), where)
    path = Path(source)
    if not path.exists():
        raise CheckpointError(f"no checkpoint at {path}: the path does not exist")
    if path.is_dir():
        if not (path / CONFIG_NAME).is_file():
            raise CheckpointError(f"{path} is not an aecore checkpoint: it has no {CONFIG_NAME}")
        if not (path / WEIGHTS_NAME).is_file():
            raise CheckpointError(f"{path} is an incomplete checkpoint: it has no {WEIGHTS_NAME}")
        return str(path), (path / CONFIG_NAME).read_bytes(), path / WEIGHTS_NAME
    with open(path, "rb") as file:
        return _read_zip(file, str(path))


def _check_upload_size(size: int, where: str) -> None:
    # Bytes and file objects are uploads: the app's one upload limit holds for them as for images.
    # A checkpoint on disk is the user's own, so a path is read whatever its size.
    if size > MAX_UPLOAD_BYTES:
        raise CheckpointError(f"{where} is over the {MAX_UPLOAD_BYTES // 2**20} MB upload limit (the zoo's "
                              "checkpoints are under 1 MB); load a larger one from disk with aecore.load(path)")


def _read_zip(file: BinaryIO, where: str) -> tuple[str, bytes, bytes]:
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
        raise CheckpointError(f"{where} is not an aecore checkpoint: expected a folder with {CONFIG_NAME} "
                              f"and {WEIGHTS_NAME}, or a .zip of one ({error})") from error
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        _check_members(members, where)
        by_path = {PurePosixPath(info.filename): info for info in members}
        root = _archive_root(list(by_path), where)
        if root / WEIGHTS_NAME not in by_path:
            raise CheckpointError(f"{where} is an incomplete checkpoint: it has no {WEIGHTS_NAME} next to {CONFIG_NAME}")
        try:
            return where, archive.read(by_path[root / CONFIG_NAME]), archive.read(by_path[root / WEIGHTS_NAME])
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError) as error:
            raise CheckpointError(f"{where}: the archive is corrupt or truncated ({error})") from error


def _check_members(members: list[zipfile.ZipInfo], where: str) -> None:
    for info in members:
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if not parts or parts[0] == "/" or ".." in parts or ":" in parts[0]:
            raise CheckpointError(f"{where} is unsafe: member {info.filename!r} points outside the archive")
    claimed = sum(info.file_size for info in members)
    if claimed > MAX_UNCOMPRESSED_BYTES:
        raise CheckpointError(f"{where} claims {claimed / 1024**2:.0f} MB uncompressed, more than the "
                              f"{MAX_UNCOMPRESSED_BYTES / 1024**2:.0f} MB a checkpoint may hold; refusing to read it")


def _archive_root(paths: list[PurePosixPath], where: str) -> PurePosixPath:
    # config.json at the top level, or inside exactly one folder (what zipping a folder gives).
    configs = [path for path in paths if path.name == CONFIG_NAME and len(path.parts) <= 2]
    if not configs:
        raise CheckpointError(f"{where} is not an aecore checkpoint: the archive has no {CONFIG_NAME} "
                              "at its top level or in a single folder")
    if len(configs) > 1:
        raise CheckpointError(f"{where} holds several {CONFIG_NAME} files ({', '.join(map(str, configs))}); "
                              "zip one checkpoint folder per archive")
    return configs[0].parent


def _parse_config(raw: bytes, where: str) -> dict[str, Any]:
    try:
        config = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{where}: {CONFIG_NAME} is not valid JSON ({error})") from error
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        found = config.get("format") if isinstance(config, dict) else type(config).__name__
        raise CheckpointError(f"{where} is not an aecore checkpoint: {CONFIG_NAME} has format {found!r}, "
                              f"expected {FORMAT!r}")
    version = config.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(f"{where} has checkpoint format_version {version!r}; this aecore reads up to "
                              f"{FORMAT_VERSION}: upgrade aecore to load it")
    if not isinstance(config.get("model"), dict):
        raise CheckpointError(f"{where}: {CONFIG_NAME} has no 'model' section describing the model")
    return config


def _read_weights(weights: bytes | Path, where: str) -> dict[str, torch.Tensor]:
    try:
        if isinstance(weights, bytes):
            return safetensors.torch.load(weights)
        return safetensors.torch.load_file(str(weights))
    # safetensors raises its own SafetensorError, but also ValueError, OSError or others depending
    # on where the file breaks; every one of them means the same thing here.
    except Exception as error:
        raise CheckpointError(f"{where}: weights file is corrupt or truncated ({error})") from error


def _load_weights(model: Autoencoder, state: dict[str, torch.Tensor], where: str) -> None:
    expected = model.state_dict()
    problems = [f"missing {name}" for name in expected if name not in state]
    problems += [f"unexpected {name}" for name in state if name not in expected]
    problems += [
        f"{name} is {tuple(state[name].shape)} in the weights but {tuple(tensor.shape)} per {CONFIG_NAME}"
        for name, tensor in expected.items() if name in state and state[name].shape != tensor.shape
    ]
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise CheckpointError(f"{where}: the weights do not match {CONFIG_NAME}: {shown}. "
                              "Was config.json edited, or taken from another checkpoint?")
    model.load_state_dict(state, strict=True)
