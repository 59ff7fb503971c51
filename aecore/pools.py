"""How the queue's worker processes start (`aecore.workers.JobQueue`): how many, without re-running
a Streamlit server's app script, and a stand-in worker's head start."""

from __future__ import annotations

import importlib
import os
import sys
import types
from contextlib import contextmanager


def default_workers() -> int:
    """$AECORE_WORKERS if set, else one fewer than the cores (the server keeps one), at least one."""
    configured = os.environ.get("AECORE_WORKERS", "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise ValueError(f"AECORE_WORKERS must be a whole number of at least 1, got {configured!r}")
        return int(configured)
    return max(1, (os.cpu_count() or 1) - 1)


def stand_in_ready(module: str) -> None:
    """A stand-in worker's first task: start, and import the module of the jobs it will stand in for
    (the app's job catalogue loads scikit-learn and more: seconds a waiting student need not pay)."""
    importlib.import_module(module)


@contextmanager
def main_hidden(unless: bool = False):
    """Hide `__main__` while the pool may start a process (it does so inside `submit`).

    A spawned process first re-runs the parent's `__main__` file. In a Streamlit server that is the
    app script (Streamlit runs each page as `__main__` with the app's path), so every worker would
    run the whole app, with no browser, before its first job: seconds and hundreds of MB. Jobs are
    module-level functions of aecore, which a worker imports by name anyway; a function defined in
    `__main__` itself (`unless`) needs the real one.
    """
    main = sys.modules.get("__main__")
    if unless or main is None:
        yield
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main
