"""The Train page's generated form under AppTest: only the fields that apply, with plain-words help,
every control in the URL, each dataset's own recipe, the formula of the loss that follows the kind."""

from __future__ import annotations

import pytest

import aecore
from train_page import open_train_page, shows_concept, widget_labels
from ui import loss_code, train_form, training
from ui.core import jobs, state
from ui.train_form import applies, label, option_fields


def test_page_opens_with_the_digits_recipe_on_the_sidebars_dataset():
    at = open_train_page()
    assert at.title[0].value == "Train a model"
    # The sidebar's dataset is the one trained on: the page has no picker of its own, and says which.
    assert "Dataset" not in widget_labels(at)
    assert any("Trains on **digits**, the dataset chosen in the sidebar" in c.value for c in at.caption)
    assert list(at.selectbox(key=train_form.KIND).options) == aecore.list_models()
    assert at.selectbox(key=train_form.KIND).value == "ae"
    assert at.selectbox(key=train_form.ARCH).value == "mlp"
    assert at.number_input(key=train_form.LATENT).value == 8
    assert at.number_input(key=train_form.EPOCHS).value == 100
    assert at.number_input(key=train_form.BATCH).value == 64
    assert at.number_input(key=train_form.LR).value == pytest.approx(0.002)
    assert at.selectbox(key=train_form.AUGMENT).value == "none"  # a mirrored digit is no digit
    assert jobs.JOBS_KEY not in at.session_state or training.PURPOSE not in at.session_state[jobs.JOBS_KEY]


@pytest.mark.parametrize("kind", aecore.list_models())
def test_every_kind_shows_the_options_that_apply_with_help_in_plain_words(kind):
    at = open_train_page(tr_kind=kind)
    assert at.selectbox(key=train_form.KIND).value == kind
    own, shared = option_fields(kind)
    labels = widget_labels(at)
    for field in own + shared:
        shown = applies(field, {"arch": "mlp"})
        assert (label(field.name) in labels) == shown, (field.name, labels)
    assert "Channels" not in labels and "Hidden" in labels  # the MLP has no channels
    # A warm-up only where there is a penalty to warm up: not for the plain or the denoising AE.
    assert ("Regularizer warm-up (epochs)" in labels) == (kind in ("contractive", "cvae", "hashing", "sparse", "vae"))
    widgets = [*at.selectbox, *at.number_input, *at.text_input, *at.checkbox]
    for widget in widgets:
        assert widget.help and "`" not in widget.help and "config" not in widget.help, (widget.label, widget.help)
        assert widget.help[0].isupper() or widget.help.startswith("- **"), widget.help
    for field in own + shared:
        assert field.metadata.get("help", "").endswith("."), f"{kind}.{field.name} has no sentence of help"
    # The convolutional network has channels and no MLP widths.
    at.selectbox(key=train_form.ARCH).set_value("conv").run()
    labels = widget_labels(at)
    assert "Channels" in labels and "Hidden" not in labels


def test_the_formula_follows_the_kind_and_its_penalty():
    at = open_train_page()
    assert shows_concept(at, "bottleneck")
    at.selectbox(key=train_form.KIND).set_value("vae").run()
    assert at.number_input(key="tr_vae_beta").value == 1.0
    assert shows_concept(at, "vae") and not shows_concept(at, "bottleneck")
    at.selectbox(key=train_form.KIND).set_value("sparse").run()
    assert list(at.selectbox(key="tr_sparse_penalty").options) == ["l1", "kl"]
    assert "Beta" not in widget_labels(at) and "Rho" not in widget_labels(at)  # rho is the KL penalty's
    assert shows_concept(at, "sparse_l1")
    at.selectbox(key="tr_sparse_penalty").set_value("kl").run()
    assert shows_concept(at, "sparse_kl") and "Rho" in widget_labels(at)


def test_a_link_restores_the_form():
    at = open_train_page(tr_kind="vae", tr_arch="conv", tr_latent="3", tr_epochs="7", tr_batch="32",
                         tr_lr="0.01", tr_sched="onecycle", tr_warmup="2", tr_vae_beta="4", tr_channels="16, 32",
                         tr_lik="gaussian", tr_augment="hflip")
    assert not at.exception, at.exception
    assert at.selectbox(key=train_form.KIND).value == "vae"
    assert at.selectbox(key=train_form.ARCH).value == "conv"
    assert at.number_input(key=train_form.LATENT).value == 3
    assert at.number_input(key=train_form.EPOCHS).value == 7
    assert at.number_input(key=train_form.BATCH).value == 32
    assert at.number_input(key=train_form.LR).value == pytest.approx(0.01)
    assert at.selectbox(key=train_form.SCHEDULE).value == "onecycle"
    assert at.selectbox(key=train_form.AUGMENT).value == "hflip"
    assert at.number_input(key=train_form.WARMUP).value == 2
    assert at.number_input(key="tr_vae_beta").value == 4
    assert at.text_input(key="tr_channels").value == "16, 32"
    assert at.selectbox(key="tr_lik").value == "gaussian"
    assert any("squared error" in c.value for c in at.caption)  # the formula's note follows the likelihood


def test_each_dataset_starts_from_its_own_recipe_and_keeps_its_settings():
    at = open_train_page()
    at.number_input(key=train_form.EPOCHS).set_value(33).run()
    at.session_state[state.DATASET_KEY] = "shapes"  # as the sidebar's picker does
    at.run()
    assert not at.exception, at.exception
    assert any("Trains on **shapes**" in c.value for c in at.caption)
    assert at.selectbox(key=train_form.ARCH).value == "conv"
    assert at.number_input(key=train_form.EPOCHS).value == 20
    assert "Channels" in widget_labels(at) and "Hidden" not in widget_labels(at)
    at.number_input(key=train_form.EPOCHS).set_value(9).run()
    at.session_state[state.DATASET_KEY] = "digits"
    at.run()
    assert at.selectbox(key=train_form.ARCH).value == "mlp"
    assert at.number_input(key=train_form.EPOCHS).value == 33  # as the user left digits
    at.session_state[state.DATASET_KEY] = "shapes"
    at.run()
    assert at.number_input(key=train_form.EPOCHS).value == 9


def test_presenter_mode_folds_the_secondary_controls_away():
    def folded(at) -> list[str]:  # the form's expanders (the loss-code one stays in both modes)
        return [e.label for e in at.expander if e.label != loss_code.TITLE]

    assert folded(open_train_page()) == ["Network and likelihood"]
    at = open_train_page(present="true")
    assert folded(at) == ["Network, batch size, learning rate"]
    assert at.expander[0].number_input(key=train_form.BATCH).value == 64
    assert at.expander[0].text_input(key="tr_hidden").value == "256, 128"
    assert at.number_input(key=train_form.EPOCHS).value == 100


def test_bad_layer_widths_are_refused_without_starting():
    at = open_train_page()
    at.text_input(key="tr_hidden").set_value("256, lots").run()
    at.button(key="train_start").click().run()
    assert "Hidden: give positive whole numbers" in at.error[0].value
    assert jobs.JOBS_KEY not in at.session_state or training.PURPOSE not in at.session_state[jobs.JOBS_KEY]
