"""Where a new session opens: the dataset its own browser chose last, else the server's default.

A choice belongs to the browser that made it. Choosing a dataset writes a cookie (`COOKIE`, a year
long) from the page, and a new session of that browser, on this server or a restarted one, opens on
it (`st.context.cookies` holds the cookies of a session's first request). Nothing a session does
changes what another browser opens on: with one file for the whole server, one student of ten who
switched to shapes once moved every session opened after, and every later start, onto shapes.

The server's default is its owner's setting: a small JSON file, `{"dataset": "mnist"}`, beside the
dataset cache (`default_data_root().parent / "app.json"`) or wherever $AECORE_APP_SETTINGS says
(tests point it at a temporary file). The app reads it once, at its first session, and never
writes it.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import streamlit as st

from aecore.data import default_data_root

SETTINGS_ENV = "AECORE_APP_SETTINGS"
COOKIE = "aecore_dataset"
_PENDING = "_settings_cookie_to_write"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,40}")  # what a dataset name looks like: safe in a cookie and in JS


def settings_path() -> Path:
    """$AECORE_APP_SETTINGS if set, else app.json beside the dataset cache."""
    configured = os.environ.get(SETTINGS_ENV, "").strip()
    return Path(configured).expanduser() if configured else default_data_root().parent / "app.json"


def read_settings(path: Path | None = None) -> dict[str, Any]:
    """The settings in the file now; {} when it is missing or unreadable (a damaged file must never
    stop the app)."""
    try:
        settings = json.loads((path or settings_path()).read_text())
    except (OSError, ValueError):
        return {}
    return settings if isinstance(settings, dict) else {}


@lru_cache(maxsize=8)
def _at_start(path: str) -> dict[str, Any]:
    return read_settings(Path(path))


def server_dataset() -> str | None:
    """The server owner's default dataset, as the settings file said at the first session, or None."""
    name = _at_start(str(settings_path())).get("dataset")
    return name if isinstance(name, str) else None


def browser_dataset() -> str | None:
    """The dataset this session's browser chose last (its cookie), or None."""
    name = st.context.cookies.get(COOKIE)
    return name if isinstance(name, str) and _NAME.fullmatch(name) else None


def remember_in_browser(name: str) -> None:
    """Have this browser remember `name` for its next sessions: `write_browser_memory`, which the
    sidebar calls on every run, writes the cookie from the page."""
    if _NAME.fullmatch(name):
        st.session_state[_PENDING] = name


def write_browser_memory() -> None:
    """Write the cookie a choice asked for (`remember_in_browser`), once: an invisible script."""
    name = st.session_state.pop(_PENDING, None)
    if name:
        st.html(f'<script>document.cookie = "{COOKIE}={name}; path=/; max-age=31536000; SameSite=Lax";</script>',
                unsafe_allow_javascript=True)


def forget_start() -> None:
    """Read the settings file again on next use, as a restarted server would (for tests)."""
    _at_start.cache_clear()
