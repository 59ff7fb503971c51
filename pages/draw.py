"""Draw and see: a drawing made into a dataset image, rebuilt, denoised, scored and placed on the latent map."""

import streamlit as st

from aecore.studies import sketch
from ui import draw_view as view
from ui.core import hover_decoder, lessons, page_results, posterior, state
from ui.core.cache import load_dataset
from ui.core.concepts import explain
from ui.core.router import require_router

require_router()

st.title("Draw and see")
st.markdown(
    "Draw with the mouse (or a finger) on the black canvas. Each time you lift the pen, the drawing is "
    "made into an image of the dataset, the way its own images were made, and the active model "
    "**encodes** it (the ★ on the map of its test images), **rebuilds** it, and **scores** it: its "
    "reconstruction error's **percentile** among the test images' errors. A high percentile means the "
    "model finds your drawing unusual: that is anomaly detection. The dataset's **denoising** "
    "autoencoder cleans it up too."
)

active = state.active_model()
try:
    recipe = sketch.recipe_for(active.dataset, tuple(active.model.config.input_shape))
except ValueError as error:  # colour images: a white-on-black drawing is no CIFAR photo
    st.info(str(error))
    st.stop()
dataset = load_dataset(active.dataset)
if active.dataset != state.active_dataset_name():
    st.caption(f"The active model **{active.name}** was trained on {active.dataset}: the drawing becomes one of its images.")

canvas_col, result_col = st.columns([2, 3])
with canvas_col:
    # Bound to the URL (?dw_pen=thick): a shared link opens with the same pen.
    size = st.select_slider("Pen", list(view.PEN_SCALE), **state.initial("dw_pen", "medium"), key="dw_pen", bind="query-params",
                            help="How wide the pen draws; the drawing is scaled to the image size after.")
    view.canvas(active.dataset, view.pen_width(active.dataset, size))
    st.caption(f"Made into a {'×'.join(map(str, active.model.config.input_shape[1:]))} image "
               f"{sketch.RECIPE_WORDS[recipe]}.")

ref, measuring = view.reference(active)
cleaner = view.denoiser(active)
found = None
with result_col, st.container(key="draw_result"):
    if ref is None:
        page_results.draw_pending(view.PURPOSE, measuring, "the test images of your model")
        st.stop()
    try:
        found = view.drawing(active, ref, cleaner)
    except ValueError as error:  # nothing drawn yet, or a payload that is no drawing
        st.info(str(error))
    if found is not None:
        seen = found.seen
        columns = st.columns(3)
        columns[0].image(view.picture(seen.image), caption="your drawing, as the model sees it", width="stretch")
        columns[1].image(view.picture(seen.reconstruction), caption=f"rebuilt by {active.name}", width="stretch")
        if found.denoised is not None:
            columns[2].image(view.picture(found.denoised), caption=f"denoised by {cleaner.name}", width="stretch")
        else:
            columns[2].info(f"The zoo has no denoising model of {active.dataset}.")
        score_col, likely_col = st.columns(2)
        score_col.metric("Anomaly percentile", f"{seen.percentile:.1f}",
                         help="The share of the test images that the model rebuilds better than your drawing.")
        likely = sketch.likely_class(ref, seen, dataset.classes)
        if likely is not None:
            likely_col.metric("Nearest codes", likely[0],
                              help=f"The most common class among the {view.NEIGHBOURS} test images whose codes are "
                                   f"nearest yours: {likely[1]} of them.")
        st.caption(f"Score s(x) = {seen.score:.4f}: {view.verdict(seen)}.")
        lessons.publish({"percentile": seen.percentile})
        st.image(view.neighbours_picture(active.dataset, seen),
                 caption="the test images whose codes are nearest your drawing's, nearest first")

st.subheader(f"Your drawing among the test images ({ref.method} of {active.name}'s codes)")
# A VAE's q(z|x) of the drawing on the map, and the image under the pointer decoded in the browser.
q_shown = (posterior.of_image(active, found.seen.image, "your drawing", view.plane(ref), posterior.seed("dw_resample"))
           if found is not None and posterior.applies(active, labelled=False) else None)
map_col, side_col = st.columns([3, 1])
map_col.plotly_chart(posterior.add_to(view.map_figure(ref, dataset.classes, found), q_shown), width="stretch",
                     config={"displayModeBar": False})
with side_col:
    if ref.codes.shape[1] >= 2:
        hover_decoder.panel(active, "draw", view.map_inverse(active, ref))
    if q_shown is not None:
        posterior.panel(active, q_shown, ref.method, "dw_resample")
st.caption("Each dot is a test image, placed by its code. The ★ is your drawing; the dotted line shows where it sat "
           "after each of its last strokes.")
if found is not None:
    explain("anomaly", view.concept_numbers(found.seen, ref),
            note=f"Measured with {active.name}; τ would be a high percentile of the normal images' scores, "
                 "as on the Anomaly page.")
