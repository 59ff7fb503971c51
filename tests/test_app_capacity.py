"""The Capacity page under AppTest: a link's query parameters restore its controls, its buttons run
the experiments in the job queue, and the charts and live numbers follow the controls."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from conftest import APPTEST_TIMEOUT_S, REPO_ROOT, figures, wait_for_job, widget

from ui import capacity_view as view
from ui.core import jobs

PAGE = str(REPO_ROOT / "pages" / "capacity.py")  # run alone, as AppTest does after switch_page (docs/streamlit-notes.md)


def open_with(**params: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=APPTEST_TIMEOUT_S)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def titles(at: AppTest) -> list[str]:
    return [f["layout"].get("title", {}).get("text", "") for f in figures(at)]


def train(at: AppTest, label: str, purpose: str) -> AppTest:
    widget(at.button, label).click().run()
    assert not at.exception, at.exception
    job = at.session_state[jobs.JOBS_KEY][purpose]
    wait_for_job(job, timeout=400)
    assert job.state == jobs.DONE, job.error
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_link_restores_every_control():
    at = open_with(cap_images="500", cap_width="128", cap_updates="600", cap_code="64")
    assert widget(at.select_slider, "Training images").value == 500
    assert widget(at.select_slider, "Hidden layer width").value == 128
    assert widget(at.select_slider, "Weight updates").value == 600
    assert widget(at.select_slider, "Code width k").value == 64
    prompts = " ".join(info.value for info in at.info)
    assert "500 images (128-wide layers, 600 updates)" in prompts and "64-D code" in prompts
    # The words and formula of both concepts are there before any run.
    assert any("Overfitting" in md.value for md in at.markdown) and len(at.latex) == 2


def test_train_shows_curves_and_live_gap_and_the_image_count_changes_them():
    at = train(open_with(cap_images="1437", cap_updates="600"), "Train", view.OVERFIT_PURPOSE)
    assert "Loss per epoch (BCE summed over 64 pixels, per image)" in titles(at)
    all_images = metrics(at)
    assert {"Gap at the last epoch", "Validation loss: lowest → last", "Early stopping would stop at"} <= set(all_images)
    curves = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("Loss per epoch"))
    assert [trace["name"] for trace in curves["data"]][:2] == ["training loss", "validation loss"]

    widget(at.select_slider, "Training images").set_value(200).run()
    assert not at.exception
    assert "Gap at the last epoch" not in metrics(at)  # these settings have not run yet: no stale numbers
    assert any("200 images" in info.value for info in at.info)
    at = train(at, "Train", view.OVERFIT_PURPOSE)
    few = metrics(at)
    gap = lambda values: float(values["Gap at the last epoch"].split()[0])  # noqa: E731
    assert gap(few) > 2 * gap(all_images)  # fewer images, wider gap

    # A second visit with the same settings opens on the kept result, with no training.
    again = open_with(cap_images="200", cap_updates="600")
    assert metrics(again)["Gap at the last epoch"] == few["Gap at the last epoch"]
    assert jobs.JOBS_KEY not in again.session_state or not again.session_state[jobs.JOBS_KEY]


def test_overcomplete_button_trains_three_models_and_shows_their_errors():
    at = train(open_with(cap_code="16"), "Train the three models", view.OVERCOMPLETE_PURPOSE)
    values = metrics(at)
    for name in ("plain AE", "sparse (L1)", "denoising"):
        digits, noise = (float(v) for v in values[f"{name}: MSE digits → noise"].split(" → "))
        assert 0 < digits < noise
    assert "What each 16-D model rebuilds" in titles(at)
    assert "Mean squared error per pixel (lower: rebuilt better)" in titles(at)


def test_presenter_mode_folds_the_secondary_controls():
    at = open_with(present="true", cap_width="32")
    assert [e.label for e in at.expander] == ["Model and training budget"]
    assert widget(at.select_slider, "Hidden layer width").value == 32  # still there, folded, still linked
