"""Compression: what a k-number code keeps (the autoencoder against PCA), and what it costs once
each number is really stored in b bits, beside PNG and JPEG files of the same images."""

import streamlit as st

from ui import compression_view as view
from ui.core import jobs, lessons, presenter, state, zoo_results
from ui.core.cache import test_words
from ui.core.concepts import explain
from ui.core.router import require_router

require_router()

st.title("Compression")
st.markdown(
    "An autoencoder compresses an image into a code of **k** numbers. The smaller the code, the more "
    "it compresses and the more detail it loses. Each size below is one model trained with a k-number "
    "code, beside **PCA** keeping k components (the best *linear* code of that size)."
)

name = state.active_dataset_name()
error = view.collect_job()
if error:
    st.error(f"The sweep failed: {error}")
sources = view.sources(name)
if not sources:
    st.info(view.missing_words(name))
    zoo_results.draw_measuring_wait(name)
else:
    source = st.radio("Sweep", list(sources), format_func=view.SOURCES.get,
                      horizontal=True, key=view.SOURCE_KEY, bind="query-params")
    sweep = sources[source]
    recipe = sweep["recipe"]
    st.caption(f"{name}: {recipe['kind']} {recipe['arch']}, {recipe['epochs']} epochs per size, "
               f"{sweep['test_images']} test images ({test_words(name)}).{view.source_words(sweep)}")
    sizes = view.sizes_of(sweep)
    if st.session_state.get("cp_k") not in sizes:  # a size of another sweep, or none yet
        st.session_state.pop("cp_k", None)

    st.subheader("The bottleneck: what a k-number code keeps")
    k = st.select_slider("Code size k", sizes, **state.initial("cp_k", view.default_k(sweep)), key="cp_k", bind="query-params",
                         help="Which sweep model the numbers and the pictures start from.")
    explain("bottleneck", view.bottleneck_live(sweep, k))
    lessons.publish(view.lesson_facts(sweep, k))
    st.plotly_chart(view.trade_off_figure(sweep, k, presenter.scale(56)), width="stretch", key="cp_trade_off")
    explain("bottleneck_size", view.size_live(sweep),
            note="Move the Code size k slider above: the rebuilds, the ring on the curve, the figure's title "
                 "and the numbers beside the formulas all follow it.")

    st.subheader("Storing the code: b bits per number")
    bits = st.slider("Bits per code number (b)", 2, 16, **state.initial("cp_bits", view.DEFAULT_BITS), key="cp_bits", bind="query-params",
                     help="Each code unit is cut into 2^b levels between its min and max on the training codes.")
    explain("compression", view.compression_live(sweep, k, bits),
            note="Every number here is measured after quantization: the test codes rounded to b bits, then decoded.")
    st.plotly_chart(view.quantized_picture(sweep, source, k, bits, presenter.scale(56)), width="stretch",
                    key="cp_quantized")
    mse_tab, psnr_tab, table_tab = st.tabs(["MSE", "PSNR", "Table with PNG and JPEG"])
    mse_tab.plotly_chart(view.curve_figure(sweep, "mse", bits, presenter.scale(420)), width="stretch", key="cp_mse")
    psnr_tab.plotly_chart(view.curve_figure(sweep, "psnr", bits, presenter.scale(420)), width="stretch", key="cp_psnr")
    table_tab.dataframe(view.anchor_rows(sweep, bits), hide_index=True)
    table_tab.caption(
        f"{view.anchor_words(sweep)}, each saved as its own file with Pillow: PNG is "
        "lossless; the JPEG quality (1 to 95) is the lowest whose PSNR reaches the autoencoder's. A file of a "
        "tiny image is mostly header, and the code needs its decoder: a fair anchor, not a contest.")

with presenter.secondary("Recompute the sweep"):
    st.subheader("Recompute the sweep")
    defaults = view.recipe(name)
    with st.form("sweep_form"):
        kind_col, dims_col, epochs_col = st.columns([1, 2, 1])
        kind = kind_col.selectbox("Kind", view.kinds(), key="cp_kind", bind="query-params")
        dims = dims_col.multiselect("Latent sizes", [1, 2, 4, 8, 16, 32], default=defaults["latent_dims"],
                                    key="cp_dims", bind="query-params")
        epochs = epochs_col.number_input("Epochs per size", min_value=1, max_value=500, value=defaults["epochs"],
                                         key="cp_epochs", bind="query-params")
        st.caption(f"One {defaults['arch']} model per size, trained in the background by the server's job "
                   "queue; its progress shows below while it runs.")
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
