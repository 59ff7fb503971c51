"""The app measures the zoo's maps and page results of a downloaded dataset once, in the background,
with progress in the sidebar, and the Compression sweep and denoise curves of its shipped models;
afterwards the pages read them from the local cache.

A small fake MNIST (random images written here, never the real ones) and a one-model zoo built from
a cheap MNIST recipe, with the shipped sweep models, stand in for the download and the shipped zoo.
"""

from __future__ import annotations

import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest

import aecore
import aecore.studies.lab_curves
import aecore.studies.sweep_models
from aecore.studies import zoo
from conftest import APP, REPO_ROOT, figures, wait_for_jobs
from fake_mirror import write_unpacked_mnist
from ui.core import settings

NAME = "mnist-ae-32"


def sidebar_only() -> None:
    from ui.sidebar import draw_sidebar

    draw_sidebar()


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("zoo_results")
    write_unpacked_mnist(base / "data", seed=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AECORE_DATA", str(base / "data"))
        patch.setenv("AECORE_ZOO_CACHE", str(base / "unused"))
        zoo.build_zoo(out=base / "zoo", only=[NAME], log=None)
    shutil.copytree(aecore.studies.sweep_models.model_path("mnist", 2).parent, base / "zoo" / "sweeps" / "mnist")
    return base


@pytest.fixture
def app_env(folders, tmp_path, monkeypatch):
    monkeypatch.setenv("AECORE_DATA", str(folders / "data"))
    monkeypatch.setenv("AECORE_PRETRAINED", str(folders / "zoo"))
    monkeypatch.setenv("AECORE_ZOO_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "app.json"
    path.write_text(json.dumps({"dataset": "mnist"}))
    monkeypatch.setenv(settings.SETTINGS_ENV, str(path))
    settings.forget_start()
    yield
    settings.forget_start()


def sidebar_text(at: AppTest) -> str:
    return "\n".join([c.value for c in at.sidebar.caption] + [p.proto.text for p in at.sidebar.get("progress")])


def wait_for_all(held: list) -> None:
    wait_for_jobs(held, timeout=900)  # a state; the bound only catches a hang (UMAP compiles in a fresh worker)
    for job in held:
        assert job.state == "done", (job.name, job.error)


def test_the_zoo_maps_are_measured_once_in_the_background_with_progress(app_env, monkeypatch):
    from ui.core import zoo_results

    monkeypatch.setenv(zoo_results.MEASURE_ENV, "auto")
    assert aecore.pretrained.missing_results("mnist") == [NAME]
    at = AppTest.from_function(sidebar_only, default_timeout=120).run()
    assert not at.exception, at.exception
    held = zoo_results.jobs_for("mnist", start=False)  # queued by the first run, without any click
    # The sweep first (the Compression page has nothing to draw without it), the curves last.
    assert [job.name for job in held] == ["the compression sweep of mnist", f"zoo maps of {NAME}",
                                          "the denoise curves of mnist"]
    assert all(job.background for job in held)  # a student's job goes before them
    assert "Zoo maps of mnist" in sidebar_text(at) or "Measuring the zoo's maps" in sidebar_text(at)
    wait_for_all(held)
    sweep, job, curves = held
    assert sweep.result == ["compression sweep"] and curves.result == ["denoise curves"]
    assert job.result == [NAME] and aecore.pretrained.has_results(NAME)
    at.run()
    assert not at.exception, at.exception
    assert "Measuring the zoo's maps" not in sidebar_text(at)
    assert zoo_results.jobs_for("mnist") == []  # nothing left: no second job
    assert aecore.load_results(NAME)["anomaly"]["scores"].shape == (len(aecore.load_latent(NAME)["index"]),)


def test_manual_mode_offers_a_button_instead(app_env, monkeypatch):
    from ui.core import zoo_results

    monkeypatch.setenv(zoo_results.MEASURE_ENV, "manual")
    at = AppTest.from_function(sidebar_only, default_timeout=120).run()
    assert not at.exception, at.exception
    assert "have no maps or results measured here yet" in sidebar_text(at)
    at.sidebar.button(key="zoo_measure_mnist").click().run()
    wait_for_all(zoo_results.jobs_for("mnist", start=False))
    assert aecore.pretrained.has_results(NAME) and aecore.studies.sweep_models.is_measured("mnist")


def test_every_page_opens_without_an_exception_while_the_zoo_is_measured(app_env, monkeypatch):
    """A teacher opens page after page right after the download, while the background job measures."""
    from ui.core import zoo_results

    monkeypatch.setenv(zoo_results.MEASURE_ENV, "auto")
    at = AppTest.from_file(APP, default_timeout=300).run()
    assert not at.exception, at.exception
    held = zoo_results.jobs_for("mnist", start=False)
    for page in sorted((REPO_ROOT / "pages").glob("*.py")):
        at.switch_page(f"pages/{page.name}").run()
        assert not at.exception, (page.name, [(job.state, job.progress) for job in held], at.exception)
        assert at.main.children, f"{page.name} drew nothing"
    wait_for_all(held)
    at = AppTest.from_file(APP, default_timeout=300).run()
    assert not at.exception and "Measuring the zoo's maps" not in sidebar_text(at)


def test_compression_and_the_denoise_curves_open_on_what_the_background_measured(app_env, monkeypatch):
    """No sweep to run on the class's worker: the shipped sweep models and the zoo's curves are measured
    in the background, and both pages then draw from what was stored."""
    from ui.core import zoo_results

    monkeypatch.setenv(zoo_results.MEASURE_ENV, "manual")  # so the page is seen before the measuring
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("pages/compression.py").run()
    assert not at.exception, at.exception
    assert figures(at) == [] and any("measured on your copy of mnist once" in info.value for info in at.info)
    wait_for_all(zoo_results.jobs_for("mnist"))  # what the sidebar's button queues
    at.switch_page("pages/compression.py").run()
    assert not at.exception, at.exception
    assert len(figures(at)) == 4 and len(at.dataframe) == 1  # trade-off, pictures, MSE, PSNR; the table
    assert any("measured on this machine's copy" in caption.value for caption in at.caption)
    sweep = aecore.studies.sweep_models.load_precomputed("mnist")
    mse = {trace["name"]: trace["y"] for trace in figures(at)[2]["data"]}
    assert mse["PCA, float code"] == pytest.approx([row["pca_mse"] for row in sweep["rows"]])

    # The denoise lab draws the stored curve: mark it, and the page shows the mark.
    path = aecore.studies.lab_curves.curves_path("mnist")
    stored = json.loads(path.read_text())
    stored["models"][NAME]["curves"]["gaussian"] = [42.0] * len(stored["levels"]["gaussian"])
    path.write_text(json.dumps(stored))
    at.switch_page("pages/denoise.py").run()  # model A: the dataset's default model, NAME
    assert not at.exception, at.exception
    lines = {trace["name"]: trace["y"] for trace in figures(at)[0]["data"]
             if trace.get("mode") == "lines" and "name" in trace}  # the curves; the level's mark has no name
    assert lines[NAME] == [42.0] * len(stored["levels"]["gaussian"])
