"""What the app says of a downloaded dataset fits the data: no description states a count that a copy
on disk may contradict (the official release's size is said as such), Home counts the images on disk,
and where a mirror ($AECORE_DATA_MIRROR) is set every source the user is sent to is the mirror.

A fake MNIST written by the test (never the real images) stands in for a copy smaller than the
official one; a closed port stands in for a mirror that does not answer.
"""

from __future__ import annotations

import re

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import aecore
from aecore.data import DatasetNotAvailableError, download
from conftest import open_page, wait_for_job
from fake_mirror import closed_port_url, write_unpacked_mnist
from ui.core import jobs, settings
from ui.core.downloads import purpose
from ui.home_view import count_note

OFFICIAL = download.DATASETS["mnist"].base_url
A_COUNT = re.compile(r"\d{1,3},\d{3}|\d{4,}")  # 70,000 or 70000


def sidebar_only() -> None:
    from ui.sidebar import draw_sidebar

    draw_sidebar()


@pytest.fixture
def empty_data(tmp_path, monkeypatch):
    """No dataset downloaded, and a settings file that remembers nothing (the app opens on digits)."""
    monkeypatch.setenv("AECORE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv(settings.SETTINGS_ENV, str(tmp_path / "app.json"))
    settings.forget_start()
    yield tmp_path / "data"
    settings.forget_start()


def panel_text(at: AppTest) -> str:
    return "\n".join([m.value for m in at.sidebar.markdown] + [c.value for c in at.sidebar.caption]
                     + [e.value for e in at.sidebar.error])


def choose(name: str) -> AppTest:
    at = AppTest.from_function(sidebar_only, default_timeout=120).run()
    at.sidebar.selectbox[0].set_value(name).run()
    assert not at.exception, at.exception
    return at


def test_no_description_states_a_count_and_the_official_size_is_labelled() -> None:
    for spec in download.DATASETS.values():
        assert not A_COUNT.search(spec.description), spec.description
        train, test = spec.official_images
        assert spec.official_note == f"The official release has {train:,} training and {test:,} test images."


def test_the_download_panel_names_the_official_site_and_its_size(empty_data, monkeypatch) -> None:
    monkeypatch.delenv(download.MIRROR_ENV, raising=False)
    text = panel_text(choose("mnist"))
    assert "MNIST: handwritten digits" in text and "70,000" not in text
    assert "The official release has 60,000 training and 10,000 test images." in text
    assert f"11 MB to download from {OFFICIAL}" in text and str(empty_data / "MNIST" / "raw") in text


def test_with_a_mirror_the_panel_names_the_mirror_and_no_official_size(empty_data, monkeypatch) -> None:
    mirror = closed_port_url()
    monkeypatch.setenv(download.MIRROR_ENV, mirror)
    text = panel_text(choose("mnist"))
    assert f"Downloaded from the mirror {mirror}" in text and OFFICIAL not in text and "11 MB" not in text
    assert "The official release has 60,000" in text  # said as the official release's, not this copy's


def test_a_failed_download_from_a_mirror_sends_the_user_to_the_mirror(empty_data, monkeypatch) -> None:
    mirror = closed_port_url()
    monkeypatch.setenv(download.MIRROR_ENV, mirror)
    at = choose("kmnist")
    at.sidebar.button(key="download_kmnist").click().run()
    job = at.session_state[jobs.JOBS_KEY][purpose("kmnist")]
    wait_for_job(job)
    assert job.state == jobs.FAILED
    at.run()
    [error] = at.sidebar.error
    assert f"They are available from {mirror} (the mirror set in {download.MIRROR_ENV})" in error.value
    assert "once the mirror answers" in error.value and "codh.rois.ac.jp" not in error.value
    assert error.value.count("$") < 2  # markdown would turn the text between two "$" into math


def test_every_message_names_the_source_in_use(empty_data, monkeypatch) -> None:
    monkeypatch.delenv(download.MIRROR_ENV, raising=False)
    with pytest.raises(DatasetNotAvailableError) as official:
        aecore.load_dataset("mnist", download=False)
    assert f"They are available from {OFFICIAL}." in str(official.value) and "connect to the internet" in str(official.value)
    mirror = closed_port_url()
    monkeypatch.setenv(download.MIRROR_ENV, mirror)
    with pytest.raises(DatasetNotAvailableError) as missing:
        aecore.load_dataset("mnist", download=False)  # the loader's message, with the mirror from the environment
    with pytest.raises(DatasetNotAvailableError) as failed:
        download.download_dataset("cifar10")
    for message in (str(missing.value), str(failed.value)):
        assert mirror in message and "the mirror set in AECORE_DATA_MIRROR" in message, message
        assert OFFICIAL not in message and "toronto.edu" not in message
    assert f"from {mirror}cifar-10-python.tar.gz" in str(failed.value)
    assert download.source_url("cifar10", mirror="") == download.DATASETS["cifar10"].base_url  # "": official


@pytest.fixture
def small_mnist(tmp_path, monkeypatch):
    """A downloaded MNIST of 1,000 training images, as a mirror or a prefix copy may serve."""
    write_unpacked_mnist(tmp_path / "data", train=1000)
    monkeypatch.setenv("AECORE_DATA", str(tmp_path / "data"))
    st.cache_resource.clear()  # the datasets are cached by name: read this folder's, and let later tests read theirs
    st.cache_data.clear()
    yield tmp_path / "data"
    st.cache_resource.clear()
    st.cache_data.clear()


def test_home_counts_the_images_on_disk(small_mnist) -> None:
    at = open_page("pages/home.py", dataset="mnist")
    assert "Dataset: mnist" in [h.value for h in at.header]
    assert at.metric[0].label == "Images" and at.metric[0].value == "1,100"  # the training and test files
    captions = [c.value for c in at.caption]
    raw = small_mnist / "MNIST" / "raw"
    assert (f"1,000 training and 100 test images, counted in the files in `{raw}`: the official release has "
            "60,000 and 10,000.") in captions
    assert "70,000" not in "\n".join(captions + [m.value for m in at.markdown])
    zoo = next(c for c in captions if c.startswith("Each pretrained model's error"))
    assert "measured when the zoo was built, on its builders' copy of mnist" in zoo


def test_the_train_page_budgets_its_epochs_on_the_training_file(small_mnist) -> None:
    """The Train page's default run trains LIVE_SAMPLES images: epochs counted on the training file
    (1,000 here), not on the training file less the test file (which would train 11% more)."""
    from aecore.recipes import LIVE_SAMPLES

    at = open_page("pages/train.py", dataset="mnist")
    assert at.number_input(key="tr_epochs").value == -(-LIVE_SAMPLES // 1000)


def test_a_full_copy_is_said_to_match_and_embedded_sets_need_no_note() -> None:
    assert count_note("mnist", 60_000, 10_000).endswith(": as many as the official release.")
    assert count_note("cifar10", 50_000, 9_999).endswith(": the official release has 50,000 and 10,000.")
    assert count_note("digits", 1_437, 360) is None
