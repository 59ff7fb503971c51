"""The Train page under AppTest: the formula of the loss beside its live terms, a training run in the
job queue, a queued run, stop and failure (its form: `test_app_train_form.py`).

As docs/streamlit-notes.md notes, after `switch_page("pages/train.py")` each run executes the page alone; the job runs
in a worker process meanwhile, so a test waits on the job and then reruns the page.
"""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

import aecore
from aecore.limits import MAX_RUN_ENV, max_run_minutes
from aecore.runner import FitSettings, RunSpec
from aecore.workers import CANCELLED, DONE, FAILED, Job, JobQueue
from train_page import APP, TIMEOUT_S, WAIT_S, open_train_page, shows_concept
from ui import train_form, training
from ui.core import jobs, state
from ui.train_form import has_regularizer


def start_training(at: AppTest, epochs: int) -> Job:
    at.number_input(key=train_form.EPOCHS).set_value(epochs).run()
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


def test_two_epochs_of_digits_become_the_active_model_with_the_loss_terms_beside_the_formula():
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
    assert at.progress[0].value == 100 and at.progress[0].text == "Finished: 2 of 2 epochs"
    assert at.get("download_button")[0].label == "Download the model (.zip)"
    assert "this model" in at.table[0].value.columns
    # The formula of the loss trained, once, with the last epoch's value of its term beside it.
    assert shows_concept(at, "bottleneck") and len(at.latex) == 1
    last_epoch = job.result["snapshot"].train_history[-1]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["recon: ℒ_rec"] == f"{last_epoch['recon']:.4g}", metrics
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


def test_a_vae_run_shows_each_term_of_its_loss_live():
    at = open_train_page(tr_kind="vae", tr_vae_beta="2")
    job = start_training(at, epochs=5000)
    try:
        wait_until(lambda: job.touch() or (job.progress is not None and job.progress.detail.losses), "a batch's losses")
        at.run()
        metrics = {m.label: m.value for m in at.metric}
        assert shows_concept(at, "vae") and len(at.latex) == 1  # the run's block stands for the form's
        assert {"recon: ℒ_rec", "kl: KL", "total: ℒ, the total", "β (beta)"} <= set(metrics)
        assert metrics["β (beta)"] == "2" and float(metrics["kl: KL"]) >= 0
        # Another kind in the form: its formula appears too, without numbers, and the run's stays.
        at.selectbox(key=train_form.KIND).set_value("ae").run()
        assert shows_concept(at, "bottleneck") and shows_concept(at, "vae")
    finally:
        job.cancel()
    wait_until(lambda: job.finished, "the run to stop")


def test_a_queued_run_shows_its_place_and_leaves_the_queue_on_cancel():
    at = open_train_page()
    queue = jobs.job_queue()
    blocker = queue.submit(aecore.studies.jobs.train, digits_spec(epochs=10_000), name="another student's run")
    try:
        wait_until(lambda: blocker.touch() or blocker.state == "running", "the other run to start")
        job = start_training(at, epochs=2)
        assert job.state == "queued" and job.position == 1
        assert "next in line" in at.info[0].value
        at.button(key="train_cancel").click().run()
        assert job.finished  # at once: the run ahead of it still trains
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
        wait_until(lambda: job.touch() or (job.progress is not None and job.progress.detail.batches_done > 0), "some batches")
        at.button(key="train_cancel").click().run()
        finish(at, job)
    finally:
        job.cancel()  # never leave a worker training when the test fails
    result = at.session_state[training.RESULT_KEY]
    epochs_run = len(result.snapshot.train_history)
    assert result.stopped and epochs_run < 5000
    # Half-trained weights are offered, not made active without a word.
    assert at.session_state[state.MODEL_KEY].source == "pretrained"
    assert f"Stopped at epoch {epochs_run} of 5000" in at.warning[0].value
    # The bar shows how far it got, not a full bar.
    assert at.progress[0].text == f"Stopped at epoch {epochs_run} of 5000"
    assert at.progress[0].value < 100 and at.progress[0].value == int(100 * result.snapshot.fraction)
    at.button(key="train_adopt").click().run()
    assert at.session_state[state.MODEL_KEY].name == result.name and "(stopped)" in result.name


def test_a_run_stopped_while_the_user_is_elsewhere_is_offered_with_a_word(queue):
    """The router collects a run that ended while another page was open (app.py's collect_finished):
    a stopped one stays out of use, and a toast on that page says so."""
    job = queue.submit(aecore.studies.jobs.train, digits_spec(epochs=5000))
    try:
        wait_until(lambda: job.touch() or (job.progress is not None and job.progress.detail.batches_done > 0), "some batches")
    finally:
        job.cancel()
    wait_until(lambda: job.finished, "the run to stop")
    assert job.state == CANCELLED and job.result["stopped"]
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.session_state[jobs.JOBS_KEY] = {training.PURPOSE: job}
    at.run()  # app.py around Home
    assert not at.exception, at.exception
    assert at.title[0].value == "Autoencoder Explorer"
    assert at.session_state[state.MODEL_KEY].source == "pretrained"
    epochs_run = len(job.result["snapshot"].train_history)
    assert any(f"Stopped at epoch {epochs_run} of 5000" in toast.value and "not in use" in toast.value
               for toast in at.toast), [toast.value for toast in at.toast]


def test_a_diverged_run_shows_its_message(queue):
    at = open_train_page()
    # The widgets cap the learning rate well below what diverges, so put a diverging job in place.
    job = queue.submit(aecore.studies.jobs.train, digits_spec(epochs=5, lr=1e6))
    wait_until(lambda: job.finished, "the diverging run")
    assert job.state == FAILED
    at.session_state[jobs.JOBS_KEY] = {training.PURPOSE: job}
    at.run()
    assert not at.exception, at.exception
    assert "training diverged" in at.error[0].value and "Lower the learning rate" in at.error[0].value
    assert state.MODEL_KEY not in at.session_state or at.session_state[state.MODEL_KEY].source != "trained"
    assert not at.get("download_button")


def test_chart_has_a_panel_with_train_and_validation_curves_per_named_term():
    snap = aecore.studies.jobs.train(digits_spec(kind="vae", epochs=2))["snapshot"]
    figure = training.loss_figure(snap)
    assert [a.text for a in figure.layout.annotations] == ["recon", "kl", "total"]  # one panel per term
    assert [(t.name, t.xaxis) for t in figure.data] == [
        (split, axis) for axis in ("x", "x2", "x3") for split in ("train", "validation")]
    assert all(len(trace.y) == 2 for trace in figure.data)
    # A plain autoencoder's total is its recon term: drawn once.
    ae = aecore.studies.jobs.train(digits_spec(epochs=1))["snapshot"]
    assert [a.text for a in training.loss_figure(ae).layout.annotations] == ["recon"]
    # Test images over their reconstructions: two rows of 10 tiles of 8x8 pixels scaled by 7.
    assert training.preview_image(snap).shape == (2 * (56 + 2) + 2, 10 * (56 + 2) + 2, 3)
    rows = training.comparison_rows(snap.metrics, snap.pca)
    assert [row["metric"].split()[0] for row in rows] == ["mse", "psnr", "bce"]
    # Beside the formula: each term's last epoch mean, then the weight the formula multiplies it by.
    live = training.live_terms(snap, "vae", {"beta": 1.0})
    assert [number.label for number in live] == ["recon: ℒ_rec", "kl: KL", "total: ℒ, the total", "β (beta)"]
    assert live[1].value == f"{snap.train_history[-1]['kl']:.4g}" and live[3].value == "1"


def test_each_kind_trains_the_loss_of_its_concept():
    assert {kind: training.concept_key(kind, {}) for kind in aecore.list_models()} == {
        "ae": "bottleneck", "contractive": "contractive", "cvae": "vae", "denoising": "denoising", "hashing": "hashing",
        "sparse": "sparse_l1", "vae": "vae"}
    assert training.concept_key("sparse", {"penalty": "kl"}) == "sparse_kl"
    assert [kind for kind in aecore.list_models() if has_regularizer(kind)] == ["contractive", "cvae", "hashing", "sparse", "vae"]


def test_the_sidebar_shows_the_sessions_unfinished_job_on_every_page(queue):
    job = queue.submit(aecore.studies.jobs.train, digits_spec(epochs=10_000), name="training ae mlp 8-D")
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


def test_the_loss_chart_draws_from_the_first_epoch():
    """During epoch 2 each curve is one point: drawn as a line alone it left the chart empty."""
    from types import SimpleNamespace

    one_epoch = SimpleNamespace(train_history=[{"recon": 80.0, "kl": 4.0, "total": 84.0}],
                                val_history=[{"recon": 82.0, "kl": 4.1, "total": 86.1}])
    figure = training.loss_figure(one_epoch)
    assert len(figure.data) == 6  # recon, kl, total; train and validation each
    assert all(len(trace.y) == 1 and "markers" in trace.mode for trace in figure.data)



def test_a_run_past_the_servers_limit_stops_keeps_its_weights_and_says_why(monkeypatch):
    """One student's 5,000-epoch run must not hold a worker the class shares: the server's cap on one
    run's time stops it with the weights it reached, and the form and the toast say so."""
    monkeypatch.setenv(MAX_RUN_ENV, "0.02")  # 1.2 s
    capped = JobQueue(workers=1)  # its worker starts now, with the cap in its environment
    try:
        job = capped.submit(aecore.studies.jobs.train, digits_spec(epochs=5000))
        wait_until(lambda: job.touch() or job.finished, "the run to reach the server's limit")
    finally:
        capped.shutdown()
    assert job.state == DONE and job.result["stopped"] and job.result["capped_minutes"] == 0.02
    epochs_run = len(job.result["snapshot"].train_history)
    assert epochs_run < 5000
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.session_state[jobs.JOBS_KEY] = {training.PURPOSE: job}
    at.run()  # app.py around Home collects it, as it would after the user left the Train page
    assert not at.exception, at.exception
    assert at.session_state[state.MODEL_KEY].source == "pretrained"  # offered, not made active
    where = training.stopped_text(job.result["snapshot"])  # "Stopped at epoch 3 of 5000" (or "before epoch 1", on a busy machine)
    assert any(f"{where}, at this server's limit of 0.02 minutes per run" in toast.value
               for toast in at.toast), [toast.value for toast in at.toast]
    assert "This server stops a run after 0.02 minutes" in " ".join(c.value for c in open_train_page().caption)
    monkeypatch.setenv(MAX_RUN_ENV, "0")  # lifted, on a student's own machine: the form says nothing of it
    assert "stops a run" not in " ".join(c.value for c in open_train_page().caption)


@pytest.mark.parametrize(("setting", "minutes"), [(None, 20.0), ("45", 45.0), ("0", None), ("soon", 20.0)])
def test_the_servers_limit_on_one_run_is_its_owners_setting(setting, minutes, monkeypatch):
    if setting is None:
        monkeypatch.delenv(MAX_RUN_ENV, raising=False)
    else:
        monkeypatch.setenv(MAX_RUN_ENV, setting)
    assert max_run_minutes() == minutes  # the default for a shared server; 0 lifts it; nonsense keeps the default


def test_a_run_paused_for_another_sessions_job_says_so_and_then_goes_on():
    """A long run lends its worker to another session's Train after its turn: its page says it is
    paused and why, and the run goes on from its weights when the other one ends."""
    turns = JobQueue(workers=1, turn_seconds=0.5)
    try:
        long = turns.submit(aecore.studies.jobs.train, digits_spec(epochs=5000), group="a")
        wait_until(lambda: long.touch() or (long.progress is not None and long.progress.detail.batches_done > 0),
                   "the long run to train")
        other = turns.submit(aecore.studies.jobs.train, digits_spec(epochs=1), group="b")
        wait_until(lambda: long.touch() or other.touch() or long.paused, "the long run to pause")
        at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
        at.session_state[jobs.JOBS_KEY] = {training.PURPOSE: long}
        at.switch_page("pages/train.py").run()
        assert not at.exception, at.exception
        assert jobs.PAUSED_TEXT in [i.value for i in at.info]
        wait_until(lambda: long.touch() or other.touch() or other.finished, "the other run to finish in its stead")
        assert other.state == DONE
        done = long.progress.detail.batches_done
        wait_until(lambda: long.touch() or (not long.paused and long.progress.detail.batches_done > done),
                   "the long run to go on")
    finally:
        turns.shutdown()
