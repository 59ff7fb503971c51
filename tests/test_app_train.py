"""The Train page under AppTest: its generated form, a background training run, stop and failure.

Per STACK.md, after `switch_page("pages/train.py")` each run executes the page alone; the training
thread lives on between runs, so a test waits on the job and then reruns the page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import aecore
from aecore.jobs import FAILED, STOPPED, TrainingJob
from ui import state, training
from ui.train_form import label, option_fields

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 60  # the first run imports torch and loads the dataset
WAIT_S = 120  # a training run, on a CPU shared with other work


def open_train_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    return at


def widget_labels(at: AppTest) -> list[str]:
    widgets = [*at.selectbox, *at.number_input, *at.text_input, *at.checkbox]
    return [w.label for w in widgets]


def start_training(at: AppTest, epochs: int) -> TrainingJob:
    at.number_input(key="train_epochs_digits").set_value(epochs).run()
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at.session_state[training.JOB_KEY]


def finish(at: AppTest, job: TrainingJob) -> None:
    assert job.wait(WAIT_S), "the training job did not finish in time"
    at.run()  # the page adopts the finished model and reruns itself
    assert not at.exception, at.exception


def test_page_opens_with_the_digits_recipe():
    at = open_train_page()
    assert at.title[0].value == "Train a model"
    assert at.selectbox(key="train_dataset").value == "digits"
    assert list(at.selectbox(key="train_kind").options) == aecore.list_models()
    assert at.selectbox(key="train_kind").value == "ae"
    assert at.selectbox(key="train_arch_digits").value == "mlp"
    assert at.number_input(key="train_latent").value == 8
    assert at.number_input(key="train_epochs_digits").value == 100
    assert at.number_input(key="train_batch_digits").value == 64
    assert at.number_input(key="train_lr_digits").value == pytest.approx(0.002)
    assert training.JOB_KEY not in at.session_state


@pytest.mark.parametrize("kind", aecore.list_models())
def test_every_kind_shows_its_own_options(kind):
    at = open_train_page()
    at.selectbox(key="train_kind").set_value(kind).run()
    assert not at.exception, at.exception
    own, shared = option_fields(kind)
    labels = widget_labels(at)
    for field in own + shared:
        assert label(field.name) in labels, (field.name, labels)


def test_choosing_vae_shows_beta_and_sparse_its_penalty_choices():
    at = open_train_page()
    assert "Beta" not in widget_labels(at)
    at.selectbox(key="train_kind").set_value("vae").run()
    assert at.number_input(key="train_vae_beta").value == 1.0
    at.selectbox(key="train_kind").set_value("sparse").run()
    assert list(at.selectbox(key="train_sparse_penalty").options) == ["l1", "kl"]
    assert "Beta" not in widget_labels(at)


def test_shapes_starts_from_its_own_recipe():
    at = open_train_page()
    at.selectbox(key="train_dataset").set_value("shapes").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="train_arch_shapes").value == "conv"
    assert at.number_input(key="train_epochs_shapes").value == 20


def test_bad_layer_widths_are_refused_without_starting():
    at = open_train_page()
    at.text_input(key="train_ae_hidden").set_value("256, lots").run()
    at.button(key="train_start").click().run()
    assert "Hidden: give positive whole numbers" in at.error[0].value
    assert training.JOB_KEY not in at.session_state


def test_two_epochs_of_digits_become_the_active_model():
    at = open_train_page()
    before = state.DEFAULT_PRETRAINED["digits"]
    job = start_training(at, epochs=2)
    finish(at, job)
    active = at.session_state[state.MODEL_KEY]
    assert active.name == "trained: ae mlp 8-D #1" and active.name != before
    assert active.source == "trained" and active.dataset == "digits" and active.model is job.model
    assert active.metrics["mse"] == job.snapshot().metrics["mse"] and active.pca["k"] == 8
    assert "is now the active model" in at.success[0].value
    assert at.get("download_button")[0].label == "Download the model (.zip)"
    assert "this model" in at.table[0].value.columns
    # The download is a checkpoint the Load page can read back, with its metrics beside PCA's.
    checkpoint = aecore.load(at.session_state[training.RESULT_KEY].zip_bytes)
    assert checkpoint.checkpoint["dataset"] == "digits"
    assert checkpoint.checkpoint["metrics"]["pca"]["k"] == 8
    # A second run gets the next number and stays available by name.
    job = start_training(at, epochs=1)
    finish(at, job)
    assert at.session_state[state.MODEL_KEY].name == "trained: ae mlp 8-D #2"
    assert set(at.session_state[state.SESSION_MODELS_KEY]) >= {"trained: ae mlp 8-D #1", "trained: ae mlp 8-D #2"}


def test_stop_button_keeps_the_weights_so_far():
    at = open_train_page()
    job = start_training(at, epochs=5000)
    try:
        assert at.button(key="train_start").disabled  # one run at a time
        at.button(key="train_stop").click().run()
        finish(at, job)
    finally:
        job.stop()  # never leave a thread training when the test fails
    assert job.snapshot().state == STOPPED and len(job.snapshot().train_history) < 5000
    assert at.session_state[state.MODEL_KEY].model is job.model
    assert "stopped early" in at.success[0].value


def test_a_diverged_run_shows_its_message():
    at = open_train_page()
    # The widgets cap the learning rate well below what diverges, so put a diverging job in place.
    job = TrainingJob(aecore.load_dataset("digits"), "ae", epochs=5, lr=1e6, device="cpu", threads=1).start()
    assert job.wait(WAIT_S) and job.snapshot().state == FAILED
    at.session_state[training.JOB_KEY] = job
    at.run()
    assert not at.exception, at.exception
    assert "training diverged" in at.error[0].value and "Lower the learning rate" in at.error[0].value
    assert state.MODEL_KEY not in at.session_state or at.session_state[state.MODEL_KEY].source != "trained"
    assert not at.get("download_button")


def test_chart_has_a_panel_with_train_and_validation_curves_per_named_term():
    job = TrainingJob(aecore.load_dataset("digits"), "vae", epochs=2, batch_size=128, device="cpu", threads=1).start()
    assert job.wait(WAIT_S)
    snap = job.snapshot()
    figure = training.loss_figure(snap)
    assert [a.text for a in figure.layout.annotations] == ["recon", "kl", "total"]  # one panel per term
    assert [(t.name, t.xaxis) for t in figure.data] == [
        (split, axis) for axis in ("x", "x2", "x3") for split in ("train", "validation")]
    assert all(len(trace.y) == 2 for trace in figure.data)
    # A plain autoencoder's total is its recon term: drawn once.
    ae = TrainingJob(aecore.load_dataset("digits"), "ae", epochs=1, device="cpu", threads=1).start()
    assert ae.wait(WAIT_S)
    assert [a.text for a in training.loss_figure(ae.snapshot()).layout.annotations] == ["recon"]
    # Test images over their reconstructions: two rows of 10 tiles of 8x8 pixels scaled by 7.
    assert training.preview_image(snap).shape == (2 * (56 + 2) + 2, 10 * (56 + 2) + 2, 3)
    rows = training.comparison_rows(snap.metrics, snap.pca)
    assert [row["metric"].split()[0] for row in rows] == ["mse", "psnr", "bce"]
