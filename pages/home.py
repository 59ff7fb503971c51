"""Datasets page: what an autoencoder is, and a gallery of the active dataset."""

import streamlit as st

from ui import state
from ui.cache import gallery_image, load_dataset

st.title("Autoencoder Explorer")
st.markdown(
    "An **autoencoder** is a neural network trained to reproduce its input. An *encoder* squeezes "
    "each image into a short vector of numbers, the **code** (or latent vector), and a *decoder* "
    "rebuilds the image from that code alone. Because the code is far smaller than the image, the "
    "network cannot just copy pixels: it has to learn what the images have in common. The variants "
    "in this lab (sparse, denoising, contractive, variational) each put a different pressure on "
    "what that code learns."
)

name = state.active_dataset_name()
try:
    dataset = load_dataset(name)
except ValueError as error:  # a dataset whose files are missing says what to do
    st.error(str(error))
    st.stop()

st.header(f"Dataset: {dataset.name}")
channels, height, width = dataset.image_shape
images_col, shape_col, classes_col = st.columns(3)
images_col.metric("Images", f"{len(dataset):,}")
shape_col.metric("Image shape (C × H × W)", f"{channels} × {height} × {width}")
classes_col.metric("Classes", len(dataset.classes))
st.markdown("**Classes:** " + ", ".join(f"`{c}`" for c in dataset.classes))

st.subheader("Gallery")
per_class_col, seed_col = st.columns(2)
per_class = per_class_col.slider("Images per class", min_value=1, max_value=12, value=8)
seed = seed_col.number_input(
    "Shuffle seed", min_value=0, value=0, step=1,
    help="0 shows the first images of each class; any other number draws a random sample.",
)

rows = ("One row per class, top to bottom: " + ", ".join(dataset.classes)) if dataset.classes else None
st.image(
    gallery_image(name, per_class, int(seed)),
    caption=rows,
    output_format="PNG",  # JPEG would blur the enlarged pixels
    alt=f"{per_class} images per class from {dataset.name}",
)
