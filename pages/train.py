"""Train page: pick a dataset, a model kind and its options, train in the background, watch it learn.

Training runs in a worker process from the server's one queue (`ui.core.jobs`), so moving a widget
or visiting another page does not end it and does not slow it down; a fragment redraws its progress
every second.
"""

import streamlit as st

import aecore
from aecore.run import FitSettings, RunSpec
from ui.core import jobs, state
from ui import training
from ui.core.cache import offline_datasets
from ui.core.router import require_router
from ui.train_form import option_fields, option_widgets

require_router()
KEEP = state.KEEP_ACROSS_PAGES  # see ui.core.state

st.title("Train a model")
st.markdown(
    "Choose a dataset, a kind of autoencoder and its settings, then train it here. Training runs "
    "in the background: you can keep using the app meanwhile. When it ends, the model becomes the "
    "**active model** of every page, next to PCA with as many components as the code has numbers."
)

job = training.current_job()
if job is not None and job.finished and training.current_result() is None and training.collect(job) is not None:
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
kind = kind_col.selectbox("Model kind", kinds, index=kinds.index(recipe.kind) if recipe.kind in kinds else 0,
                         key="train_kind", persist_state=KEEP)
# Keyed by dataset: each dataset starts from its own recipe (the MLP for digits, conv for shapes).
arch = arch_col.selectbox("Architecture", archs, index=archs.index(recipe.arch), key=f"train_arch_{dataset}",
                          persist_state=KEEP)
latent_dim = latent_col.number_input("Latent dimension", min_value=1, max_value=256, value=recipe.latent_dim,
                                     key=f"train_latent_{dataset}", persist_state=KEEP,
                                     help="The size of the code z, and PCA's number of components.")

own_fields, shared_fields = option_fields(kind)
if own_fields:
    st.markdown(f"**Options of `{kind}`**")
options, errors = option_widgets(kind, own_fields)
with st.expander("Network and likelihood"):
    network, network_errors = option_widgets(kind, shared_fields)

st.markdown("**Training**")
epochs_col, batch_col, lr_col, schedule_col, warmup_col = st.columns(5)
epochs = epochs_col.number_input("Epochs", min_value=1, max_value=10_000, value=recipe.fit.epochs,
                                 key=f"train_epochs_{dataset}", persist_state=KEEP)
batch_size = batch_col.number_input("Batch size", min_value=1, max_value=4096, value=recipe.fit.batch_size,
                                    key=f"train_batch_{dataset}", persist_state=KEEP)
lr = lr_col.number_input("Learning rate", min_value=1e-6, max_value=1.0, value=recipe.fit.lr, step=1e-4,
                         format="%g", key=f"train_lr_{dataset}", persist_state=KEEP)
schedule = schedule_col.selectbox(
    "Schedule", aecore.SCHEDULES, index=aecore.SCHEDULES.index(recipe.fit.schedule), key=f"train_schedule_{dataset}",
    persist_state=KEEP, help="constant: the same learning rate throughout; onecycle: up to it over the first 30% "
                             "of the run, then down to almost 0, which reaches a lower loss in a short run.")
warmup = warmup_col.number_input(
    "Regularizer warm-up (epochs)", min_value=0.0, value=0.0, step=1.0, format="%g", key="train_warmup",
    persist_state=KEEP,
    help="The regularizer (KL, sparsity, contraction) ramps up from 0 over this many epochs; "
         "for a VAE this avoids posterior collapse.")

if st.button("Train", type="primary", icon=":material/play_arrow:", disabled=busy, key="train_start"):
    if errors or network_errors:
        st.error("\n\n".join(errors + network_errors))
    else:
        spec = RunSpec(dataset=dataset, kind=kind, arch=arch, latent_dim=int(latent_dim), options={**options, **network},
                       fit=FitSettings(epochs=int(epochs), batch_size=int(batch_size), lr=float(lr),
                                       warmup_epochs=float(warmup), seed=recipe.fit.seed, schedule=schedule),
                       preview=training.PREVIEW_IMAGES)
        try:
            training.start_job(spec)
        except ValueError as error:  # a bad option, or a dataset that cannot load: say why
            st.error(str(error))
        else:
            st.rerun()  # redraw with the Train button disabled and the progress polling


def draw_progress(snap: aecore.RunSnapshot, seconds: float) -> None:
    st.progress(snap.fraction, text=training.status_text(snap))
    speed_col, left_col, time_col, loss_col = st.columns(4)
    speed_col.metric("Samples per second", f"{snap.samples_per_second:,.0f}")
    left_col.metric("Time left", jobs.format_seconds(0 if snap.finished else snap.seconds_left),
                    help="From this run's own pace, measured after its first epoch.")
    time_col.metric("Elapsed", jobs.format_seconds(seconds))
    loss_col.metric("Batch loss", f"{snap.losses['total']:.2f}" if snap.losses else "…")
    chart_col, preview_col = st.columns([3, 2])
    if snap.train_history:
        chart_col.plotly_chart(training.loss_figure(snap), width="stretch")
    else:
        chart_col.info("The loss curves appear after the first epoch.")
    preview_col.image(training.preview_image(snap), output_format="PNG",
                      caption=f"Test images (top) and their reconstructions after epoch {snap.reconstructions_epoch}")


def draw_running(job: jobs.Job) -> None:
    if job.progress is None:
        st.progress(0.0, text="Starting: loading the data in a worker…")
    else:
        draw_progress(job.progress, job.seconds)


if job is not None:
    st.subheader("Training run")
    jobs.job_panel(training.PURPOSE, draw_running, cancel_label="Stop",
                   cancel_help="Queued: leave the queue. Training: end after the current batch and keep the "
                               "weights learned so far, which you can then choose to use.")
    result = training.current_result()
    if job.state == jobs.FAILED:
        st.error(f"Training failed: {job.error}")
    elif job.state == jobs.CANCELLED and result is None:
        st.warning(f"Training was cancelled{': ' + job.error if job.error else ''}.")
    elif result is not None:
        draw_progress(result.snapshot, job.seconds)
        if result.stopped and state.active_model().name != result.name:
            st.warning(f"Stopped after {len(result.snapshot.train_history)} of {result.snapshot.epochs} epochs. "
                       "The half-trained model was kept but is not in use.", icon=":material/pause_circle:")
            st.button("Use the half-trained model", on_click=training.adopt, args=(result,), key="train_adopt")
        elif state.active_model().name == result.name:
            st.success(f"**{result.name}** is now the active model.", icon=":material/check_circle:")
        else:
            st.info(f"**{result.name}** was trained; pick it again in the sidebar to use it.")
        st.table(training.comparison_rows(result.snapshot.metrics, result.snapshot.pca))
        st.download_button("Download the model (.zip)", data=result.zip_bytes, file_name=result.file_name,
                           mime="application/zip", on_click="ignore", icon=":material/download:",
                           key="train_download", help="Upload it on the Load page to use it again.")
