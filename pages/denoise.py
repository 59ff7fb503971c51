"""Reconstruct & denoise lab: test images through noise and two models, scored with PSNR."""

import streamlit as st

import aecore
from aecore.studies import lab
from aecore.limits import MAX_UPLOAD_MB
from ui import denoise_view as view
from ui.core import lessons, presenter, state
from ui.core.cache import read_upload
from ui.core.concepts import explain
from ui.core.router import require_router

require_router()

st.title("Reconstruct & denoise")
st.markdown(
    "Each column is one test image the models never trained on. Row by row: the **clean** image, a "
    "**noisy** copy, what each model rebuilds from the noisy copy, and where that rebuild is wrong "
    "(**|error|**, bright = wrong). The number under a picture is its **PSNR** against the clean image: "
    "higher is closer. Drag the slider under the pictures to raise the noise: the pictures, the mean "
    "PSNR above them and the marker on the curve below all follow: watch how a plain autoencoder and "
    "one trained to denoise hold up as the noise rises."
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

# Every control is in the URL (a shared link opens the same view) and as the user left it after
# another page. The model pickers' options depend on the dataset: a link naming another dataset's
# model falls back to the default pair.
KEEP = state.KEEP_ACROSS_PAGES
LINK = "query-params"
first, second = view.default_pair(name, names)
model_col, other_col = st.columns(2)
model_a = model_col.selectbox("Model A", names, index=names.index(first), key="dn_a", bind=LINK)
others = [view.NO_MODEL, *names]
model_b = other_col.selectbox("Model B, side by side", others, index=others.index(second or view.NO_MODEL),
                              key="dn_b", bind=LINK,
                              help="The dataset's denoising autoencoder by default: compare it with model A.")

kind_col, level_col, count_col = st.columns([1, 2, 1])
kind = kind_col.selectbox("Noise", aecore.noise.list_noise(), key="dn_kind", bind=LINK, persist_state=KEEP)
levels = lab.noise_levels(kind)
level = level_col.slider(f"Start at {view.noise_level_label(kind)}", min_value=levels[0], max_value=levels[-1],
                         **state.initial("dn_level", view.default_level(levels)), step=levels[1] - levels[0],
                         format="%.2f",
                         key="dn_level", bind=LINK, persist_state=KEEP,
                         help="Where the figure starts; the slider inside it moves through every level live.")
count = count_col.slider("Images", min_value=1, max_value=32, value=12, key="dn_count", bind=LINK, persist_state=KEEP)

with presenter.secondary("Seed, classes, your own image"):
    seed_col, classes_col, shuffle_col = st.columns([1, 4, 1])  # room for ten class tags (the "9" was cut)
    seed = int(seed_col.number_input("Seed", min_value=0, value=0, step=1, key="dn_seed", bind=LINK,
                                     persist_state=KEEP, help="Fixes the noise and the shuffle."))
    view.forget_other_classes("dn_classes", test.classes)
    chosen = classes_col.multiselect("Classes", test.classes, default=test.classes, disabled=not test.classes,
                                     key="dn_classes", bind=LINK)
    shuffle = shuffle_col.checkbox("Shuffle", key="dn_shuffle", bind=LINK, persist_state=KEEP,
                                   help="Off: the classes take turns in test-set order. On: a random draw.")
    # An expander cannot hold another: inside presenter mode's folded controls the upload is a plain box.
    with st.container(border=True) if presenter.presenting() else st.expander("Your own image"):
        upload_col, invert_col = st.columns([3, 1])
        file = upload_col.file_uploader("A PNG or JPEG", type=["png", "jpg", "jpeg"],
                                        help=f"Up to {MAX_UPLOAD_MB} MB; any width and height, scaled to fit.")
        invert = invert_col.checkbox("Invert colours", key="dn_invert", bind=LINK,
                                     help="For a dark drawing on light paper: the datasets draw light shapes on black.")
classes = tuple(test.classes.index(c) for c in chosen)
upload = None
if file is not None:
    try:
        upload = read_upload(file.file_id, file.getvalue(), test.image_shape, invert, file.name)
    except ValueError as error:
        st.error(str(error))

if test.classes and not classes:
    st.warning("Choose at least one class to draw images from.")
    st.stop()
actives = view.chosen_models(model_a, None if model_b == view.NO_MODEL else model_b)
upload_key = f"{file.file_id}:{invert}" if upload is not None else None
try:
    lab_view, index, figure = view.lab_view(name, actives, kind, seed, count, classes, shuffle, upload, upload_key,
                                            level, zoom=presenter.scale(100) / 100)
except ValueError as error:  # e.g. a session model trained on images of another size
    st.error(str(error))
    st.stop()

st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})
st.caption(f"Above the pictures: the mean PSNR over the images shown. Below: PSNR against noise level over "
           f"{view.CURVE_IMAGES} fixed test images, every class in turn, with one noise draw (the images and seed "
           "above change the grid, not this curve); the dots mark the level shown. Where a model's line stays "
           "above the dotted one, it removes noise.")

meaning, _, _ = aecore.noise.describe_level(kind)
lessons.publish(view.lesson_facts(lab_view, index, actives))
explain("denoising", live=view.concept_numbers(lab_view, index, actives),
        note=f"The numbers here are at the starting level {lab_view.levels[index]:.2f}; the figure's own numbers "
             f"follow its slider. The formula shows Gaussian noise; the noise now is {kind} (level: {meaning}).")
