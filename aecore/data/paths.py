"""Where datasets live on disk. A leaf module (no aecore imports), so that the loaders, the downloader
and the shapes cache can all ask it without importing one another."""

from __future__ import annotations

import os
from pathlib import Path


def default_data_root() -> Path:
    """$AECORE_DATA if set, else $XDG_CACHE_HOME/aecore/datasets, else ~/.cache/aecore/datasets."""
    if os.environ.get("AECORE_DATA"):
        return Path(os.environ["AECORE_DATA"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "aecore" / "datasets"


__all__ = ["default_data_root"]
