"""The Train page under AppTest: its generated form, a training run in the job queue, stop and failure.

Per STACK.md, after `switch_page("pages/train.py")` each run executes the page alone; the job runs
in a worker process meanwhile, so a test waits on the job and then reruns the page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import time

import aecore
from aecore.run import FitSettings, RunSpec
from aecore.workers import CANCELLED, DONE, FAILED, Job, JobQueue
from ui.core import jobs, state
from ui import training
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


def start_training(at: AppTest, epochs: int) -> Job:
    at.number_input(key="train_epochs_digits").set_value(epochs).run()
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at.session_state[jobs.JOBS_KEY][training.PURPOSE]


def wait_until(condition, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def finish(at: AppTest, job: Job) -> None:
    wait_until(lambda: job.touch() or job.finished, "the training job to finish")
    at.run()  # the page takes the finished model and reruns itself
    assert not at.exception, at.exception


def digits_spec(**fit) -> RunSpec:
    return RunSpec(dataset="digits", kind=fit.pop("kind", "ae"), fit=FitSettings(device="cpu", **fit))


@pytest.fixture(scope="module")
def queue():
    q = JobQueue(workers=1)
    yield q
    q.shutdown()


def test_page_opens_with_the_digits_recipe():
    at = open_train_page()
    assert at.title[0].value == "Train a model"
    assert at.selectbox(key="train_dataset").value == "digits"
    assert list(at.selectbox(key="train_kind").options) == aecore.list_models()
    assert at.selectbox(key="train_kind").value == "ae"
    assert at.selectbox(key="train_arch_digits").value == "mlp"
    assert at.number_input(key="train_latent_digits").value == 8
    assert at.number_input(key="train_epochs_digits").value == 100
    assert at.number_input(key="train_batch_digits").value == 64
    assert at.number_input(key="train_lr_digits").value == pytest.approx(0.002)
    assert jobs.JOBS_KEY not in at.session_state or training.PURPOSE not in at.session_state[jobs.JOBS_KEY]


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
    assert jobs.JOBS_KEY not in at.session_state or training.PURPOSE not in at.session_state[jobs.JOBS_KEY]


def test_two_epochs_of_digits_become_the_active_model():
    at = open_train_page()
    before = state.DEFAULT_PRETRAINED["digits"]
    job = start_training(at, epochs=2)
    finish(at, job)
    assert job.state == DONE, job.error
    active = at.session_state[state.MODEL_KEY]
    assert active.name == "trained: ae mlp 8-D #1" and active.name != before
    assert active.source == "trained" and active.dataset == "digits"
    assert active.metrics["mse"] == job.result["snapshot"].metrics["mse"] and active.pca["k"] == 8
    assert "is now the active model" in at.success[0].value
    assert at.get("download_button")[0].label == "Download the model (.zip)"
    assert "this model" in at.table[0].value.columns
    # The download is a checkpoint the Load page can read back, with its metrics beside PCA's.
    checkpoint = aecore.load(at.session_state[training.RESULT_KEY].zip_bytes)
    assert checkpoint.checkpoint["dataset"] == "digits"
    assert checkpoint.checkpoint["metrics"]["pca"]["k"] == 8
    # The app's default recipe is the zoo's: the same spec, recorded as the same command.
    assert checkpoint.checkpoint["metadata"]["recipe"] == aecore.recipes.default_spec("digits").with_fit(epochs=2).command()
    # A second run gets the next number and stays available by name.
    job = start_training(at, epochs=1)
    finish(at, job)
    assert at.session_state[state.MODEL_KEY].name == "trained: ae mlp 8-D #2"
    assert set(at.session_state[state.SESSION_MODELS_KEY]) >= {"trained: ae mlp 8-D #1", "trained: ae mlp 8-D #2"}


def test_a_queued_run_shows_its_place_and_leaves_the_queue_on_cancel():
    at = open_train_page()
    queue = jobs.job_queue()
    blocker = queue.submit(aecore.jobs.train, digits_spec(epochs=10_000), name="another student's run")
    try:
        wait_until(lambda: blocker.touch() or blocker.state == "running", "the other run to start")
        job = start_training(at, epochs=2)
        assert job.state == "queued" and job.position == 1
        assert "next in line" in at.info[0].value
        at.button(key="train_cancel").click().run()
        wait_until(lambda: job.finished, "the cancel")
        at.run()
        assert job.state == CANCELLED and job.result is None
        assert "cancelled" in at.warning[0].value
        assert not at.button(key="train_start").disabled
    finally:
        blocker.cancel()
    wait_until(lambda: blocker.finished, "the other run to stop")


def test_stop_keeps_the_weights_so_far_and_offers_them():
    at = open_train_page()
    job = start_training(at, epochs=5000)
    try:
        assert at.button(key="train_start").disabled  # one run at a time
        wait_until(lambda: job.touch() or (job.progress is not None and job.progress.batches_done > 0), "some batches")
        at.button(key="train_cancel").click().run()
        finish(at, job)
    finally:
        job.cancel()  # never leave a worker training when the test fails
    result = at.session_state[training.RESULT_KEY]
    assert result.stopped and len(result.snapshot.train_history) < 5000
    # Half-trained weights are offered, not made active without a word.
    assert at.session_state[state.MODEL_KEY].source == "pretrained"
    assert "Stopped after" in at.warning[0].value
    at.button(key="train_adopt").click().run()
    assert at.session_state[state.MODEL_KEY].name == result.name and "(stopped)" in result.name


def test_a_diverged_run_shows_its_message(queue):
    at = open_train_page()
    # The widgets cap the learning rate well below what diverges, so put a diverging job in place.
    job = queue.submit(aecore.jobs.train, digits_spec(epochs=5, lr=1e6))
    wait_until(lambda: job.finished, "the diverging run")
    assert job.state == FAILED
    at.session_state[jobs.JOBS_KEY] = {training.PURPOSE: job}
    at.run()
    assert not at.exception, at.exception
    assert "training diverged" in at.error[0].value and "Lower the learning rate" in at.error[0].value
    assert state.MODEL_KEY not in at.session_state or at.session_state[state.MODEL_KEY].source != "trained"
    assert not at.get("download_button")


def test_chart_has_a_panel_with_train_and_validation_curves_per_named_term():
    snap = aecore.jobs.train(digits_spec(kind="vae", epochs=2))["snapshot"]
    figure = training.loss_figure(snap)
    assert [a.text for a in figure.layout.annotations] == ["recon", "kl", "total"]  # one panel per term
    assert [(t.name, t.xaxis) for t in figure.data] == [
        (split, axis) for axis in ("x", "x2", "x3") for split in ("train", "validation")]
    assert all(len(trace.y) == 2 for trace in figure.data)
    # A plain autoencoder's total is its recon term: drawn once.
    ae = aecore.jobs.train(digits_spec(epochs=1))["snapshot"]
    assert [a.text for a in training.loss_figure(ae).layout.annotations] == ["recon"]
    # Test images over their reconstructions: two rows of 10 tiles of 8x8 pixels scaled by 7.
    assert training.preview_image(snap).shape == (2 * (56 + 2) + 2, 10 * (56 + 2) + 2, 3)
    rows = training.comparison_rows(snap.metrics, snap.pca)
    assert [row["metric"].split()[0] for row in rows] == ["mse", "psnr", "bce"]


def test_the_sidebar_shows_the_sessions_unfinished_job_on_every_page(queue):
    job = queue.submit(aecore.jobs.train, digits_spec(epochs=10_000), name="training ae mlp 8-D")
    try:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
        at.session_state[jobs.JOBS_KEY] = {training.PURPOSE: job}
        at.run()  # app.py draws the sidebar around Home
        assert not at.exception, at.exception
        captions = [c.value for c in at.sidebar.caption]
        assert any("training ae mlp 8-D" in c and ("queued" in c or "running" in c) for c in captions), captions
    finally:
        job.cancel()
    wait_until(lambda: job.finished, "the run to stop")
