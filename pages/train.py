"""Train page: a model kind and its options on the sidebar's dataset, trained in the background, watched
as it learns, with the formula of its loss beside the live value of each term.

Training runs in a worker process from the server's one queue (`ui.core.jobs`), so moving a widget
or visiting another page does not end it and does not slow it down; a fragment redraws its progress
every second. Every control is in the URL (`ui.train_form`), so a link opens the same form.
"""

import streamlit as st

from ui import train_form, training
from ui.core import jobs, state
from ui.core.router import require_router

require_router()

st.title("Train a model")
st.markdown(
    "Choose a kind of autoencoder and its settings, then train it here. Training runs in the background: "
    "you can keep using the app meanwhile. When it ends, the model becomes the **active model** of every "
    "page, next to PCA with as many components as the code has numbers."
)

job = training.current_job()
if job is not None and job.finished and training.current_result() is None and training.collect(job) is not None:
    st.rerun()  # it finished while this page was not open: rerun so the sidebar shows the new model
busy = job is not None and not job.finished

dataset = state.active_dataset_name()
spec, errors = train_form.draw(dataset, training.recipe(dataset), training.PREVIEW_IMAGES)

# The formula of the loss this form would train. When the run drawn below trains the same loss, its
# block (with the live terms) stands for it.
run_loss = training.run_loss(job)
form_concept = training.concept_key(spec.kind, spec.options)
if run_loss is None or training.concept_key(run_loss.kind, run_loss.options) != form_concept:
    training.explain_loss(spec.kind, spec.options, warmup_epochs=spec.fit.warmup_epochs,
                          waiting="Press Train: the value of each term appears beside the formula as the model learns.")

if st.button("Train", type="primary", icon=":material/play_arrow:", disabled=busy, key="train_start"):
    if errors:
        st.error("\n\n".join(errors))
    else:
        try:
            training.start_job(spec)
        except ValueError as error:  # a bad option, or a dataset that cannot load: say why
            st.error(str(error))
        else:
            st.rerun()  # redraw with the Train button disabled and the progress polling

if job is not None:
    st.subheader("Training run")
    jobs.job_panel(training.PURPOSE, training.draw_running, cancel_label="Stop",
                   cancel_help="Queued: leave the queue. Training: end after the current batch and keep the "
                               "weights learned so far, which you can then choose to use.")
    result = training.current_result()
    if job.state == jobs.FAILED:
        st.error(f"Training failed: {job.error}")
    elif job.state == jobs.CANCELLED and result is None:
        st.warning(f"Training was cancelled{': ' + job.error if job.error else ''}.")
    elif result is not None:
        training.draw_progress(result.snapshot, job.seconds, run_loss)
        if result.stopped and state.active_model().name != result.name:
            st.warning(f"{training.stopped_words(result)}. The half-trained model was kept but is not in "
                       "use.", icon=":material/pause_circle:")
            st.button("Use the half-trained model", on_click=training.adopt, args=(result,), key="train_adopt")
        elif state.active_model().name == result.name:
            st.success(f"**{result.name}** is now the active model.", icon=":material/check_circle:")
        else:
            st.info(f"**{result.name}** was trained; pick it again in the sidebar to use it.")
        st.table(training.comparison_rows(result.snapshot.metrics, result.snapshot.pca))
        st.download_button("Download the model (.zip)", data=result.zip_bytes, file_name=result.file_name,
                           mime="application/zip", on_click="ignore", icon=":material/download:",
                           key="train_download", help="Upload it on the Load page to use it again.")
