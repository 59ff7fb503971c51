"""The app under Streamlit's AppTest: the router's sidebar, the Home page and the Load page, no browser.

As docs/streamlit-notes.md notes, after `switch_page("pages/...")` AppTest runs the page file alone (no router, no
sidebar), so the sidebar is tested from `app.py` and the page's state comes from `ui.core.state`. In
Streamlit 1.67 this holds from the second `run()` on even without `switch_page` (the default page
runs alone), so the sidebar's reactions are tested on `ui.sidebar.draw_sidebar` run on its own.
"""

import json
import re
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

import aecore
from conftest import REPO_ROOT as ROOT, figures, open_page
from ui.core import state
from ui.core.models import checkpoint_bytes, mse_versus_pca, pretrained_model, uploaded_model

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 60  # the first run imports torch and loads the dataset
SHAPES_CLASSES = ("square", "ellipse", "heart", "triangle")


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S).run()
    assert not at.exception, at.exception
    return at


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return "\n".join(parts + [i.captions[0] for i in at.image if i.captions])


def test_router_has_dataset_selectbox_and_default_page() -> None:
    at = run_app()
    dataset, model = at.sidebar.selectbox
    assert dataset.label == "Dataset"
    assert list(dataset.options)[:2] == ["digits", "shapes"]  # then the downloads (tests/test_app_download.py)
    assert dataset.value == "digits"
    assert at.title[0].value == "Autoencoder Explorer"
    assert len(at.image) == 1


def test_first_open_shows_the_default_digits_model_and_its_card() -> None:
    at = run_app()
    model = at.sidebar.selectbox[1]
    assert model.label == "Model"
    assert model.value == state.DEFAULT_PRETRAINED["digits"]
    assert list(model.options) == [e["name"] for e in aecore.list_pretrained("digits")]
    entry = aecore.pretrained_entry(model.value)
    card = "\n".join(m.value for m in at.sidebar.markdown)
    active = at.session_state[state.MODEL_KEY]
    for expected in (model.value, f"kind: **{entry['kind']}**", f"arch: **{entry['arch']}**",
                     f"latent dim: **{entry['latent_dim']}**", "dataset: **digits**",
                     f"test MSE: **{mse_versus_pca(entry['metrics'], entry['pca'])}**",
                     f"parameters: **{active.parameters:,}**", "from: **pretrained**"):
        assert expected in card, card


def test_home_page_slider_and_seed_change_the_gallery() -> None:
    at = run_app()
    at.switch_page("pages/home.py").run()
    assert not at.exception, at.exception
    assert len(at.image) == 1
    first_url = at.image[0].value[0]
    at.slider[0].set_value(3).run()
    assert not at.exception, at.exception
    fewer_url = at.image[0].value[0]
    assert fewer_url != first_url
    at.number_input[0].set_value(7).run()
    assert at.image[0].value[0] not in (first_url, fewer_url)


def test_switching_dataset_to_shapes_shows_its_classes() -> None:
    at = run_app()
    digits_url = at.image[0].value[0]
    at.sidebar.selectbox[0].set_value("shapes").run()
    assert not at.exception, at.exception
    assert at.session_state[state.DATASET_KEY] == "shapes"
    assert "Dataset: shapes" in [h.value for h in at.header]
    text = page_text(at)
    assert all(name in text for name in SHAPES_CLASSES), text
    assert at.image[0].value[0] != digits_url


def test_page_alone_fills_the_default_dataset() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.switch_page("pages/home.py").run()
    assert not at.exception, at.exception
    assert at.session_state[state.DATASET_KEY] == state.DEFAULT_DATASET
    assert "Dataset: digits" in [h.value for h in at.header]


# --- the sidebar's reactions, on a zoo the test controls -----------------------------------------
REAL_ZOO = Path(__file__).resolve().parent.parent / "pretrained"
TINY_SHAPES = "shapes-tiny-ae-2"


def sidebar_only() -> None:
    from ui.sidebar import draw_sidebar

    draw_sidebar()


def tiny_model(input_shape: tuple[int, int, int] = (1, 8, 8)) -> aecore.Autoencoder:
    return aecore.create_model("ae", input_shape=input_shape, latent_dim=2, hidden=(8,))


@pytest.fixture
def zoo(tmp_path, monkeypatch):
    """Point aecore at a zoo in tmp_path listing the real digits models, plus a tiny shapes model
    when the test asks for one: the tests then hold whatever the real zoo holds today."""

    def build(with_shapes: bool) -> Path:
        entries = [dict(e, path=str(REAL_ZOO / e["path"]))  # an absolute path wins in Path joins
                   for e in aecore.list_pretrained("digits", root=REAL_ZOO)]
        if with_shapes:
            aecore.save(tiny_model((1, 32, 32)), tmp_path / TINY_SHAPES)
            entries.append({"name": TINY_SHAPES, "description": "tiny", "path": TINY_SHAPES, "dataset": "shapes",
                            "kind": "ae", "arch": "mlp", "latent_dim": 2, "options": {"kind": "ae"},
                            "metrics": {"mse": 0.05}, "pca": {"mse": 0.04, "k": 2}})
        (tmp_path / "manifest.json").write_text(json.dumps({"format": "aecore-zoo", "models": entries}))
        monkeypatch.setenv("AECORE_PRETRAINED", str(tmp_path))
        return tmp_path

    return build


def test_switching_dataset_switches_to_its_default_model(zoo) -> None:
    zoo(with_shapes=True)
    at = AppTest.from_function(sidebar_only, default_timeout=TIMEOUT_S).run()
    at.sidebar.selectbox[0].set_value("shapes").run()
    assert not at.exception, at.exception
    active = at.session_state[state.MODEL_KEY]
    assert (active.name, active.dataset) == (TINY_SHAPES, "shapes")
    assert at.sidebar.selectbox[1].value == TINY_SHAPES
    assert "0.0500 vs PCA 0.0400 (1.25x)" in "\n".join(m.value for m in at.sidebar.markdown)
    at.sidebar.selectbox[0].set_value("digits").run()
    assert at.session_state[state.MODEL_KEY].name == state.DEFAULT_PRETRAINED["digits"]


def test_switching_to_a_dataset_without_models_keeps_the_model_and_says_so(zoo) -> None:
    zoo(with_shapes=False)
    at = AppTest.from_function(sidebar_only, default_timeout=TIMEOUT_S).run()
    at.sidebar.selectbox[0].set_value("shapes").run()
    assert not at.exception, at.exception
    assert at.session_state[state.DATASET_KEY] == "shapes"
    assert at.session_state[state.MODEL_KEY].name == state.DEFAULT_PRETRAINED["digits"]
    assert "No model of **shapes** yet" in at.sidebar.caption[0].value


def test_switching_dataset_keeps_a_model_that_already_belongs_to_it(zoo) -> None:
    zoo(with_shapes=True)
    at = AppTest.from_function(sidebar_only, default_timeout=TIMEOUT_S)
    own = uploaded_model("mine.zip", aecore.to_zip_bytes(tiny_model((1, 32, 32)), {"dataset": "shapes"}))
    at.session_state[state.MODEL_KEY] = own
    at.session_state[state.DATASET_KEY] = "digits"
    at.run()
    at.sidebar.selectbox[0].set_value("shapes").run()
    assert at.session_state[state.MODEL_KEY] is own


def test_sidebar_model_selectbox_switches_model_and_card() -> None:
    at = AppTest.from_function(sidebar_only, default_timeout=TIMEOUT_S).run()
    at.sidebar.selectbox[1].set_value("digits-vae-8").run()
    assert not at.exception, at.exception
    assert at.session_state[state.MODEL_KEY].name == "digits-vae-8"
    card = "\n".join(m.value for m in at.sidebar.markdown)
    assert "**digits-vae-8**" in card and "kind: **vae (beta 1.0)**" in card


# --- Home and Load -----------------------------------------------------------------------------
def test_home_has_the_diagram_and_a_card_per_page() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.switch_page("pages/home.py").run()
    assert not at.exception, at.exception
    assert len(at.get("graphviz_chart")) == 1
    links = {link.value: link.proto.page for link in at.get("page_link")}
    # Every page of the sidebar but Home has its card, under its sidebar title, linking to its URL path.
    navigation = re.findall(r'st\.Page\("pages/(\w+)\.py", title="([^"]+)"', (ROOT / "app.py").read_text())
    assert links == {title: path for path, title in navigation if path != "home"}
    assert links["Inside the code"] == "regularizers" and len(links) >= 16
    captions = [c.value for c in at.caption]
    assert "How does a model learn to compress?" in captions
    assert "Can it clean up noisy images?" in captions


def bar_chart_rows(at: AppTest) -> dict[tuple[str, str], float]:
    """(model, series) -> test MSE of Home's bar chart, read from the data Streamlit sends the browser."""
    import pyarrow

    (chart,) = at.get("vega_lite_chart")
    data = chart.proto.datasets[0].data.data if chart.proto.datasets else chart.proto.data.data
    frame = pyarrow.ipc.open_stream(data).read_pandas()
    model, series, value = "pretrained model", "color -- streamlit-generated", "value -- streamlit-generated"
    return {(row[model], row[series]): row[value] for _, row in frame.iterrows()}


def test_home_charts_the_datasets_pretrained_models_against_pca() -> None:
    at = open_page("pages/home.py")
    assert not figures(at)  # no plotly on the page every new tab opens first (see ui/home_view.py)
    bars = bar_chart_rows(at)
    digits = [e for e in aecore.list_pretrained() if e["dataset"] == "digits"]
    assert sorted({m for m, _ in bars}) == sorted(e["name"].removeprefix("digits-") for e in digits)
    assert bars["ae-8", "autoencoder"] == pytest.approx(aecore.pretrained_entry("digits-ae-8")["metrics"]["mse"])
    assert bars["ae-8", "PCA, same code size"] > bars["ae-8", "autoencoder"]  # the zoo's AE-8 beats PCA-8

    at.session_state[state.DATASET_KEY] = "shapes"
    at.run()
    assert not at.exception, at.exception
    models = {m for m, _ in bar_chart_rows(at)}
    assert "ae-8" in models and not any(m.startswith("digits") for m in models)


def open_load_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.switch_page("pages/load.py").run()
    assert not at.exception, at.exception
    return at


def test_load_page_makes_the_chosen_pretrained_model_active() -> None:
    at = open_load_page()
    assert at.session_state[state.MODEL_KEY].name == state.DEFAULT_PRETRAINED["digits"]
    assert at.button[0].disabled  # the picker starts on the active model
    at.selectbox(key="load_pretrained_pick").set_value("digits-beta-vae-8").run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state[state.MODEL_KEY].name == "digits-beta-vae-8"
    assert at.session_state[state.MODEL_KEY].source == "pretrained"


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    return at.get("file_uploader")[0].set_value((name, data, "application/zip")).run()


@pytest.mark.parametrize(("data", "says"), [
    (b"not a zip at all", "is not an aecore checkpoint"),
    (aecore.to_zip_bytes(tiny_model((1, 28, 28)), {"dataset": "mnist"}), "which this app does not offer"),
    (aecore.to_zip_bytes(tiny_model((1, 28, 28))), "fit none of the datasets"),
    (aecore.to_zip_bytes(tiny_model(), {"dataset": ["digits"]}), "which this app does not offer"),
    (aecore.to_zip_bytes(tiny_model(), {"dataset": "shapes"}), "but its model takes 1 × 8 × 8 images"),
])
def test_a_bad_upload_shows_an_error_and_keeps_the_model(data: bytes, says: str) -> None:
    at = open_load_page()
    before = at.session_state[state.MODEL_KEY]
    upload(at, "bad.zip", data)
    assert not at.exception, at.exception
    [error] = at.error
    assert says in error.value and "bad.zip" in error.value
    assert at.session_state[state.MODEL_KEY] is before
    assert state.SESSION_MODELS_KEY not in at.session_state or not at.session_state[state.SESSION_MODELS_KEY]


def test_a_good_upload_becomes_the_active_session_model() -> None:
    at = open_load_page()
    metrics = {"test": {"mse": 0.03}, "pca": {"mse": 0.02, "k": 2}}
    upload(at, "tiny.zip", aecore.to_zip_bytes(tiny_model(), {"dataset": "digits", "metrics": metrics}))
    assert not at.exception, at.exception
    active = at.session_state[state.MODEL_KEY]
    assert (active.name, active.source, active.dataset) == ("tiny.zip", "uploaded", "digits")
    assert (active.metrics, active.pca) == (metrics["test"], metrics["pca"])
    assert at.session_state[state.SESSION_MODELS_KEY] == {"tiny.zip": active}
    assert "tiny.zip" in at.success[0].value


def test_an_upload_named_like_a_pretrained_model_does_not_shadow_it() -> None:
    active = uploaded_model("digits-ae-8", aecore.to_zip_bytes(tiny_model()))  # no dataset recorded
    assert (active.name, active.dataset, active.metrics) == ("uploaded: digits-ae-8", "digits", {})


def test_an_upload_with_odd_metrics_reads_them_as_not_recorded() -> None:
    data = aecore.to_zip_bytes(tiny_model(), {"metrics": {"test": {"mse": "low"}, "pca": [1]}})
    active = uploaded_model("odd.zip", data)
    assert mse_versus_pca(active.metrics, active.pca) == "not recorded"
    assert active.pca == {}


def test_downloaded_checkpoint_uploads_back_with_its_card() -> None:
    original = pretrained_model("digits-vae-8")
    back = uploaded_model("digits-vae-8.zip", checkpoint_bytes(original))
    assert (back.dataset, back.metrics, back.pca) == (original.dataset, original.metrics, original.pca)
    for name, tensor in original.model.state_dict().items():
        assert torch.equal(back.model.state_dict()[name], tensor), name


def test_mse_versus_pca_text() -> None:
    assert mse_versus_pca({"mse": 0.0110}, {"mse": 0.0236}) == "0.0110 vs PCA 0.0236 (0.47x)"
    assert mse_versus_pca({"mse": 0.0110}, {}) == "0.0110 (no PCA baseline recorded)"
    assert mse_versus_pca({}, {"mse": 0.0236}) == "not recorded"


def test_homes_first_run_loads_none_of_the_heavy_libraries() -> None:
    """A cold start paints Home without scikit-learn, SciPy, umap, ONNX, faiss or Dask: each one it
    imported would be seconds before a new server's first page (scikit-learn with SciPy: over 2 s)."""
    script = ("import sys; sys.path.insert(0, 'tests')\n"
              "from streamlit.testing.v1 import AppTest\n"
              "at = AppTest.from_file('app.py', default_timeout=300).run()\n"
              "assert not at.exception, at.exception\n"
              "print(sorted({m.split('.')[0] for m in sys.modules} & "
              "{'sklearn', 'scipy', 'umap', 'onnx', 'onnxruntime', 'faiss', 'distributed', 'pynndescent'}))\n")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
