"""One upload limit everywhere: Streamlit's uploader, aecore's own checks, and what every uploader's
help text tells the user all come from `aecore.limits`."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

import aecore
from aecore import checkpoint
from aecore.studies import lab
from aecore.limits import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB

ROOT = Path(__file__).resolve().parent.parent
UPLOAD_PAGES = ["pages/anomaly.py", "pages/denoise.py", "pages/load.py", "pages/recommend.py", "pages/search.py"]


def uploader_calls(source: str) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr == "file_uploader"]


def test_streamlit_config_allows_exactly_the_limit_aecore_enforces():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    assert MAX_UPLOAD_BYTES == MAX_UPLOAD_MB * 2**20  # Streamlit's megabyte is 2**20 bytes
    assert lab.MAX_UPLOAD_BYTES is checkpoint.MAX_UPLOAD_BYTES is MAX_UPLOAD_BYTES


def test_every_page_with_an_uploader_is_checked():
    found = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "pages").glob("*.py")
                   if uploader_calls(path.read_text()))
    assert found == UPLOAD_PAGES


@pytest.mark.parametrize("page", UPLOAD_PAGES)
def test_every_uploader_states_the_limit(page):
    source = (ROOT / page).read_text()
    namespace = {"MAX_UPLOAD_MB": MAX_UPLOAD_MB}
    for call in uploader_calls(source):
        label = ast.literal_eval(call.args[0])
        assert "any size" not in label.lower()
        help_text = next(k.value for k in call.keywords if k.arg == "help")
        # The help is an f-string over MAX_UPLOAD_MB: evaluate it as the page would.
        shown = eval(compile(ast.Expression(help_text), page, "eval"), namespace)  # noqa: S307 (our own source)
        assert f"{MAX_UPLOAD_MB} MB" in shown


def test_the_zoo_checkpoints_fit_the_limit():
    # What a user uploads again is what the app's download button wrote: a zip of float32 weights.
    largest = max(len(checkpoint.to_zip_bytes(aecore.load_pretrained(e["name"]))) for e in aecore.list_pretrained())
    assert largest < MAX_UPLOAD_BYTES / 2


def test_an_image_over_the_limit_is_refused_with_the_limit_named():
    with pytest.raises(ValueError, match=f"over the {MAX_UPLOAD_MB} MB limit"):
        lab.image_from_bytes(b"\0" * (MAX_UPLOAD_BYTES + 1), (1, 8, 8))
