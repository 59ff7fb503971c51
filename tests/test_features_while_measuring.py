"""Feature extraction on a fresh download while the zoo is measured: the page's own probe of a shipped
model leaves the pixels (10 to 20 s of a user's worker on MNIST) to the zoo's background job, which
scores them anyway. A fake MNIST written by the test stands in for the download; nothing is measured."""

from __future__ import annotations

import pytest

from conftest import open_page, wait_for_job
from fake_mirror import mnist_here
from ui import features_view
from ui.core import jobs

MODEL = "mnist-ae-2"


class _Owner:  # what a Job asks of its queue
    def position(self, job) -> int:
        return 0

    def cancel(self, job) -> None:
        pass


@pytest.fixture(scope="module")
def fresh_mnist(tmp_path_factory):
    with mnist_here(tmp_path_factory.mktemp("features_while_measuring")):
        yield


def test_while_the_zoo_measures_a_model_its_probe_leaves_the_pixels_to_it(fresh_mnist, monkeypatch):
    from aecore.workers import RUNNING, Job
    from ui.core import zoo_results

    measuring = Job(10_001, f"zoo maps of {MODEL}", _Owner(), background=True)
    measuring.state = RUNNING
    monkeypatch.setattr(zoo_results, "measuring", lambda dataset, name: measuring if name == MODEL else None)
    at = open_page("pages/features.py", model=MODEL)
    job = at.session_state[jobs.JOBS_KEY][features_view.PURPOSE]
    wait_for_job(job)
    assert job.state == jobs.DONE, job.error
    assert "pixels" not in job.result["scores"]  # the user's worker never scored them: the zoo's job does
    at.run()
    assert not at.exception, at.exception
    assert set(at.dataframe[0].value["representation"]) == {"autoencoder", "PCA"}
    assert any("come with the zoo's measuring of this model" in c.value for c in at.caption)
    assert at.metric[2].label == "Pixels" and at.metric[2].value == "…"


def test_without_a_measuring_under_way_the_probe_scores_the_pixels_itself(fresh_mnist):
    at = open_page("pages/features.py", model=MODEL)
    job = at.session_state[jobs.JOBS_KEY][features_view.PURPOSE]
    wait_for_job(job)
    assert job.state == jobs.DONE, job.error
    at.run()
    assert not at.exception, at.exception
    assert set(at.dataframe[0].value["representation"]) == {"autoencoder", "PCA", "pixels"}
