"""The app's dataset downloads under AppTest, from a mirror on 127.0.0.1 (never the internet):
choose MNIST in the sidebar, press Download, watch the progress, end with MNIST active; offline, a
clear message and the built-in datasets; the remembered dataset reopened after a restart; every
page that reads the active dataset working on a download with no pretrained model.

As docs/streamlit-notes.md notes, AppTest runs `app.py` only on its first run, so the sidebar is run here on its own
with the active dataset loaded after it (`sidebar_and_dataset`), as the router runs a page after it;
the pages themselves are opened on the downloaded dataset at the end. The download runs in a worker
of the job queue; the tests wait on the job's state, then rerun.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from aecore.data import download
from aecore.workers import DONE, FAILED, RUNNING
from conftest import open_page, wait_for_job
from fake_mirror import TRAIN, Mirror, closed_port_url, mirror_folder
from ui.core import jobs, settings, state
from ui.core.downloads import purpose

TIMEOUT_S = 120  # the first run imports torch; a worker process starts for the download


def sidebar_and_dataset() -> None:
    import streamlit as st

    from ui.core import state
    from ui.core.cache import load_dataset
    from ui.sidebar import draw_sidebar

    draw_sidebar()
    name = state.active_dataset_name()
    st.header(f"Dataset: {name}")
    st.metric("Images", f"{len(load_dataset(name)):,}")


def open_app() -> AppTest:
    at = AppTest.from_function(sidebar_and_dataset, default_timeout=TIMEOUT_S).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Path:
    return mirror_folder(tmp_path_factory.mktemp("mirror"))


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    """An empty data folder and a fresh settings file that remembers nothing, read as a newly
    started server reads it."""
    monkeypatch.setenv("AECORE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv(settings.SETTINGS_ENV, str(tmp_path / "app.json"))
    settings.forget_start()
    yield tmp_path / "data"
    settings.forget_start()


def wait_until(condition, what: str, timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def sidebar_text(at: AppTest) -> str:
    return "\n".join([m.value for m in at.sidebar.markdown] + [c.value for c in at.sidebar.caption])


def test_choose_mnist_download_it_and_it_becomes_active_and_remembered(data, served, monkeypatch) -> None:
    gate = threading.Event()
    with Mirror(served, gate=gate) as mirror:
        monkeypatch.setenv(download.MIRROR_ENV, mirror.url)
        at = open_app()
        picker = at.sidebar.selectbox[0]
        assert list(picker.options) == ["digits", "shapes", "mnist (download, 11 MB)", "fashion-mnist (download, 29 MB)",
                                        "kmnist (download, 20 MB)", "cifar10 (download, 163 MB)"]
        assert picker.value == "digits"

        picker.set_value("mnist").run()
        assert not at.exception, at.exception
        assert at.sidebar.selectbox[0].value == "mnist"
        assert at.session_state[state.DATASET_KEY] == "digits"  # nothing changes before the download
        assert "Dataset: digits" in [h.value for h in at.header]
        assert "MNIST: handwritten digits" in sidebar_text(at) and "The official release has 60,000" in sidebar_text(at)
        assert str(data / "MNIST" / "raw") in sidebar_text(at)

        at.sidebar.button(key="download_mnist").click().run()
        assert not at.exception, at.exception
        job = at.session_state[jobs.JOBS_KEY][purpose("mnist")]
        # The mirror holds the first file after its first chunk: the download is in progress until released.
        wait_until(lambda: job.touch() or (job.state == RUNNING and job.progress is not None), "the download to start")
        at.run()
        [bar] = at.sidebar.get("progress")
        assert "Downloading mnist" in bar.proto.text and at.session_state[state.DATASET_KEY] == "digits"
        gate.set()
        wait_for_job(job)
    assert job.state == DONE, job.error
    # A browser sends back the label it shows; AppTest would format the value again, now "mnist",
    # which the options it still holds from the last run do not list.
    at.sidebar.selectbox[0].set_value("mnist (download, 11 MB)")
    at.run()  # as the panel's poll does once the job has ended
    assert not at.exception, at.exception
    assert at.session_state[state.DATASET_KEY] == "mnist"
    assert at.sidebar.selectbox[0].value == "mnist" and "mnist" in at.sidebar.selectbox[0].options
    assert "Dataset: mnist" in [h.value for h in at.header]
    assert [m.value for m in at.metric][0] == f"{TRAIN:,}"
    assert not at.sidebar.get("progress") and not [b for b in at.sidebar.button if b.key.startswith("download_")]
    if not state.pretrained_names("mnist"):  # the zoo may still have no MNIST model: the sidebar says so
        assert "No model of **mnist** yet" in sidebar_text(at)
    # The choice is this browser's (a cookie the page writes), never the server's file.
    assert not settings.settings_path().exists()
    assert any(settings.COOKIE + "=mnist" in str(e.proto) for e in at.sidebar.get("html"))

    settings.forget_start()  # a restarted server: MNIST is here now, so a new browser opens on it
    assert open_app().session_state[state.DATASET_KEY] == "mnist"


def test_offline_the_app_says_what_to_put_where_and_keeps_digits(data, monkeypatch) -> None:
    monkeypatch.setenv(download.MIRROR_ENV, closed_port_url())
    at = open_app()
    at.sidebar.selectbox[0].set_value("fashion-mnist").run()
    at.sidebar.button(key="download_fashion-mnist").click().run()
    job = at.session_state[jobs.JOBS_KEY][purpose("fashion-mnist")]
    wait_for_job(job)
    assert job.state == FAILED
    at.run()
    assert not at.exception, at.exception
    [error] = at.sidebar.error
    raw = data / "FashionMNIST" / "raw"
    assert "fashion-mnist could not be downloaded (no network?" in error.value
    assert f"in the folder {raw}: train-images-idx3-ubyte, train-labels-idx1-ubyte" in error.value
    assert "**digits** and **shapes** work without any download" in error.value
    assert at.session_state[state.DATASET_KEY] == "digits" and "Dataset: digits" in [h.value for h in at.header]
    assert at.sidebar.button(key="download_fashion-mnist")  # try again
    at.sidebar.selectbox[0].set_value("shapes").run()  # and the built-in sets still work
    assert not at.exception and at.session_state[state.DATASET_KEY] == "shapes"


def test_with_nothing_remembered_the_app_opens_on_mnist_once_it_is_here(data, served) -> None:
    assert open_app().session_state[state.DATASET_KEY] == "digits"
    with Mirror(served) as mirror:
        download.download_dataset("mnist", mirror=mirror.url)  # as `python -m aecore download mnist` does
    assert open_app().session_state[state.DATASET_KEY] == "mnist"
    settings.settings_path().write_text(json.dumps({"dataset": "shapes"}))  # the server owner's default
    settings.forget_start()  # read at the next start, it wins over the download
    assert open_app().session_state[state.DATASET_KEY] == "shapes"


def test_a_browsers_own_choice_wins_and_moves_no_other_session(data, monkeypatch) -> None:
    settings.settings_path().write_text(json.dumps({"dataset": "shapes"}))
    settings.forget_start()
    chooser = open_app()
    assert chooser.session_state[state.DATASET_KEY] == "shapes"
    chooser.sidebar.selectbox[0].set_value("digits").run()
    assert chooser.session_state[state.DATASET_KEY] == "digits"
    assert open_app().session_state[state.DATASET_KEY] == "shapes"  # another browser: the server's default
    assert settings.read_settings() == {"dataset": "shapes"}  # which no session writes
    monkeypatch.setattr(settings, "browser_dataset", lambda: "digits")  # the chooser's next session
    assert open_app().session_state[state.DATASET_KEY] == "digits"


def test_a_remembered_dataset_that_is_gone_falls_back_to_digits(data) -> None:
    settings.settings_path().write_text(json.dumps({"dataset": "kmnist"}))
    at = open_app()
    assert at.session_state[state.DATASET_KEY] == "digits" and at.sidebar.selectbox[0].value == "digits"


@pytest.mark.parametrize("page", ["home", "denoise", "compression", "anomaly", "train", "load"])
def test_pages_that_read_the_dataset_work_on_mnist_without_a_pretrained_model(page, data, served) -> None:
    with Mirror(served) as mirror:
        download.download_dataset("mnist", mirror=mirror.url)
    at = open_page(f"pages/{page}.py", dataset="mnist")  # fails on an exception
    assert at.session_state[state.DATASET_KEY] == "mnist"
    text = "\n".join(e.value for e in [*at.markdown, *at.info, *at.caption, *at.header, *at.error])
    if page == "home":
        assert "Dataset: mnist" in [h.value for h in at.header]
    if page == "train":
        assert "Trains on **mnist**" in text
    if not state.pretrained_names("mnist") and page in ("denoise", "load"):
        assert "mnist" in text and ("No model fits" in text or "has no mnist model" in text), text
