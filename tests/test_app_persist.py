"""Controls keep their values when the user visits another page and comes back (`persist_state`):
the Train form, the denoise lab's noise, the interpolation path and the sampler."""

from __future__ import annotations

import pytest

from conftest import open_page, widget

# (page, widget kind as AppTest names it, label, a value other than the default)
KEPT = [
    ("pages/train.py", "number_input", "Epochs", 7),
    ("pages/train.py", "selectbox", "Model kind", "vae"),
    ("pages/denoise.py", "number_input", "Seed", 5),
    ("pages/denoise.py", "slider", "Images", 3),
    ("pages/interpolate.py", "slider", "Frames", 5),
    ("pages/interpolate.py", "radio", "Interpolation", "slerp"),
    ("pages/sample.py", "slider", "Temperature", 0.5),
    ("pages/sample.py", "number_input", "Seed", 4),
]


@pytest.mark.parametrize(("page", "kind", "label", "value"), KEPT, ids=[f"{p[6:-3]}-{l}" for p, _, l, _ in KEPT])
def test_a_control_is_as_left_after_another_page(page, kind, label, value) -> None:
    at = open_page(page)
    assert widget(at.get(kind), label).value != value
    widget(at.get(kind), label).set_value(value).run()
    at.switch_page("pages/home.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Autoencoder Explorer"  # really on another page
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert widget(at.get(kind), label).value == value
