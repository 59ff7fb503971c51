"""Search by code: a query's nearest test images by the model's code, by PCA's and by the pixels, and
by a binary hash (semantic hashing), each scored by precision@k by label."""

import streamlit as st

from aecore.limits import MAX_UPLOAD_MB
from ui import search_view as view
from ui.core import presenter, sketch_pad, state
from ui.core.cache import test_split
from ui.core.concepts import explain
from ui.core.router import require_router

require_router()

st.title("Search by code")
st.markdown(
    "An autoencoder's code is a short description of an image: images whose codes lie close should look "
    "alike. So a collection can be **searched by code**: encode the query, find the nearest codes. Below, "
    "a query's nearest test images by the active model's code, by **PCA**'s code of the same size and by the "
    "raw **pixels**; each is scored by **precision@k**, the share of a query's k nearest images that carry its "
    "label, over every test image as a query. **Semantic hashing** (Salakhutdinov and Hinton, 2009) goes "
    "further: a code of a few **bits**, trained for it, searched by **Hamming distance** (the number of bits "
    "that differ), at a fraction of the memory."
)

active = state.active_model()
dataset = active.dataset
test = test_split(dataset)
if test.labels is None:
    st.info(f"The {dataset} images carry no labels: precision@k needs a labelled dataset such as digits.")
    st.stop()
hashing = view.hashing_model(active)
found, job = view.measured(active, hashing)
if found is None:
    view.draw_pending(job, active)
    st.stop()

source_col, k_col = st.columns([3, 2])
source = source_col.radio("Query", list(view.SOURCES), format_func=view.SOURCES.get, horizontal=True,
                          key="sr_source", bind="query-params")
k = k_col.slider("k nearest", 1, view.largest_k(found), min(10, view.largest_k(found)), key="sr_k", bind="query-params",
                 help="How many nearest images each search returns; precision@k counts them all, the pictures "
                      f"show the first {view.SHOWN}.")
query_col, what_col = st.columns([1, 3])
with what_col:
    try:
        if source == "test":
            row = st.number_input(f"Test image (0 to {len(test) - 1})", 0, len(test) - 1, 0, key="sr_row",
                                  bind="query-params")
            query = view.test_query(dataset, int(row))
        elif source == "upload":
            file = st.file_uploader("A PNG or JPEG", type=["png", "jpg", "jpeg"], key="sr_file",
                                    help=f"Up to {MAX_UPLOAD_MB} MB; any width and height, scaled to fit.")
            invert = st.checkbox("Invert colours", key="sr_invert", bind="query-params",
                                 help="For a dark drawing on light paper: the datasets draw light shapes on black.")
            if file is None:
                raise ValueError("Upload a PNG or JPEG to search for it.")
            query = view.upload_query(dataset, file, invert)
        else:
            strokes = sketch_pad.canvas(view.CANVAS_KEY, view.STROKES_KEY, view.pen(dataset), "Draw a digit")
            query = view.drawing_query(dataset, strokes)
    except ValueError as error:  # no file yet, a file that is no image, an empty canvas, colour images
        st.info(str(error))
        st.stop()
query_col.image(view.query_picture(query), caption="the query, as the model sees it")

titles = {name: view.title(name, found, active, hashing) for name in found.hits}
st.subheader("Its nearest test images by code, by PCA, by pixels")
st.caption("Green frame: the neighbour carries the query's label; red: another. precision@k is the mean over "
           "every test image as a query against the others.")
view.draw_codes(view.FLOATS, active, hashing, found, query, k, titles)
st.markdown(view.comparison(found, "model", "pca", "the model's code", "PCA", k))

st.subheader("Semantic hashing: a code of bits")
if hashing is None:
    st.info(f"The zoo has no hashing model of {dataset}: train one on the Train page (kind hashing) to see it here.")
else:
    columns = view.draw_codes(view.BITS, active, hashing, found, query, k, titles)
    columns[2].markdown(view.memory_words(found, dataset))
    st.markdown(view.comparison(found, "hash", "pca_bits", "the trained hash", "the signs of PCA", k))
st.dataframe(view.memory_table(found, dataset, k, titles), hide_index=True,
             column_config={"bytes per image": st.column_config.NumberColumn(format="%d")})
explain("retrieval", view.concept_numbers(found, dataset, k, titles),
        note="Every number here follows the k slider; the pictures above follow the query too.")
with presenter.secondary():
    st.caption("Searched with faiss: IndexFlatL2 for numbers, IndexBinaryFlat for bits, both exact. For a "
               "collection of millions, aecore.retrieval builds faiss's approximate HNSW or IVF index instead "
               "(bench/bench_retrieval.py measures their time, memory and recall).")
