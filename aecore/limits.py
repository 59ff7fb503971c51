"""The one upload limit of the app, for every kind of upload (images and checkpoints).

`.streamlit/config.toml` sets Streamlit's `server.maxUploadSize` to MAX_UPLOAD_MB, so the uploader
refuses what aecore would refuse anyway, and every uploader's help text states this number.
"""

from __future__ import annotations

# Far above any PNG/JPEG a student draws or photographs, and over 25 times the zoo's largest
# checkpoint (under 1 MB zipped); far below what would strain a server shared by a class.
MAX_UPLOAD_MB: int = 20
MAX_UPLOAD_BYTES: int = MAX_UPLOAD_MB * 2**20  # Streamlit counts a megabyte as 2**20 bytes too
