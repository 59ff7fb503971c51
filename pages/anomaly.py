"""Anomaly detection: an autoencoder trained on the normal classes (of images, or rows of a table) flags the
rest by reconstruction error."""

import streamlit as st

from aecore.limits import MAX_UPLOAD_MB
from ui import anomaly_table_view as table_view
from ui import anomaly_view as view
from ui.core import lessons, page_results, state
from ui.core.cache import load_dataset, read_upload
from ui.core.concepts import explain
from ui.core.router import require_router

require_router()

st.title("Anomaly detection")
# Bound to the URL (?an_tsource=table&an_ttable=wine&an_tnormal=class_0&an_tthreshold=90).
source = st.radio("Data", list(table_view.SOURCES), horizontal=True, key="an_tsource", bind="query-params",
                  captions=list(table_view.SOURCES.values()))
if source == table_view.TABLE:
    st.markdown("Fraud, network intrusions, defective parts: most anomalies are rows of numbers. An autoencoder "
                "trained on the normal rows only rebuilds them well and unusual rows badly; PCA and an isolation "
                "forest, fit on the same rows, are the baselines it has to beat.")
    table_col, normal_col = st.columns([2, 3])
    chosen_table = table_col.selectbox("Table", list(table_view.TABLES), key="an_ttable", bind="query-params",
                                       help=table_view.TABLES_HELP)
    if chosen_table == table_view.UPLOAD:
        file = st.file_uploader("A CSV file of numbers", type=["csv", "txt"], key="an_tfile",
                                help=f"Up to {MAX_UPLOAD_MB} MB: a header row, then one row per record. Every column "
                                     "holds numbers, except an optional label column (named label, class or "
                                     "target) that gives each row's class.")
        table = table_view.read_table(file)
    else:
        table = table_view.bundled(chosen_table)
    if table is None:
        st.stop()
    normal_class = None
    if table.labels is not None:
        table_view.forget_foreign_normal(table, "an_tnormal")
        normal_class = normal_col.selectbox("Normal class", table.classes, key="an_tnormal", bind="query-params",
                                            help="The detectors learn from this class's rows only; every other "
                                                 "class is an anomaly.")
    scored = table_view.detector_panel(table, normal_class)
    if scored is None:
        st.stop()
    percentile = st.slider("Threshold τ: percentile of the normal scores", min_value=50.0, max_value=100.0,
                           value=table_view.DEFAULT_PERCENTILE, step=0.5, format="%.1f", key="an_tthreshold",
                           bind="query-params", help="τ sits at this percentile of the normal test rows' scores "
                                                     "(of all test rows in a table without labels).")
    threshold = table_view.threshold_at(scored, percentile)
    lessons.publish(table_view.lesson_facts(scored))
    explain("anomaly", table_view.concept_numbers(scored, threshold),
            note=f"τ = {threshold:.4f}; D = {len(table.columns)} standardised columns.")
    table_view.draw_counts(scored, threshold)
    table_view.draw_results(table, scored, threshold)
    st.stop()

st.markdown(
    "Call some classes **normal** and everything else an **anomaly**. An autoencoder trained only on "
    "normal images rebuilds them well and the others badly, so its reconstruction error (mean squared "
    "error per pixel) is an anomaly score: above a threshold, an image is flagged. PCA fit on the same "
    "images as the autoencoder is the baseline it has to beat."
)

name = state.active_dataset_name()
dataset = load_dataset(name)
if dataset.labels is None:
    st.info(f"The {name} dataset has no classes, so none can be called normal: choose a labelled dataset.")
    st.stop()
normal_col, detector_col = st.columns([2, 3])
opening = view.opening_normal(dataset)
if not set(st.session_state.get("an_normal") or [opening]) & set(dataset.classes):
    del st.session_state["an_normal"]  # kept from another dataset (none of its classes is here): the default
# Bound to the URL (?an_normal=8&an_mode=active&an_threshold=90): a shared link opens this view.
chosen = normal_col.multiselect("Normal classes", dataset.classes, default=[opening],
                                key="an_normal", bind="query-params",
                                help="It opens on the class where the autoencoder and PCA differ most.")
mode = detector_col.radio("Detector", list(view.MODES), horizontal=True, key="an_mode", bind="query-params",
                          captions=list(view.MODES.values()))
if not chosen or len(chosen) == len(dataset.classes):
    st.warning("Choose at least one normal class and leave at least one out as the anomalies.")
    st.stop()
normal = tuple(sorted(dataset.classes.index(c) for c in chosen))

if mode == view.ACTIVE:
    active = state.active_model()
    if active.dataset != name:
        st.error(f"The active model was trained on {active.dataset}, not {name}: choose a model of {name}.")
        st.stop()
    st.caption(f"**{active.name}** was trained on every class, the anomalies included: it learned to rebuild "
               "them too, so their errors stay small and it separates the two groups less well than a model "
               "that has never seen an anomaly. PCA is fit on every class too, so the comparison stays fair.")
    result, measuring = view.score_active(name, normal, active)
    if result is None:  # PCA on every class, or a user's model: from the job queue
        page_results.draw_pending(view.ACTIVE_PURPOSE, measuring, "scoring the test images")
        st.stop()
    model = active.model
else:
    trained = view.one_class_panel(name, normal)
    if trained is None:
        st.stop()
    model, result, _ = trained

percentile = st.slider("Threshold τ: percentile of the normal scores", min_value=50.0, max_value=100.0,
                       **state.initial("an_threshold", view.DEFAULT_PERCENTILE), step=0.5, format="%.1f",
                       key="an_threshold",
                       bind="query-params",
                       help="τ sits at this percentile of the normal test images' scores: at 95, 5% of them are "
                            "flagged (false alarms). A percentile, not a raw score, so it means the same for every "
                            "model and every choice of classes.")
threshold = view.threshold_at(result, percentile)
lessons.publish(view.lesson_facts(result, percentile))
explain("anomaly", view.concept_numbers(result, threshold),
        note=f"τ = {threshold:.4f}. Both detectors were fit on {result.fit_on}.")
view.draw_counts(result, threshold)

hist_col, roc_col = st.columns(2)
hist_col.subheader("Scores of the test images")
hist_col.plotly_chart(view.histogram_figure(result, threshold), width="stretch")
roc_col.subheader(f"ROC: AUROC {result.roc['auroc']:.3f}, PCA {result.pca_roc['auroc']:.3f}")
roc_col.plotly_chart(view.roc_figure(result, threshold), width="stretch")
st.caption(f"{view.verdict(result, mode)} The black dot is the threshold's operating point.")

for most, title in ((True, "Most anomalous"), (False, "Least anomalous")):
    st.subheader(f"{title} test images")
    grid, labels = view.extremes_image(name, normal, model, result, 10, most)
    st.image(grid, caption="rows: image, reconstruction, |error| (bright = wrong). Columns, class: score — "
                           + ", ".join(labels))

with st.expander("Score your own image", expanded=False):
    upload_col, invert_col = st.columns([3, 1])
    file = upload_col.file_uploader("A PNG or JPEG", type=["png", "jpg", "jpeg"],
                                    help=f"Up to {MAX_UPLOAD_MB} MB; any width and height, scaled to fit.")
    invert = invert_col.checkbox("Invert colours", key="an_invert", bind="query-params",
                                 help="For a dark drawing on light paper.")
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
