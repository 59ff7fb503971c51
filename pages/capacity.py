"""Capacity: what a model with more freedom than its data does. Overfitting (a large model on a few
images) and the overcomplete autoencoder (a code wider than the image), each trained live on digits
in the server's job queue."""

import streamlit as st

from aecore.studies import capacity
from ui import capacity_view as view
from ui.core import jobs, lessons, presenter, state
from ui.core.concepts import explain
from ui.core.router import require_router

require_router()

CHART = {"width": "stretch", "config": {"displayModeBar": False}}

st.title("Capacity: overfitting & overcomplete")
st.markdown("Two ways a model with too much freedom misleads. Both experiments train small models on **digits** "
            "(8×8, 1,437 training images), whatever the active dataset, in the server's job queue: a run takes "
            "seconds, and its result is kept on this server for anyone who opens the same settings.")

st.header("Overfitting")
st.markdown("A large autoencoder (two hidden layers, an 8-D code) trained on a few images for the same number of "
            "weight updates whatever their count. After every epoch it is scored on the 360 test images it "
            "never sees. With a few hundred images it memorises them: its training loss keeps falling while the "
            "validation loss turns and rises. With all 1,437 the curves stay together.")
images_col, button_col = st.columns([3, 1])
images = images_col.select_slider("Training images", capacity.IMAGE_COUNTS, value=capacity.OVERFIT_DEFAULTS["images"],
                                  key="cap_images", bind="query-params",
                                  help="How many digits the model trains on; 1437 is the whole training split.")
with presenter.secondary("Model and training budget"):
    width_col, updates_col = st.columns(2)
    width = width_col.select_slider("Hidden layer width", capacity.WIDTHS, value=capacity.OVERFIT_DEFAULTS["width"],
                                    key="cap_width", bind="query-params",
                                    help="Units in each of the two hidden layers: 512 is about 600,000 weights.")
    updates = updates_col.select_slider("Weight updates", capacity.UPDATES, value=capacity.OVERFIT_DEFAULTS["updates"],
                                        key="cap_updates", bind="query-params",
                                        help="Batches of 25 images the run trains on, whatever the image count: "
                                             "fewer images means more epochs.")
if button_col.button("Train", type="primary", key="cap_overfit_train", disabled=not view.idle(view.OVERFIT_PURPOSE)):
    view.start_overfit(images, width, updates)
    st.rerun()
jobs.job_panel(view.OVERFIT_PURPOSE, view.overfit_progress)
overfit = view.overfit_result(images, width, updates)
if overfit is None:
    explain("overfitting")
    if view.idle(view.OVERFIT_PURPOSE):
        st.info(view.stopped_note(view.OVERFIT_PURPOSE) or
                f"Press **Train** to train the model on {images} images ({width}-wide layers, {updates} updates).")
else:
    explain("overfitting", live=view.overfit_live(overfit),
            note="ℓ(x) is the model's loss on one image: binary cross-entropy summed over its 64 pixels. T: the "
                 "training images, V: the test images.")
    st.plotly_chart(view.loss_figure(overfit["train_loss"], overfit["val_loss"], overfit["best_epoch"]), **CHART)
    st.caption(f"{overfit['epochs']} epochs on {images} images in {overfit['seconds']:.0f} s. Early stopping keeps "
               f"the weights of epoch {overfit['best_epoch']}; more training images close the gap.")

st.header("The overcomplete autoencoder")
st.markdown("Three models with the same code width, trained on the same digits from the same seed: a plain "
            "autoencoder, a sparse one (L1 penalty on the code) and a denoising one (Gaussian noise, σ 0.5). Each "
            "is then asked to rebuild images it never saw: test digits, shapes shrunk to 8×8, and noise made of "
            "digits' own pixel values shuffled between images.")
code_col, button_col = st.columns([3, 1])
code = code_col.select_slider("Code width k (the image has 64 pixels)", capacity.CODE_WIDTHS,
                              **state.initial("cap_code", capacity.OVERCOMPLETE_DEFAULT), key="cap_code", bind="query-params",
                              help="16: narrower than the image; 64: as wide; 256: four times wider (overcomplete).")
if button_col.button("Train the three models", type="primary", key="cap_overcomplete_train",
                     disabled=not view.idle(view.OVERCOMPLETE_PURPOSE)):
    view.start_overcomplete(code)
    st.rerun()
jobs.job_panel(view.OVERCOMPLETE_PURPOSE, view.overcomplete_progress)
overcomplete = view.overcomplete_result(code)
if overcomplete is None:
    explain("overcomplete")
    if view.idle(view.OVERCOMPLETE_PURPOSE):
        st.info(view.stopped_note(view.OVERCOMPLETE_PURPOSE) or
                f"Press **Train the three models** to train them with a {code}-D code.")
else:
    explain("overcomplete", live=view.overcomplete_live(overcomplete),
            note="MSE per pixel, averaged over 300 images of each set.")
    st.plotly_chart(view.overcomplete_figure(overcomplete), **CHART)
    st.plotly_chart(view.mse_figure(overcomplete), **CHART)
    lessons.publish(view.overcomplete_facts(overcomplete))
    st.caption(view.overcomplete_words(overcomplete) + " Uniform noise also lights the border pixels that no digit "
               "ever inks: no model learned to pass those through, so none rebuilds it.")
