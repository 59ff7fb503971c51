"""The conditional VAE on the Sample & traverse page under AppTest: pick a class and its samples follow,
with the share a pixel classifier names as asked (recomputed here); "same style, other digit"
restyles the chosen test image under every class; a link restores the class; a dataset with no
conditional model says so; and on a (fake) downloaded MNIST the zoo's MNIST model answers."""

from __future__ import annotations

import numpy as np
import pytest

import aecore
from aecore.generate import restyle
from aecore.studies.quality import pixel_classifier
from conftest import REPO_ROOT, figures, open_link, open_page, wait_for_job, widget
from fake_mirror import mnist_here
from ui import conditional_view

PAGE = "pages/sample.py"


def titled(at, start: str) -> dict:
    return next(f for f in figures(at) if f["layout"].get("title", {}).get("text", "").startswith(start))


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def judged(at, dataset: str = "digits") -> None:
    """Rerun the page once the server's job training the samples' judge has ended, as the page's poll
    would: until then the shares read "…"."""
    job = conditional_view.judge_job(dataset)
    if not job.finished:
        assert metric(at, next(m.label for m in at.metric if m.label.startswith(("Named", "Read as")))) == "…"
    wait_for_job(job)
    at.run()
    assert not at.exception, at.exception


def test_a_class_picked_draws_its_samples_and_the_share_named_as_asked():
    at = open_page(PAGE)  # the plain autoencoder is active: the zoo's conditional model answers
    assert "digits-cvae-8" in next(m.value for m in at.markdown if "one-hot" in m.value)
    control = at.segmented_control(key="sm_class")
    assert list(control.options) == [str(c) for c in range(10)] and control.value == 0
    assert titled(at, "asked for 0")
    control.set_value(7).run()
    assert not at.exception
    assert titled(at, "asked for 7: z ~ N(0, T² I), T = 1.00, seed 0")
    # The live share, recomputed: the same samples, the same classifier.
    samples = aecore.load_pretrained("digits-cvae-8").sample(32, 1.0, 0, labels=7)
    judge = pixel_classifier(aecore.load_split("digits")[0], max_images=conditional_view.JUDGE_IMAGES, kind="mlp")
    share = np.mean(judge.predict(samples.flatten(1).double().numpy()) == 7)
    judged(at)
    assert metric(at, "Named 7") == f"{share:.0%}" and share >= 0.9
    widget(at.slider, "Samples").set_value(16).run()
    assert len(titled(at, "asked for 7")["layout"]["yaxis"]["ticktext"]) == 2  # two rows of eight


def test_same_style_other_digit_restyles_the_chosen_test_image_under_every_class():
    at = open_page(PAGE)
    assert "Same style, other digit" in [h.value for h in at.subheader]
    first = titled(at, "test image #0")
    assert first["layout"]["xaxis"]["ticktext"] == ["image", *[str(c) for c in range(10)]]
    test = aecore.load_split("digits")[1]
    grid = restyle(aecore.load_pretrained("digits-cvae-8"), test.images[5:6], test.labels[5:6])[0]
    judge = pixel_classifier(aecore.load_split("digits")[0], max_images=conditional_view.JUDGE_IMAGES, kind="mlp")
    share = np.mean(judge.predict(grid.flatten(1).double().numpy()) == np.arange(10))
    widget(at.number_input, "Test image").set_value(5).run()
    assert not at.exception
    assert titled(at, "test image #5")["data"] != first["data"]
    judged(at)
    assert metric(at, "Read as the class asked") == f"{share:.0%}"


def test_with_the_conditional_model_active_every_section_draws_and_no_button_offers_it():
    at = open_page(PAGE, model="digits-cvae-8")
    assert not at.info  # it is a VAE: the reparameterisation, prior samples and traversal draw as for one
    assert at.table and titled(at, "asked for 0")
    assert not any(b.label == "Use digits-cvae-8" for b in at.button)
    at = open_page(PAGE)
    assert next(b for b in at.button if b.label.startswith("Use ")).label != "Use digits-cvae-8"


def test_a_link_restores_the_class():
    at = open_link(PAGE, {"dataset": "digits", "sm_class": "4"})
    assert at.segmented_control(key="sm_class").value == 4 and titled(at, "asked for 4")


def test_a_dataset_without_a_conditional_model_says_how_to_get_one():
    at = open_page(PAGE, model="shapes-ae-8")
    assert any("No conditional VAE of **shapes**" in i.value and "kind `cvae`" in i.value for i in at.info)
    assert not at.segmented_control


@pytest.mark.parametrize("page", sorted(p.name for p in (REPO_ROOT / "pages").glob("*.py")))
def test_every_page_draws_with_the_conditional_model_active(page):
    # Given no class, the cvae is the plain VAE its label dropout trained: pages that know no classes use it so.
    at = open_page(f"pages/{page}", model="digits-cvae-8")
    assert at.main.children, f"{page} drew nothing"
    assert not at.error, [e.value for e in at.error]


@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory):
    base = tmp_path_factory.mktemp("cvae")
    with mnist_here(base, seed=8):
        yield base


def test_on_a_downloaded_mnist_the_zoo_model_of_mnist_answers(fake_mnist):
    at = open_page(PAGE, model="mnist-ae-32")
    name = next(e["name"] for e in aecore.list_pretrained("mnist") if e["kind"] == "cvae")
    assert name in next(m.value for m in at.markdown if "one-hot" in m.value)
    at.segmented_control(key="sm_class").set_value(3).run()
    assert not at.exception and titled(at, "asked for 3") and "Named 3" in [m.label for m in at.metric]
    assert titled(at, "test image #0 (")["layout"]["xaxis"]["ticktext"][1:] == [str(c) for c in range(10)]
