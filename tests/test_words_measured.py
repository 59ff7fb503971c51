"""The pages say where a shipped model's numbers were measured: stored with the model when the zoo was
built for an embedded dataset's model, on this machine's copy for a downloaded dataset's (whose maps
and results `aecore.studies.zoo.build_local_results` measures here), in the background while they are not.

A fake MNIST written by the test (never the real images) stands in for the download; one shipped 2-D
model of it is measured, another is not.
"""

from __future__ import annotations

import pytest
import streamlit as st

from aecore.studies import zoo
from conftest import open_page, wait_for_job
from fake_mirror import write_unpacked_mnist
from ui import features_view
from ui.core import jobs

MEASURED, UNMEASURED = "mnist-vae-2", "mnist-ae-2"
HERE = "measured on this machine's copy of mnist"


@pytest.fixture(scope="module")
def mnist_here(tmp_path_factory):
    base = tmp_path_factory.mktemp("words_measured")
    write_unpacked_mnist(base / "data")
    real_embed = zoo.embed
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AECORE_DATA", str(base / "data"))
        patch.setenv("AECORE_ZOO_CACHE", str(base / "zoo-results"))
        # UMAP compiles for seconds in a fresh process; what is tested here is the words, not the map.
        patch.setattr(zoo, "embed", lambda codes, method: real_embed(codes, "pca" if method == "umap" else method))
        assert zoo.build_local_results("mnist", only=[MEASURED]) == [MEASURED]
        st.cache_resource.clear()  # datasets and results are cached by name: read these, and let later tests read theirs
        st.cache_data.clear()
        yield
        st.cache_resource.clear()
        st.cache_data.clear()


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def test_features_of_an_embedded_datasets_model_were_stored_with_the_zoo():
    at = open_page("pages/features.py", model="digits-ae-8")
    assert "stored with the model when the zoo was built" in at.caption[0].value


def test_features_of_a_downloaded_datasets_model_were_measured_here(mnist_here):
    at = open_page("pages/features.py", model=MEASURED)
    assert at.caption[0].value.endswith(f"· {HERE}") and "zoo was built" not in captions(at)


def test_features_of_a_model_not_measured_here_yet_are_measured_in_the_background(mnist_here):
    at = open_page("pages/features.py", model=UNMEASURED)
    assert any(f"the probe of {UNMEASURED} (not measured on this machine's copy of mnist yet)" in i.value.lower()
               for i in at.info), [i.value for i in at.info]
    job = at.session_state[jobs.JOBS_KEY][features_view.PURPOSE]
    wait_for_job(job)
    assert job.state == jobs.DONE, job.error
    at.run()
    assert not at.exception, at.exception
    assert "measured in the background in" in at.caption[0].value and "zoo was built" not in captions(at)


def test_the_latent_map_of_a_downloaded_datasets_model_was_measured_here(mnist_here):
    at = open_page("pages/latent_map.py", model=MEASURED)
    assert at.radio[0].value == "raw"
    assert at.caption[0].value.endswith(f"2-D code ({HERE})") and "zoo was built" not in captions(at)


def test_load_and_home_say_the_zoos_errors_were_measured_on_its_builders_copy(mnist_here):
    load = open_page("pages/load.py", model=MEASURED)
    assert ("The errors were measured when the zoo was built, on its builders' copy of mnist; the other pages "
            "measure each model on this machine's copy.") in captions(load)
    assert "builders' copy" not in captions(open_page("pages/load.py", model="digits-ae-8"))
    assert "builders' copy" not in captions(open_page("pages/home.py"))  # digits: the same images everywhere

