"""The app's limits: one upload limit for every kind of upload (images and checkpoints), and one
training run's time on a shared server.

`.streamlit/config.toml` sets Streamlit's `server.maxUploadSize` to MAX_UPLOAD_MB, so the uploader
refuses what aecore would refuse anyway, and every uploader's help text states this number.
"""

from __future__ import annotations

import os

# Far above any PNG/JPEG a student draws or photographs, and over 25 times the zoo's largest
# checkpoint (under 1 MB zipped); far below what would strain a server shared by a class.
MAX_UPLOAD_MB: int = 20
MAX_UPLOAD_BYTES: int = MAX_UPLOAD_MB * 2**20  # Streamlit counts a megabyte as 2**20 bytes too

# One training run's wall-clock cap on a server shared by a class: one student's 10,000-epoch run
# must not hold a worker for days while everyone behind it waits. The run stops at the cap and keeps
# the weights it reached (as a Stop does). The server's owner sets it with $AECORE_MAX_RUN_MINUTES;
# 0 lifts it (a student's own machine).
MAX_RUN_ENV = "AECORE_MAX_RUN_MINUTES"
DEFAULT_MAX_RUN_MINUTES: float = 20.0


def max_run_minutes() -> float | None:
    """This server's cap on one training run, in minutes; None when lifted (0). A value that is not a
    number falls back to the default."""
    try:
        minutes = float(os.environ.get(MAX_RUN_ENV, DEFAULT_MAX_RUN_MINUTES))
    except ValueError:
        minutes = DEFAULT_MAX_RUN_MINUTES
    return minutes if minutes > 0 else None
