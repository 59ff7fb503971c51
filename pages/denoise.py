"""Reconstruct & denoise lab: test images through noise and two models, scored with PSNR."""

import streamlit as st

import aecore
from aecore import lab
from aecore.limits import MAX_UPLOAD_MB
from ui import denoise_view as view
from ui.core import state
from ui.core.cache import read_upload
from ui.core.router import require_router

require_router()

st.title("Reconstruct & denoise")
st.markdown(
    "Each column is one test image the models never trained on. Row by row: the **clean** image, a "
    "**noisy** copy, what each model rebuilds from the noisy copy, and where that rebuild is wrong "
    "(**|error|**, bright = wrong). The number under a picture is its **PSNR** against the clean image: "
    "higher is closer. Drag the slider under the pictures to raise the noise and watch a plain "
    "autoencoder fall behind one trained to denoise."
)

name = state.active_dataset_name()
try:
    test = view.test_split(name)
except ValueError as error:  # a dataset whose files are missing says what to do
    st.error(str(error))
    st.stop()
names = view.model_names(name)
if not names:
    st.info(f"No model fits the {name} dataset yet: train one on the Train page or load one.")
    st.stop()

first, second = view.default_pair(name, names)
model_col, other_col = st.columns(2)
model_a = model_col.selectbox("Model A", names, index=names.index(first))
others = [None, *names]
model_b = other_col.selectbox("Model B, side by side", others, index=others.index(second),
                              format_func=lambda option: option or "none",
                              help="The dataset's denoising autoencoder by default: compare it with model A.")

# The noise controls are as the user left them after another page; the level is kept per noise kind.
KEEP = state.KEEP_ACROSS_PAGES
kind_col, level_col, seed_col = st.columns([1, 2, 1])
kind = kind_col.selectbox("Noise", aecore.noise.list_noise(), key="denoise_kind", persist_state=KEEP)
levels = lab.noise_levels(kind)
level = level_col.slider(view.noise_level_label(kind), min_value=levels[0], max_value=levels[-1],
                         value=view.default_level(levels), step=levels[1] - levels[0], format="%.2f",
                         key=f"denoise_level_{kind}", persist_state=KEEP,
                         help="Where the pictures start; the slider under them moves through every level live.")
seed = int(seed_col.number_input("Seed", min_value=0, value=0, step=1, key="denoise_seed", persist_state=KEEP,
                                 help="Fixes the noise and the shuffle."))

count_col, classes_col, shuffle_col = st.columns([1, 2, 1])
count = count_col.slider("Images", min_value=1, max_value=32, value=12, key="denoise_count", persist_state=KEEP)
chosen = classes_col.multiselect("Classes", test.classes, default=test.classes, disabled=not test.classes)
shuffle = shuffle_col.checkbox("Shuffle", key="denoise_shuffle", persist_state=KEEP,
                               help="Off: the classes take turns in test-set order. On: a random draw.")
classes = tuple(test.classes.index(c) for c in chosen)

with st.expander("Your own image"):
    upload_col, invert_col = st.columns([3, 1])
    file = upload_col.file_uploader("A PNG or JPEG", type=["png", "jpg", "jpeg"],
                                    help=f"Up to {MAX_UPLOAD_MB} MB; any width and height, scaled to fit.")
    invert = invert_col.checkbox("Invert colours", help="For a dark drawing on light paper: the datasets "
                                 "draw light shapes on black.")
upload = None
if file is not None:
    try:
        upload = read_upload(file.file_id, file.getvalue(), test.image_shape, invert, file.name)
    except ValueError as error:
        st.error(str(error))

if test.classes and not classes:
    st.warning("Choose at least one class to draw images from.")
    st.stop()
actives = view.chosen_models(model_a, model_b)
upload_key = f"{file.file_id}:{invert}" if upload is not None else None
try:
    lab_view, index, grid_figure = view.lab_view(name, actives, kind, seed, count, classes, shuffle, upload, upload_key, level)
except ValueError as error:  # e.g. a session model trained on images of another size
    st.error(str(error))
    st.stop()

noisy_psnr = lab_view.mean_psnr[lab.NOISY][index]
metric_cols = st.columns(1 + len(actives))
metric_cols[0].metric(f"Noisy input PSNR at {lab_view.levels[index]:.2f}", view.psnr_text(noisy_psnr),
                      help="Mean over the test images shown.")
for col, active in zip(metric_cols[1:], actives):
    value = lab_view.mean_psnr[active.name][index]
    col.metric(f"{active.name} PSNR", view.psnr_text(value),
               delta=None if noisy_psnr >= 99.9 else f"{value - noisy_psnr:+.1f} dB against the noisy input")

st.plotly_chart(grid_figure, width="stretch", config={"displayModeBar": False})

st.subheader("PSNR against noise level")
st.caption(f"Mean over {view.CURVE_IMAGES} fixed test images, every class in turn, with one noise draw (the "
           "images and seed above change the grid, not this curve); the dashed line is the level chosen above. "
           "Where a model's line stays above the dotted one, it removes noise.")
st.plotly_chart(view.curve_figure(name, actives, kind, level), width="stretch")
