"""Load page: pick a pretrained model, upload a checkpoint, or download the active model."""

import streamlit as st

from aecore.limits import MAX_UPLOAD_MB
from ui.core import downloads, state
from ui import load
from ui.core.models import checkpoint_bytes, download_name, mse_versus_pca
from ui.core.router import require_router

require_router()

st.title("Load a model")
active = state.active_model()
dataset = state.active_dataset_name()
st.markdown(f"Active model: **{active.name}** ({active.source}, trained on {active.dataset}). "
            "Every page works with it; the sidebar switches it too.")

st.header(f"Pretrained models for {dataset}")
rows = load.pretrained_table(dataset, active.name)
if not rows:
    st.info(f"The zoo has no {dataset} model yet: train one on the Train page, or upload a checkpoint below.")
else:
    st.dataframe(rows, hide_index=True, column_config={
        "test MSE": st.column_config.NumberColumn(format="%.4f", help="Mean squared error per pixel, test set"),
        "PCA MSE": st.column_config.NumberColumn(format="%.4f", help="PCA with as many components as the code"),
        "ratio": st.column_config.NumberColumn(format="%.2fx", help="Test MSE / PCA MSE: below 1 beats PCA"),
    })
    where = downloads.zoo_errors_where(dataset)
    if where is not None:
        st.caption(f"The errors were {where}; the other pages measure each model on this machine's copy.")
    names = [row["name"] for row in rows]
    descriptions = {row["name"]: row["description"] for row in rows}
    pick_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    picked = pick_col.selectbox(
        "Pretrained model", names, key=load.PICK_KEY,
        index=names.index(active.name) if active.name in names else 0,
        format_func=lambda name: f"{name}: {descriptions[name]}",
    )
    button_col.button("Make it the active model", on_click=load.use_picked_pretrained,
                      disabled=picked == active.name, type="primary")

st.header("Upload a checkpoint")
st.markdown("A `.zip` holding `config.json` and `model.safetensors`, as saved by `aecore.save`, "
            "`python -m aecore train` or the download button below. Nothing in it is executed.")
st.file_uploader("Checkpoint (.zip)", type=["zip"], key=load.UPLOAD_KEY, on_change=load.take_upload,
                 help=f"Up to {MAX_UPLOAD_MB} MB; the pretrained models' checkpoints are under 1 MB.")
result = load.upload_result()
if result is not None:
    kind, message = result
    (st.error if kind == "error" else st.success)(message)

st.header("Download the active model")
st.markdown(f"**{active.name}**: test MSE {mse_versus_pca(active.metrics, active.pca)}. The checkpoint "
            "keeps its dataset and metrics, so uploading it here later brings back the same card.")
# A callable: the archive is only built when the button is clicked, not on every rerun.
st.download_button("Download checkpoint (.zip)", data=lambda: checkpoint_bytes(active),
                   file_name=download_name(active), mime="application/zip", on_click="ignore",
                   icon=":material/download:")
