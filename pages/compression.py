"""Compression: reconstruction error against code size, the autoencoder against PCA."""

import streamlit as st

from ui import compression_view as view
from ui.core import jobs, state
from ui.core.router import require_router

require_router()

st.title("Compression")
st.markdown(
    "An autoencoder compresses an image into a code of **k** numbers. The smaller the code, the more "
    "it compresses and the more detail it loses. Each point below is one model trained with a k-number "
    "code, beside **PCA** keeping k components (the best *linear* code of that size). The ratio under "
    "each size compares the raw 8-bit image with the code stored as 8-bit or 16-bit numbers."
)

name = state.active_dataset_name()
error = view.collect_job()
if error:
    st.error(f"The sweep failed: {error}")
sources = {}
try:
    sources["precomputed"] = view.shipped_sweep(name)
except ValueError as missing:
    st.info(str(missing))
if name in view.own_sweeps():
    sources["recomputed in this session"] = view.own_sweeps()[name]

source_col, bits_col = st.columns([2, 1])
bits = bits_col.radio("Code stored as", (8, 16), format_func=lambda b: f"{b}-bit numbers", horizontal=True,
                      help="Each number of the code quantized to 8 or 16 bits; the raw image has 8 bits per pixel.")
if sources:
    chosen = source_col.radio("Sweep", list(sources), horizontal=True, index=len(sources) - 1)
    sweep = sources[chosen]
    recipe = sweep["recipe"]
    st.caption(f"{name}: {recipe['kind']} {recipe['arch']}, {recipe['epochs']} epochs per size, "
               "test split of the zoo (20%).")
    mse_tab, psnr_tab, table_tab = st.tabs(["MSE", "PSNR", "Table"])
    mse_tab.plotly_chart(view.curve_figure(sweep, "mse", bits), width="stretch", key="mse_chart")
    psnr_tab.plotly_chart(view.curve_figure(sweep, "psnr", bits), width="stretch", key="psnr_chart")
    table_tab.dataframe(view.table_rows(sweep, bits), hide_index=True)
    st.plotly_chart(view.reconstruction_figure(sweep, bits), width="stretch", key="images_chart")

st.subheader("Recompute the sweep")
defaults = view.recipe(name)
with st.form("sweep_form"):
    kind_col, dims_col, epochs_col = st.columns([1, 2, 1])
    kind = kind_col.selectbox("Kind", view.kinds())
    dims = dims_col.multiselect("Latent sizes", [1, 2, 4, 8, 16, 32], default=defaults["latent_dims"])
    epochs = epochs_col.number_input("Epochs per size", min_value=1, max_value=500, value=defaults["epochs"])
    st.caption(f"One {defaults['arch']} model per size, trained in the background by the server's job queue; "
               "its progress shows below while it runs.")
    submitted = st.form_submit_button("Run the sweep", disabled=view.running_job() is not None)
if submitted:
    if not dims:
        st.warning("Choose at least one latent size.")
    else:
        view.start_job(name, kind, dims, int(epochs))
        st.rerun()  # redraw with the button disabled and the progress polling


def draw_running(job: jobs.Job) -> None:
    fraction, text = view.progress_text(job)
    st.progress(fraction, text=f"Sweeping: {text}")


jobs.job_panel(view.PURPOSE, draw_running, cancel_label="Stop", cancel_help="End the sweep; nothing is kept.")
