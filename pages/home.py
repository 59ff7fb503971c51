"""Home page: what an autoencoder is, where each page leads, and a gallery of the active dataset."""

import streamlit as st

from ui.core import lessons, state
from ui.core.cache import gallery_png, load_dataset, split_sizes, test_words
from ui.home_view import count_note, zoo_note, zoo_table
from ui.core.router import require_router

require_router()

# Each card: the page, its title, and the question it answers.
PAGE_CARDS = (
    ("pages/train.py", "Train", ":material/model_training:", "How does a model learn to compress?"),
    ("pages/load.py", "Load a model", ":material/upload_file:", "Which trained model should I explore, and can I keep mine?"),
    ("pages/denoise.py", "Reconstruct & denoise", ":material/blur_on:", "Can it clean up noisy images?"),
    ("pages/latent_map.py", "Latent map", ":material/scatter_plot:", "Where does each image sit in the code space?"),
    ("pages/interpolate.py", "Interpolate", ":material/linear_scale:", "What lies between two images?"),
    ("pages/sample.py", "Sample & traverse", ":material/casino:", "Can it draw new images, and what does each code unit do?"),
    ("pages/anomaly.py", "Anomaly detection", ":material/troubleshoot:", "Can it spot the image (or the table row) that does not belong?"),
    ("pages/compression.py", "Compression", ":material/compress:", "How small can the code get before the images suffer?"),
    ("pages/features.py", "Feature extraction", ":material/category:", "Do codes learned without labels help a classifier?"),
    ("pages/regularizers.py", "Inside the code", ":material/tune:", "What does each regularizer do to the code?"),
    ("pages/conv.py", "Inside a conv net", ":material/grid_on:", "What do the filters of a convolutional encoder see?"),
    ("pages/capacity.py", "Capacity: overfitting & overcomplete", ":material/stacked_line_chart:",
     "What goes wrong with too few images, or too wide a code?"),
    ("pages/draw.py", "Draw and see", ":material/draw:", "What does the model make of a digit I draw?"),
    ("pages/compare.py", "Compare models", ":material/compare:", "How does each regularizer reshape the code space?"),
    ("pages/recommend.py", "Recommend", ":material/recommend:", "Can a code of my tastes say what I will like next?"),
    ("pages/search.py", "Search by code", ":material/image_search:", "Which images look alike to the model, and to a 32-bit hash?"),
)
DIAGRAM = """digraph autoencoder {
    rankdir=LR; bgcolor="transparent";
    node [shape=box, style="rounded,filled", fillcolor="#eef2f7", fontname="sans-serif"];
    input [label="input image x"]; output [label="output x̂"];
    encoder [label="encoder", shape=trapezium, orientation=90, fillcolor="#cfe0f5"];
    code [label="code z\\n(a few numbers)", fillcolor="#ffe2b3"];
    decoder [label="decoder", shape=trapezium, orientation=270, fillcolor="#cfe0f5"];
    input -> encoder -> code -> decoder -> output;
}"""

st.title("Autoencoder Explorer")
st.markdown(
    "An **autoencoder** is a neural network trained to reproduce its input. An *encoder* squeezes "
    "each image into a short vector of numbers, the **code**, and a *decoder* rebuilds the image "
    "from that code alone. Because the code is far smaller than the image, the network cannot just "
    "copy pixels: it has to learn what the images have in common."
)
st.graphviz_chart(DIAGRAM)

columns = [column for _ in range(0, len(PAGE_CARDS), 3) for column in st.columns(3)]  # rows of three
for column, (path, title, icon, question) in zip(columns, PAGE_CARDS):
    with column.container(border=True):
        st.page_link(path, label=title, icon=icon)
        st.caption(question)

st.header("Lessons")
st.markdown("Guided tours for a class: each step opens a page with its settings and asks the class to "
            "**predict** what it will show before you **reveal** the answer. Step through with Next and Back; "
            "the address bar links to the step you are on.")
for column, lesson in zip(st.columns(len(lessons.lessons())), lessons.lessons().values()):
    with column.container(border=True):
        st.markdown(f"**{lesson.title}**")
        st.caption(f"{lesson.summary} ({len(lesson.steps)} steps)")
        st.button("Start", key=f"lesson_start_{lesson.name}", on_click=lessons.start, args=(lesson.name,))

name = state.active_dataset_name()
try:
    dataset = load_dataset(name)
except ValueError as error:  # a dataset whose files are missing says what to do
    st.error(str(error))
    st.stop()

st.header(f"Dataset: {dataset.name}")
channels, height, width = dataset.image_shape
images_col, shape_col, classes_col = st.columns(3)
train, test = split_sizes(name)
images_col.metric("Images", f"{train + test:,}", help=f"The images the pages read: {train:,} to train on and "
                  f"{test:,} test images that no model here trained on ({test_words(name)}).")
shape_col.metric("Image shape (C × H × W)", f"{channels} × {height} × {width}")
classes_col.metric("Classes", len(dataset.classes))
counted = count_note(name, train, test)
if counted is not None:
    st.caption(counted)
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
    gallery_png(name, per_class, int(seed)),
    caption=rows,
    output_format="PNG",  # JPEG would blur the enlarged pixels
    alt=f"{per_class} images per class from {dataset.name}",
)

table = zoo_table(name)
if table is not None:
    st.subheader("The pretrained models")
    st.bar_chart(table, stack=False, height=320, y_label="test MSE (lower is better)")
    st.caption(zoo_note(name))
