"""Atomic writes: a crash, a full disk or a second process mid-write never leaves half a file (or half
a checkpoint folder) where a reader looks. The new content is written beside the target, flushed to
disk and renamed over it, and a rename within one folder is atomic."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

PathLike = str | os.PathLike


def write_atomically(path: PathLike, data: bytes | str, mode: int | None = None) -> Path:
    """Replace the file at `path` with `data` (str is written as UTF-8), all or nothing; return the path.

    mode: the file's permission bits (the temporary file is private, 0o600, until then); pass 0o644
    for files shipped in the repository or shared between the users of one server.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
            file.flush()
            os.fsync(file.fileno())  # so a power cut after the rename cannot leave an empty file
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def fsync_file(path: PathLike) -> None:
    """Flush a file written by another library (safetensors) to disk before it is renamed into place."""
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def replace_folder(new: PathLike, path: PathLike) -> None:
    """Put the folder `new` at `path`, replacing any folder there; if that fails, the old one stays."""
    new, path = Path(new), Path(path)
    if not path.exists():
        os.replace(new, path)
        return
    # Two renames, not one: a folder cannot be renamed over a non-empty one.
    old = path.with_name(f".{path.name}.old-{uuid.uuid4().hex[:8]}")
    os.replace(path, old)
    try:
        os.replace(new, path)
    except BaseException:
        os.replace(old, path)  # put the previous folder back
        raise
    shutil.rmtree(old, ignore_errors=True)


__all__ = ["fsync_file", "replace_folder", "write_atomically"]
