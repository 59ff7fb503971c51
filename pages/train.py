"""Train page: pick a dataset, a model kind and its options, train in the background, watch it learn.

Training runs in a thread (`aecore.TrainingJob`) kept in the session, so moving a widget or
visiting another page does not end it; a fragment redraws its progress twice a second.
"""

import streamlit as st

import aecore
from aecore.jobs import FAILED, STOPPED
from ui import state, training
from ui.cache import offline_datasets
from ui.router import require_router
from ui.train_form import option_fields, option_widgets

require_router()
KEEP = state.KEEP_ACROSS_PAGES  # see ui.state

st.title("Train a model")
st.markdown(
    "Choose a dataset, a kind of autoencoder and its settings, then train it here. Training runs "
    "in the background: you can keep using the app meanwhile. When it ends, the model becomes the "
    "**active model** of every page, next to PCA with as many components as the code has numbers."
)

job = training.current_job()
if job is not None and training.adopt_if_finished(job):
    st.rerun()  # it finished while this page was not open: rerun so the sidebar shows the new model
busy = job is not None and not job.finished

datasets = offline_datasets()
active = state.active_dataset_name()
kinds, archs = aecore.list_models(), aecore.list_archs()
dataset_col, kind_col, arch_col, latent_col = st.columns(4)
dataset = dataset_col.selectbox("Dataset", datasets, index=datasets.index(active) if active in datasets else 0,
                                key="train_dataset", persist_state=KEEP,
                                help="The split is the CLI's: 80% train, 20% test.")
recipe = training.recipe(dataset)
kind = kind_col.selectbox("Model kind", kinds, index=kinds.index(recipe["kind"]) if recipe["kind"] in kinds else 0,
                         key="train_kind", persist_state=KEEP)
# Keyed by dataset: each dataset starts from its own recipe (the MLP for digits, conv for shapes).
arch = arch_col.selectbox("Architecture", archs, index=archs.index(recipe["arch"]), key=f"train_arch_{dataset}",
                          persist_state=KEEP)
latent_dim = latent_col.number_input("Latent dimension", min_value=1, max_value=256, value=recipe["latent_dim"],
                                     key="train_latent", persist_state=KEEP,
                                     help="The size of the code z, and PCA's number of components.")

own_fields, shared_fields = option_fields(kind)
if own_fields:
    st.markdown(f"**Options of `{kind}`**")
options, errors = option_widgets(kind, own_fields)
with st.expander("Network and likelihood"):
    network, network_errors = option_widgets(kind, shared_fields)

st.markdown("**Training**")
epochs_col, batch_col, lr_col, warmup_col = st.columns(4)
epochs = epochs_col.number_input("Epochs", min_value=1, max_value=10_000, value=recipe["epochs"],
                                 key=f"train_epochs_{dataset}", persist_state=KEEP)
batch_size = batch_col.number_input("Batch size", min_value=1, max_value=4096, value=recipe["batch_size"],
                                    key=f"train_batch_{dataset}", persist_state=KEEP)
lr = lr_col.number_input("Learning rate", min_value=1e-6, max_value=1.0, value=recipe["lr"], step=1e-4,
                         format="%g", key=f"train_lr_{dataset}", persist_state=KEEP)
warmup = warmup_col.number_input(
    "Regularizer warm-up (epochs)", min_value=0.0, value=0.0, step=1.0, format="%g", key="train_warmup",
    persist_state=KEEP,
    help="The regularizer (KL, sparsity, contraction) ramps up from 0 over this many epochs; "
         "for a VAE this avoids posterior collapse.")

if st.button("Train", type="primary", icon=":material/play_arrow:", disabled=busy, key="train_start"):
    if errors or network_errors:
        st.error("\n\n".join(errors + network_errors))
    else:
        try:
            training.start_job(dataset, kind, arch, int(latent_dim), {**options, **network},
                               epochs=int(epochs), batch_size=int(batch_size), lr=float(lr),
                               warmup_epochs=float(warmup))
        except ValueError as error:  # a bad option, or a dataset that cannot load: say why
            st.error(str(error))
        else:
            st.rerun()  # redraw with the Train button disabled and the progress polling


@st.fragment(run_every=0.5 if busy else None)
def job_panel(job: aecore.TrainingJob, was_busy: bool) -> None:
    snap = job.snapshot()
    if was_busy and snap.finished:
        training.adopt_if_finished(job)
        st.rerun()  # the whole app: the sidebar shows the new model and this fragment stops polling
    st.progress(snap.fraction, text=training.status_text(snap))
    speed_col, left_col, time_col, loss_col, stop_col = st.columns(5)
    speed_col.metric("Samples per second", f"{snap.samples_per_second:,.0f}")
    left_col.metric("Time left", training.format_seconds(snap.seconds_left if not snap.finished else 0))
    time_col.metric("Elapsed", training.format_seconds(snap.seconds))
    loss_col.metric("Batch loss", f"{snap.losses['total']:.2f}" if snap.losses else "…")
    stop_col.button("Stop", icon=":material/stop:", on_click=job.stop, disabled=snap.finished, key="train_stop",
                    help="End training after the current batch and keep the weights learned so far.")
    chart_col, preview_col = st.columns([3, 2])
    if snap.train_history:
        chart_col.plotly_chart(training.loss_figure(snap), width="stretch")
    else:
        chart_col.info("The loss curves appear after the first epoch.")
    preview_col.image(training.preview_image(snap), output_format="PNG",
                      caption=f"Test images (top) and their reconstructions after epoch {snap.reconstructions_epoch}")


if job is not None:
    st.subheader("Training run")
    job_panel(job, busy)
    snap = job.snapshot()
    result = training.current_result()
    if snap.state == FAILED:
        st.error(f"Training failed: {snap.error}")
    elif result is not None:
        stopped = " (stopped early: the weights learned so far)" if snap.state == STOPPED else ""
        if state.active_model().name == result.name:
            st.success(f"**{result.name}** is now the active model{stopped}.", icon=":material/check_circle:")
        else:
            st.info(f"**{result.name}** was trained{stopped}; pick it again in the sidebar to use it.")
        st.table(training.comparison_rows(snap.metrics, snap.pca))
        st.download_button("Download the model (.zip)", data=result.zip_bytes, file_name=result.file_name,
                           mime="application/zip", on_click="ignore", icon=":material/download:",
                           key="train_download", help="Upload it on the Load page to use it again.")
