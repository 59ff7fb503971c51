"""The Compare page under AppTest: it opens on one zoo model per regularizer with both numbers under
every map, a shared link restores the models and the map method, a choice that cannot be compared
says what to do, a selection is drawn on every map and shown under them, a model of the session can
be compared with the zoo's, and on shapes (2,000 images) the numbers arrive from background jobs.

AppTest cannot hover or drag in the component: what it is sent is read from its JSON data, and a
selection is stored as the component's callback stores it; the browser test hovers and drags.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from conftest import open_link, open_page, wait_for_job

from aecore.workers import DONE

import aecore
from aecore.studies import compare
from ui import compare_view as view
from ui.core import state

PAGE = "pages/compare.py"


def maps_data(at) -> dict:
    components = at.get("bidi_component")
    assert len(components) == 1
    return json.loads(components[0].proto.json)


def points(data: dict) -> np.ndarray:
    """The aligned maps the component draws, (maps, N, 2)."""
    flat = np.frombuffer(base64.b64decode(data["points"]), dtype=np.float32)
    return flat.reshape(len(data["names"]), len(data["rows"]), 2)


def metric_values(at, label: str) -> list[str]:
    return [m.value for m in at.metric if m.label == label]


@pytest.fixture(scope="module")
def default_page():
    return open_page(PAGE)


def test_opens_on_one_model_per_regularizer_with_both_numbers_under_every_map(default_page):
    at = default_page
    assert at.title[0].value == "Compare models"
    chosen = ["digits-ae-8", "digits-sparse-l1-16", "digits-contractive-8", "digits-vae-8"]
    assert at.multiselect[0].label == "Models" and at.multiselect[0].value == chosen
    assert at.radio[0].label == "Map" and at.radio[0].value == "pca"
    data = maps_data(at)
    assert data["names"] == chosen and len(data["rows"]) == 360 and data["selected"] == []
    maps = points(data)
    assert maps.shape == (4, 360, 2) and np.isfinite(maps).all()
    trust, probe = metric_values(at, "Trustworthiness"), metric_values(at, "Linear probe")
    assert len(trust) == len(probe) == 4
    assert all(0.5 < float(value) <= 1 for value in trust)
    stored = aecore.load_results("digits-ae-8")["probe"]["scores"]["autoencoder"]["logistic"]["all"][0]
    assert probe[0] == f"{stored:.1%}" and all(value.endswith("%") for value in probe)
    assert any("Trustworthiness" in c.value and "Linear probe" in c.value for c in at.caption)  # what they mean
    assert not at.get("bidi_component")[0].proto.json.count("NaN")
    # the trustworthiness formula with each map's number beside it, the same as under the maps
    live = [m.value for m in at.metric if m.label in chosen]
    assert trust[0] in live and probe[0] in live
    assert any("T(k)" in latex.value for latex in at.latex)


def test_the_maps_are_turned_onto_the_first(default_page):
    maps = points(maps_data(default_page))
    # Aligned maps sit closer to the first than the maps as projected: an image keeps its place.
    known = [view._known(name, "pca", "digits")["map"] for name in maps_data(default_page)["names"]]
    for aligned, raw in zip(maps[1:], known[1:]):
        assert np.linalg.norm(aligned - maps[0]) < np.linalg.norm(raw - maps[0])
    np.testing.assert_allclose(maps[0], known[0], atol=1e-5)  # the first as it is


def test_a_link_restores_the_models_and_the_map_method():
    at = open_link(PAGE, {"cm_models": ["digits-vae-2", "digits-ae-2", "digits-beta-vae-8"], "cm_method": "UMAP"})
    assert at.multiselect[0].value == ["digits-vae-2", "digits-ae-2", "digits-beta-vae-8"]
    assert at.radio[0].value == "umap"
    data = maps_data(at)
    assert data["names"] == ["digits-vae-2", "digits-ae-2", "digits-beta-vae-8"]
    assert any("UMAP" in c.value for c in at.caption)  # stored with the zoo models: no waiting
    assert len(metric_values(at, "Trustworthiness")) == 3 and "…" not in metric_values(at, "Trustworthiness")


@pytest.mark.parametrize("models, message", [(["digits-ae-8"], "at least 2"), ([], "at least 2")])
def test_a_choice_that_cannot_be_compared_says_what_to_do(models, message):
    at = open_link(PAGE, {"cm_models": models or ""})
    assert any(message in info.value for info in at.info), [i.value for i in at.info]
    assert not at.get("bidi_component") and not at.metric


def test_models_of_different_datasets_are_refused():
    # The page offers only the active dataset's models (a link naming others drops them), so the
    # refusal is met only by a caller of the view.
    with pytest.raises(ValueError, match="one dataset"):
        view.resolve(["digits-ae-8", "shapes-ae-8"], state.default_model("digits"))


def test_a_selection_is_drawn_on_every_map_and_its_images_shown(default_page):
    at = default_page
    rows = view.rows("digits")
    at.session_state[view.SELECTION_KEY] = {"dataset": "digits", "rows": [int(rows[5]), int(rows[40]), int(rows[41])]}
    at.run()
    assert not at.exception, at.exception
    assert maps_data(at)["selected"] == [5, 40, 41]
    assert any(md.value.startswith("**3 selected**") for md in at.markdown)
    assert at.get("image") and "selected test images" in at.get("image")[0].proto.imgs[0].caption
    at.session_state[view.SELECTION_KEY] = {"dataset": "shapes", "rows": [1, 2]}  # another dataset's: not shown
    at.run()
    assert maps_data(at)["selected"] == [] and not any("selected**" in md.value for md in at.markdown)


def test_a_model_of_the_session_is_offered_first_and_measured():
    model = aecore.create_model("ae", input_shape=(1, 8, 8), latent_dim=3)
    fresh = state.ActiveModel(model=model, name="trained: ae mlp 3-D", source="trained", dataset="digits")
    at = open_page(PAGE, model=fresh)
    assert at.multiselect[0].options[0] == "trained: ae mlp 3-D"
    at.multiselect[0].set_value(["trained: ae mlp 3-D", "digits-ae-8"]).run()
    assert not at.exception, at.exception
    assert maps_data(at)["names"] == ["trained: ae mlp 3-D", "digits-ae-8"]
    trust, probe = metric_values(at, "Trustworthiness"), metric_values(at, "Linear probe")
    assert len(trust) == 2 and "…" not in trust and "…" not in probe


def settle(models, method: str) -> None:
    """Wait, as the page's poll would, until each model's map and then the numbers under it are done."""
    for model in models:
        while (measured := view.measured(model, method)).job is not None and measured.trustworthiness is None:
            wait_for_job(measured.job, timeout=300)
            assert measured.job.state == DONE, measured.job.error


def test_on_shapes_the_numbers_come_from_background_jobs_and_a_new_dataset_starts_from_its_defaults():
    at = open_page(PAGE)
    at.session_state[state.DATASET_KEY] = "shapes"
    at.session_state[state.MODEL_KEY] = state.default_model("shapes")
    at.run()
    assert not at.exception, at.exception
    assert at.multiselect[0].value == view.default_models("shapes")
    data = maps_data(at)  # the maps of stored codes are drawn at once
    assert len(data["rows"]) == compare.SUBSET_SIZE and len(data["names"]) == 4
    settle(view.resolve(at.multiselect[0].value, state.default_model("shapes")), "pca")
    at.run()
    assert not at.exception, at.exception
    trust = metric_values(at, "Trustworthiness")
    assert len(trust) == 4 and all(0.5 < float(value) <= 1 for value in trust), trust


def test_the_maps_of_models_with_nothing_stored_come_before_any_numbers():
    from ui.core import jobs

    shape = state.default_model("shapes").model.config.input_shape
    fresh = [state.ActiveModel(model=aecore.create_model("ae", input_shape=shape, latent_dim=dim),
                               name=f"trained: ae {dim}-D", source="trained", dataset="shapes") for dim in (3, 5)]
    assert len(view.rows("shapes")) > view.INLINE_POINTS  # measured in the queue, not in the script run
    view.measure_all(fresh, "pca")  # queues both maps (a warm worker may finish them at once)
    map_jobs = [jobs.peek_server_job(("compare-map", view.model_key(m), "pca")) for m in fresh]
    assert all(job is not None for job in map_jobs)
    settle(fresh, "pca")
    shown = [view.measured(m, "pca") for m in fresh]
    assert all(0 < m.trustworthiness <= 1 and m.map.shape == (len(view.rows("shapes")), 2) for m in shown)
    assert min(m.job.id for m in shown) > max(job.id for job in map_jobs)  # every map was queued first
    # A map drawn while the numbers under it are measured reads "…", not a number.
    assert view.numbers(view.Measured(shown[0].map)) == ("…", "…")


def test_umap_of_a_model_with_no_stored_map_runs_in_the_background_with_pca_meanwhile():
    model = aecore.create_model("ae", input_shape=(1, 8, 8), latent_dim=3)
    fresh = state.ActiveModel(model=model, name="trained: ae mlp 3-D", source="trained", dataset="digits")
    at = open_page(PAGE, model=fresh)
    at.multiselect[0].set_value(["trained: ae mlp 3-D", "digits-ae-8"]).run()
    at.radio[0].set_value("umap").run()
    assert not at.exception, at.exception
    job = view.measured(fresh, "umap").job
    if not job.finished:  # UMAP (and its compiling, in a fresh worker) takes seconds: the page did not wait
        assert any("PCA is shown meanwhile" in info.value for info in at.info)
        assert any("PCA of the 3-D code" in c.value for c in at.caption)
        assert len(maps_data(at)["names"]) == 2
    settle([fresh], "umap")
    at.run()
    assert not at.exception, at.exception
    assert any("UMAP of the 3-D code" in c.value for c in at.caption)
    assert not any("meanwhile" in info.value for info in at.info)
    assert len(metric_values(at, "Trustworthiness")) == 2 and "…" not in metric_values(at, "Trustworthiness")


def test_presenter_mode_folds_the_map_method_away():
    at = open_link(PAGE, {"present": "true"})
    assert any(expander.label == "Map method" for expander in at.expander)
    assert at.radio[0].label == "Map" and len(maps_data(at)["names"]) == 4


def test_a_lesson_step_that_changes_the_dataset_keeps_the_models_it_names():
    at = open_page(PAGE)  # digits, the default models
    chosen = ["shapes-ae-2", "shapes-vae-2"]
    at.session_state[state.DATASET_KEY] = "shapes"  # as `ui.core.lessons` applies a step
    at.session_state[state.MODEL_KEY] = state.default_model("shapes")
    at.session_state[view.MODELS_KEY] = chosen
    at.run()
    assert not at.exception, at.exception
    assert at.multiselect[0].value == chosen and maps_data(at)["names"] == chosen


def test_the_lesson_fact_says_whether_the_two_numbers_order_the_models_alike():
    same = [view.Measured(None, 0.9, 0.8), view.Measured(None, 0.8, 0.7)]
    crossed = [view.Measured(None, 0.9, 0.7), view.Measured(None, 0.8, 0.8)]
    assert view.lesson_facts(same) == {"same_order": 1.0} and view.lesson_facts(crossed) == {"same_order": 0.0}
    assert view.lesson_facts([view.Measured(None, 0.9, None), view.Measured(None, 0.8, 0.8)]) == {}  # not yet measured
