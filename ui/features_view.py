"""The Feature extraction page's app side: the probe table, its chart and the codes as CSV.

The probe's every seeded draw is measured once: stored with the zoo for a shipped model, by a job in
the server's queue for a user's own (`ui.core.page_results`). The controls only pick how many draws to
average and what to draw (`aecore.probe.summarize`, milliseconds), so no control fits anything.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import aecore
from aecore.studies.page_jobs import stored_probe_parts
from aecore.probe import CLASSIFIERS, LABEL_COUNTS, KNN_NEIGHBOURS, REPRESENTATIONS, label_key, summarize
from ui.core import page_results, presenter, state, zoo_results
from ui.core.cache import load_dataset, model_key, split_positions, train_test_split
from ui.core.concepts import Live
from ui.core.models import pretrained_entries

REPRESENTATION_NAMES = {"autoencoder": "autoencoder", "pca": "PCA", "pixels": "pixels"}
CLASSIFIER_NAMES = {"logistic": "logistic regression", "knn": "k-nearest neighbours"}
COLORS = {"autoencoder": "#d62728", "pca": "#1f77b4", "pixels": "#7f7f7f"}
DASHES = {"logistic": "solid", "knn": "dot"}
# The classifier radio's options are its URL values (?ft_classifier=knn), so they are short words.
BOTH = "both"
CLASSIFIER_CHOICES = {BOTH: "both classifiers", "logistic": "logistic regression", "knn": "k-nearest neighbours"}
LABEL_CHOICES = [label_key(count) for count in LABEL_COUNTS]  # "10", "100", "all": the stored counts


@st.cache_resource(show_spinner=False)
def splits(dataset: str) -> tuple[aecore.ImageDataset, aecore.ImageDataset, np.ndarray, np.ndarray]:
    """(train, test, train positions, test positions) of the split the app shows (`aecore.load_split`)."""
    return (*train_test_split(dataset), *split_positions(dataset))


PURPOSE = "features_probe"  # a user's model's probe job in ui.core.jobs


def _labels_check(dataset: str) -> None:
    if load_dataset(dataset).labels is None:
        raise ValueError(f"the {dataset} images carry no labels: a probe needs a labelled dataset such as digits")


def pixels_with_the_zoo(dataset: str, active: state.ActiveModel) -> bool:
    """Whether the zoo's background measuring of the active (shipped) model is under way: it scores
    the pixels too, so the page's own probe leaves them to it (10 to 20 s of a user's worker)."""
    return active.source == "pretrained" and zoo_results.measuring(dataset, active.name) is not None


def probe_job(dataset: str, active: state.ActiveModel) -> tuple[dict[str, Any] | None, Any]:
    """(every draw of the active model's probe, None), or (None, the job measuring it) for a user's
    model that is still in the queue. Pixels' and PCA's draws come from the zoo's stored results;
    the pixels are left out while the zoo's measuring of this model will store them."""
    _labels_check(dataset)
    if page_results.has_stored(active):
        return page_results.stored(active.name)["probe"], None
    dim = active.model.config.latent_dim
    known = stored_probe_parts([page_results.stored(e["name"]) for e in pretrained_entries(dataset)
                               if aecore.pretrained.has_results(e["name"])], dim)
    skip = "pixels" not in known and pixels_with_the_zoo(dataset, active)
    return page_results.background(PURPOSE, f"{model_key(active)}:{'no pixels' if skip else 'all'}",
                                   aecore.studies.page_jobs.probe,
                                   lambda: (aecore.to_zip_bytes(active.model), dataset, known, skip),
                                   name=f"feature probe of {active.name}")


def probe(draws: dict[str, Any], repeats: int) -> dict[str, Any]:
    """`linear_probe`'s result at 10, 100 and all labels per class, averaging `repeats` stored draws."""
    return summarize(draws, repeats)


def column_name(count: str) -> str:
    """The table's column for a label count: "10 per class", ..., "all labels"."""
    return "all labels" if count == "all" else f"{count} per class"


def present(result: dict[str, Any]) -> list[str]:
    """The representations `result` has scores for: all three, or the codes and PCA while the
    pixels are still being scored."""
    return [r for r in REPRESENTATIONS if r in result["accuracy"]]


def table(result: dict[str, Any], classifiers: list[str]) -> pd.DataFrame:
    """Test accuracy (%), one row per representation and classifier, one column per label count."""
    rows = [{"representation": REPRESENTATION_NAMES[r], "classifier": CLASSIFIER_NAMES[c],
             **{column_name(count): 100 * result["accuracy"][r][c][count] for count in result["label_counts"]}}
            for r in present(result) for c in CLASSIFIERS if c in classifiers]
    return pd.DataFrame(rows)


def chart(result: dict[str, Any], classifiers: list[str], marked: str | None = None) -> dict:
    """Accuracy against labels per class, one line per representation and classifier; the error bars
    are the spread (std) over the seeded draws. `marked`: the label count the live numbers read, as a
    dashed line."""
    stds = {(row["representation"], row["classifier"], row["labels_per_class"]): row["std"] for row in result["rows"]}
    x = result["label_counts"]
    lines = [{"type": "scatter", "mode": "lines+markers", "x": x,
              "name": f"{REPRESENTATION_NAMES[r]}, {CLASSIFIER_NAMES[c]}",
              "y": [100 * result["accuracy"][r][c][count] for count in x],
              "error_y": {"type": "data", "array": [100 * stds[r, c, count] for count in x], "visible": True},
              "line": {"color": COLORS[r], "dash": DASHES[c]}}
             for r in present(result) for c in CLASSIFIERS if c in classifiers]
    # On a category axis a shape's x is the category's position: "10" as a string would mean the 11th.
    at = x.index(marked) if marked in x else None
    shapes = [] if at is None else [{"type": "line", "xref": "x", "yref": "paper", "x0": at, "x1": at,
                                     "y0": 0, "y1": 1, "line": {"color": "black", "dash": "dash", "width": 1}}]
    return {"data": lines, "layout": {
        "height": presenter.scale(420), "shapes": shapes, "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "xaxis": {"title": {"text": "labelled training images per class"}, "type": "category"},
        "yaxis": {"title": {"text": "test accuracy (%)"}},
        "legend": {"orientation": "h", "y": -0.2},
    }}


def concept_numbers(result: dict[str, Any], classifier: str, count: str) -> list[Live]:
    """The live numbers beside the feature-extraction formula: test accuracy of `classifier` on the
    codes, on PCA codes of the same size and on the pixels, with `count` labelled images per class."""
    accuracy = {r: 100 * result["accuracy"][r][classifier][count] for r in present(result)}
    pixels = (f"{accuracy['pixels']:.1f}%" if "pixels" in accuracy else "…",
              f"{CLASSIFIER_NAMES[classifier]} on the raw pixels: every detail, no summary."
              + ("" if "pixels" in accuracy else " Still being scored in the background."))
    k, per_class = result["latent_dim"], "every label" if count == "all" else f"{count} labels per class"
    return [Live(f"Codes z = f(x), {k}-D", f"{accuracy['autoencoder']:.1f}%",
                 f"{CLASSIFIER_NAMES[classifier]} on the model's codes, {per_class}.",
                 f"{accuracy['autoencoder'] - accuracy['pca']:+.1f} points vs PCA"),
            Live(f"PCA codes, {k}-D", f"{accuracy['pca']:.1f}%",
                 f"{CLASSIFIER_NAMES[classifier]} on PCA codes of the same size, also learned without labels."),
            Live("Pixels", *pixels)]


def concept_note(classifier: str) -> str:
    """How the chosen classifier relates to the formula (a linear map; kNN is not one)."""
    if classifier == "knn":
        return (f"The live numbers are k-nearest neighbours': ŷ is the most common class among the {KNN_NEIGHBOURS} "
                "nearest labelled codes, not a linear map of z.")
    return "The live numbers are logistic regression's, the formula's W and b fit on standardized codes."


def gap_text(result: dict[str, Any], classifier: str) -> str:
    """One sentence: how far the codes are ahead of PCA at the fewest and at all labels."""
    accuracy = result["accuracy"]
    fewest, every = result["label_counts"][0], result["label_counts"][-1]
    gaps = [100 * (accuracy["autoencoder"][classifier][c] - accuracy["pca"][classifier][c]) for c in (fewest, every)]
    return (f"With {CLASSIFIER_NAMES[classifier]}, the codes are {gaps[0]:+.1f} points against PCA of the same size "
            f"at {fewest} labels per class and {gaps[1]:+.1f} with {every} labels.")


@st.cache_data(show_spinner=False, max_entries=16)  # runs on a download's own thread: no spinner
def _codes_csv(dataset: str, key: str, _model: aecore.Autoencoder) -> bytes:
    train, test, train_index, test_index = splits(dataset)
    parts = []
    for split, images, index in (("train", train, train_index), ("test", test, test_index)):
        z = _model.infer(images.images).z.numpy()  # (N, d); infer leaves a shared model's mode alone
        frame = pd.DataFrame(z, columns=[f"z{i}" for i in range(z.shape[1])])
        frame.insert(0, "label", images.labels.numpy() if images.labels is not None else -1)
        frame.insert(0, "split", split)
        frame.insert(0, "index", index)
        parts.append(frame)
    return pd.concat(parts).sort_values("index").to_csv(index=False).encode()


def codes_csv(dataset: str, active: state.ActiveModel) -> bytes:
    """The codes of every image as CSV: index (position in the dataset), split, label, z0..zk."""
    return _codes_csv(dataset, model_key(active), active.model)


def csv_name(active: state.ActiveModel, dataset: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in active.name).strip("-.") or "model"
    return f"{safe}-{dataset}-codes.csv"
