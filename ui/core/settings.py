"""What the app remembers across server restarts: the last dataset chosen, in a small JSON file.

The file sits beside the dataset cache (`default_data_root().parent / "app.json"`), or wherever
$AECORE_APP_SETTINGS says (tests point it at a temporary file). A server reads it once, when its
first session opens, and opens every session on that dataset: sessions of one server (a classroom)
never move each other's app, while each choice is written for the next start.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from aecore.data import default_data_root
from aecore.files import write_atomically

SETTINGS_ENV = "AECORE_APP_SETTINGS"


def settings_path() -> Path:
    """$AECORE_APP_SETTINGS if set, else app.json beside the dataset cache."""
    configured = os.environ.get(SETTINGS_ENV, "").strip()
    return Path(configured).expanduser() if configured else default_data_root().parent / "app.json"


def read_settings(path: Path | None = None) -> dict[str, Any]:
    """The settings in the file now; {} when it is missing or unreadable (remembering is a
    convenience: a damaged file must never stop the app)."""
    try:
        settings = json.loads((path or settings_path()).read_text())
    except (OSError, ValueError):
        return {}
    return settings if isinstance(settings, dict) else {}


@lru_cache(maxsize=8)
def _at_start(path: str) -> dict[str, Any]:
    return read_settings(Path(path))


def remembered_dataset() -> str | None:
    """The dataset last chosen when this server first read the settings file, or None."""
    name = _at_start(str(settings_path())).get("dataset")
    return name if isinstance(name, str) else None


def remember_dataset(name: str) -> None:
    """Write `name` as the last dataset chosen, for the next server start. Atomic (a temporary file
    renamed into place), so a crash never leaves half a file; a disk that refuses is ignored."""
    path = settings_path()
    settings = {**read_settings(path), "dataset": name}
    try:
        write_atomically(path, json.dumps(settings, indent=2))
    except OSError:
        pass


def forget_start() -> None:
    """Read the settings file again on next use, as a restarted server would (for tests)."""
    _at_start.cache_clear()
