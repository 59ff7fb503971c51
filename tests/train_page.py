"""What the Train page's AppTest tests share: opening the page as a link opens it, and reading it."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.core.concepts import CONCEPTS

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 60  # the first run imports torch and loads the dataset
WAIT_S = 120  # a training run, on a CPU shared with other work


def open_train_page(**params: str) -> AppTest:
    """The page as a link with `params` in its URL opens it."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    return at


def widget_labels(at: AppTest) -> list[str]:
    widgets = [*at.selectbox, *at.number_input, *at.text_input, *at.checkbox]
    return [w.label for w in widgets]


def shows_concept(at: AppTest, key: str) -> bool:
    """Whether the concept's formula is drawn (`ui.core.concepts.explain`)."""
    return any(CONCEPTS[key].formula in latex.value for latex in at.latex)

