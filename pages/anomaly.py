"""Anomaly detection: an autoencoder trained on the normal classes flags the rest by reconstruction error."""

import streamlit as st

import aecore
from aecore import anomaly
from aecore.limits import MAX_UPLOAD_MB
from aecore.workers import Job
from ui import anomaly_view as view
from ui.core import jobs, page_results, state
from ui.core.cache import load_dataset, model_key, read_upload
from ui.core.router import require_router

require_router()

ONE_CLASS, ACTIVE = "Train on the normal classes only", "The active model as it is"

st.title("Anomaly detection")
st.markdown(
    "Call some classes **normal** and everything else an **anomaly**. An autoencoder trained only on "
    "normal images rebuilds them well and the others badly, so its reconstruction error (mean squared "
    "error per pixel) is an anomaly score: above a threshold, an image is flagged. PCA fit on the same "
    "normal images is the baseline it has to beat."
)

name = state.active_dataset_name()
dataset = load_dataset(name)
if dataset.labels is None:
    st.info(f"The {name} dataset has no classes, so none can be called normal: choose a labelled dataset.")
    st.stop()
normal_col, detector_col = st.columns([2, 3])
chosen = normal_col.multiselect("Normal classes", dataset.classes, default=dataset.classes[:1])
detector = detector_col.radio("Detector", [ONE_CLASS, ACTIVE], horizontal=True)
if not chosen or len(chosen) == len(dataset.classes):
    st.warning("Choose at least one normal class and leave at least one out as the anomalies.")
    st.stop()
normal = tuple(sorted(dataset.classes.index(c) for c in chosen))

if detector == ACTIVE:
    active = state.active_model()
    if active.dataset != name:
        st.error(f"The active model was trained on {active.dataset}, not {name}: choose a model of {name}.")
        st.stop()
    st.caption(f"**{active.name}** was trained on every class, the anomalies included: it learned to rebuild "
               "them too, so their errors stay small and it separates the two groups less well than a model "
               "that has never seen an anomaly.")
    result, measuring = view.score_active(name, normal, active)
    if result is None:  # a user's model, or PCA on several normal classes: from the job queue
        page_results.draw_pending(view.ACTIVE_PURPOSE, measuring, "scoring the test images")
        st.stop()
    model, scored_by = active.model, model_key(active)
else:
    spec = aecore.recipes.one_class_spec(name, normal)
    train_count = len(view.split(name, normal)[0])
    job = view.current_job(name, normal)
    button_col, note_col = st.columns([1, 4])
    note_col.caption(f"{spec.kind} {spec.arch} with a {spec.latent_dim}-D code, {spec.fit.epochs} epochs on the "
                     f"{train_count} normal training images, trained in the background: the time left shows "
                     "once the first epoch has run.")
    if button_col.button("Train" if job is None else "Train again", type="primary"):
        job = view.start_training(name, normal)
        st.rerun()

    def draw_running(running: Job) -> None:
        snapshot = running.progress
        if snapshot is None:
            st.progress(0.0, text="Starting: loading the data in a worker…")
        else:
            st.progress(snapshot.fraction, text=f"Training: epoch {snapshot.epoch} of {snapshot.epochs}, "
                                                f"{jobs.format_seconds(snapshot.seconds_left)} left")

    if job is None:
        st.info("Press **Train** to train a model on the normal classes only; every test image is scored after.")
        st.stop()
    if not job.finished:
        jobs.job_panel(view.PURPOSE, draw_running)
        st.stop()
    if job.state != jobs.DONE:
        st.error(f"Training {job.state}: {job.error or 'press Train again'}")
        st.stop()
    model, result = view.score_job(job)
    scored_by = view.job_model_key(job)

low, high = float(result.scores.min()), float(result.scores.max())
threshold = st.slider("Threshold on the score", min_value=low, max_value=high,
                      value=min(high, max(low, view.default_threshold(result))), step=(high - low) / 200,
                      format="%.4f", key=f"threshold_{name}_{normal}_{scored_by}",
                      help="Images scoring above it are flagged anomalous. It starts where 5% of normal "
                           "test images are flagged.")
counts = anomaly.confusion(result.scores, result.is_anomaly, threshold)
cols = st.columns(6)
cols[0].metric("Anomalies caught", counts["tp"], help="True positives.")
cols[1].metric("Anomalies missed", counts["fn"], help="False negatives.")
cols[2].metric("False alarms", counts["fp"], help="Normal images flagged: false positives.")
cols[3].metric("Normal passed", counts["tn"], help="True negatives.")
cols[4].metric("Precision", f"{counts['precision']:.3f}", help="Of the flagged images, the share that are anomalies.")
cols[5].metric("Recall", f"{counts['recall']:.3f}", help="Of the anomalies, the share flagged.")

hist_col, roc_col = st.columns(2)
hist_col.subheader("Scores of the test images")
hist_col.plotly_chart(view.histogram_figure(result, threshold), width="stretch")
roc_col.subheader(f"ROC: AUROC {result.roc['auroc']:.3f}, PCA {result.pca_roc['auroc']:.3f}")
roc_col.plotly_chart(view.roc_figure(result, threshold), width="stretch")
st.caption(f"{view.verdict(result)} The black dot is the threshold's operating point.")

for most, title in ((True, "Most anomalous"), (False, "Least anomalous")):
    st.subheader(f"{title} test images")
    grid, labels = view.extremes_image(name, normal, model, result, 10, most)
    st.image(grid, caption="rows: image, reconstruction, |error| (bright = wrong). Columns, class: score — "
                           + ", ".join(labels))

with st.expander("Score your own image", expanded=False):
    upload_col, invert_col = st.columns([3, 1])
    file = upload_col.file_uploader("A PNG or JPEG", type=["png", "jpg", "jpeg"],
                                    help=f"Up to {MAX_UPLOAD_MB} MB; any width and height, scaled to fit.")
    invert = invert_col.checkbox("Invert colours", help="For a dark drawing on light paper.")
    if file is not None:
        try:
            image = read_upload(file.file_id, file.getvalue(), dataset.image_shape, invert, file.name)
        except ValueError as error:
            st.error(str(error))
        else:
            score, picture = view.upload_verdict(model, image, threshold)
            flagged = "**anomalous**" if score > threshold else "**normal**"
            st.markdown(f"Score {score:.4f} against the threshold {threshold:.4f}: {flagged}.")
            st.image(picture, caption="your image, its reconstruction, |error|")
