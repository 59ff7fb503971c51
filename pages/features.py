"""Feature extraction: classifiers on the active model's codes against PCA codes and raw pixels."""

import streamlit as st

from aecore.probe import CLASSIFIERS, MAX_DRAWS
from ui import features_view as view
from ui.core import downloads, page_results, presenter, state, zoo_results
from ui.core.concepts import explain
from ui.core.router import require_router

require_router()

st.title("Feature extraction")
st.markdown(
    "An autoencoder learns its code from images alone, without a single label. Here a **logistic "
    "regression** and a **k-nearest-neighbours** classifier are trained on a few labelled training images "
    "per class, described by the model's code, by **PCA** codes of the same size (also learned without "
    "labels) or by the raw **pixels**, and scored on the held-out test images. Codes learned without "
    "labels should help most when labels are few: that is the semi-supervised use of an autoencoder."
)

active = state.active_model()
dataset = active.dataset
# Bound to the URL (?ft_classifier=knn&ft_labels=100): a shared link opens this view.
classifier_col, labels_col = st.columns([3, 2])
chosen = classifier_col.radio("Classifier", list(view.CLASSIFIER_CHOICES), horizontal=True, key="ft_classifier",
                              bind="query-params", captions=list(view.CLASSIFIER_CHOICES.values()))
labels = labels_col.select_slider("Labels per class", view.LABEL_CHOICES, value=view.LABEL_CHOICES[0],
                                  key="ft_labels", bind="query-params",
                                  help="Labelled training images per class behind the live numbers below.")
with presenter.secondary():
    draws = st.slider("Draws per small label count", min_value=1, max_value=MAX_DRAWS, value=5, key="ft_draws",
                      bind="query-params",
                      help="Each count below all labels is drawn this many times (seeded) and averaged.")
classifiers = list(CLASSIFIERS) if chosen == view.BOTH else [chosen]

shipped = page_results.has_stored(active)  # asked first: results measured meanwhile come from the job
try:
    stored, job = view.probe_job(dataset, active)
except ValueError as error:  # e.g. a dataset without labels
    st.error(str(error))
    st.stop()

# Nothing stored for this model (yet): its probe runs in the background and sends the codes' and
# PCA's scores ahead of the pixels' (the slow part), so the figure is drawn from those meanwhile.
draws_so_far = stored if stored is not None else page_results.partial(job)
what = (f"the probe of {active.name} (not measured on this machine's copy of {dataset} yet)"
        if active.source == "pretrained" else "the probe of your model (nothing is stored for it)")
if draws_so_far is None:
    page_results.draw_pending(view.PURPOSE, job, what)
else:
    result = view.probe(draws_so_far, draws)
    when = (downloads.measured_where(active.name, dataset) if shipped and stored is not None
            else f"measured in the background in {result['seconds']:.1f} s" if stored is not None
            else f"the codes and PCA measured in the background in {result['seconds']:.1f} s, the pixels next")
    st.caption(f"Model **{active.name}** ({result['latent_dim']}-D code) · {dataset}: {result['train_size']:,} "
               f"training and {result['test_size']:,} test images · {when}")
    live = classifiers[0]  # logistic regression when both are shown: the formula's linear map
    explain("features", view.concept_numbers(result, live, labels), note=view.concept_note(live))
    st.subheader("Test accuracy (%)")
    st.dataframe(view.table(result, classifiers), hide_index=True,
                 column_config={view.column_name(count): st.column_config.NumberColumn(format="%.1f")
                                for count in result["label_counts"]})
    st.plotly_chart(view.chart(result, classifiers, marked=labels), width="stretch")
    if stored is None:  # the pixels' rows and lines join when the job ends (the panel reruns the page)
        page_results.draw_pending(view.PURPOSE, job, "the pixels' scores (every pixel a feature: the slow part)",
                                   early_drawn=True)
    elif "pixels" not in result["accuracy"]:  # left to the zoo's measuring of this model, under way
        st.caption(":material/pending: The pixels' scores come with the zoo's measuring of this model, in the "
                   "background: they join the table when it is done.")
        zoo_results.draw_measuring_wait(dataset, active.name)
    st.markdown(" ".join(view.gap_text(result, c) for c in classifiers) +
                " Pixels are the ceiling to compare with, not a fair rival: they keep every detail the code "
                "throws away, and on small images such as digits' 8×8 a classifier can use them all.")

# The codes are encoded only when the button is pressed (a callable runs on the download's thread).
with presenter.secondary("Download the codes"):
    st.download_button("Download the codes (CSV)", lambda: view.codes_csv(dataset, active),
                       file_name=view.csv_name(active, dataset), mime="text/csv",
                       help="One row per image: index in the dataset, split (train/test), label, z0..zk.")
