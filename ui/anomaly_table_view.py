"""The anomaly page on a table: choose or upload it, the detectors' job, and the figures of its results.

Rows of numbers instead of images: an MLP autoencoder trained on the normal rows (`aecore.tabular`),
against PCA with as many components and an isolation forest fit on the same rows. The run is one
job in the server's queue (a few seconds); a finished one is kept for every session of the server,
keyed by the table's contents, so a class opening a teacher's link sees the same numbers. Moving
the threshold only recounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from aecore import anomaly, tabular
from aecore.data.table import MIN_ROWS, Table, TableError, bundled_table, read_csv
from ui.core import jobs, page_results, presenter
from ui.core import verdict as verdict_words
from ui.core.concepts import Live

# The source radio's and the table selectbox's options are their URL values (?an_tsource=table).
IMAGES, TABLE = "images", "table"
SOURCES = {IMAGES: "classes of the active dataset", TABLE: "rows of numbers: a bundled table or your CSV"}
UPLOAD = "upload"
# Options shown as they are: a bound selectbox writes the shown text into the URL.
TABLES = {"breast-cancer": "tumours; malignant ones are the anomalies", "wine": "three cultivars; class_1 is normal",
          UPLOAD: "your own CSV file"}
TABLES_HELP = "Bundled with scikit-learn (no download), or yours: " + "; ".join(f"**{name}**: {words}"
                                                                               for name, words in TABLES.items())
PURPOSE = "anomaly_table"  # the session's detector job in ui.core.jobs
DEFAULT_PERCENTILE = 95.0  # as on images: 5% of the normal test rows raise a false alarm
SHOWN_ROWS = 10  # the most anomalous rows drawn with their column shares
KEEP_SHARED = 16  # finished detector runs kept for every session of the server
AE_COLOR, PCA_COLOR, FOREST_COLOR = "#1f77b4", "#ff7f0e", "#9467bd"
NORMAL_COLOR, ANOMALY_COLOR = "#2ca02c", "#d62728"
SHARE_SCALE = [[0.0, "rgb(255,255,255)"], [1.0, "rgb(178,24,43)"]]  # rgb(): the chart theme rewrites #000001 to #000020


@dataclass
class TableScores:
    """Every test row scored by the three detectors, with the truth (None without labels)."""

    scores: np.ndarray  # (m,) autoencoder MSE per standardised column
    pca_scores: np.ndarray
    forest_scores: np.ndarray
    is_anomaly: np.ndarray | None
    rocs: dict[str, dict[str, Any]]  # "autoencoder", "pca", "forest" -> anomaly.roc; {} without labels
    result: dict[str, Any]  # the job's whole result (top rows, timings, recipe)

    @property
    def k(self) -> int:
        return int(self.result["recipe"]["latent_dim"])

    @property
    def normal_scores(self) -> np.ndarray:
        return self.scores if self.is_anomaly is None else self.scores[~self.is_anomaly]


# --- choosing the table -------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def bundled(name: str) -> Table:
    """A table scikit-learn ships (`aecore.data.table.BUNDLED`), loaded once per server."""
    return bundled_table(name)


@st.cache_resource(show_spinner=False, max_entries=8)
def _uploaded(file_id: str, _data: bytes, name: str) -> Table:
    # Parsed once per upload (up to about a second: MAX_CELLS); a bad one is read again on each run,
    # up to its first bad cell, since an exception is not cached.
    return read_csv(_data, name)


def read_table(file: Any) -> Table | None:
    """An uploaded CSV (`st.file_uploader`'s file) as a Table, or None with what to do shown: a bad
    file gets a message saying what to fix."""
    if file is None:
        st.info("Upload a CSV to find its unusual rows, e.g. transactions, sensor readings or network "
                f"connections, one measurement per column, at least {MIN_ROWS} rows.")
        return None
    try:
        return _uploaded(file.file_id, file.getvalue(), file.name)
    except TableError as error:
        st.error(f"**{file.name} cannot be used:** {error}", icon=":material/table_chart:")
        return None


def forget_foreign_normal(table: Table, key: str) -> None:
    """Drop a normal class kept from another table, so the selectbox opens on this table's default."""
    if key in st.session_state and st.session_state[key] not in table.classes:
        del st.session_state[key]


# --- the detectors' job ------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=32)
def _scored(key: str, _result: dict[str, Any]) -> TableScores:
    # The worker scored every row; only the curves are computed here (milliseconds).
    truth = _result["is_anomaly"]
    rocs = {} if truth is None else {name: anomaly.roc(_result[field], truth) for name, field in
                                     (("autoencoder", "scores"), ("pca", "pca_scores"), ("forest", "forest_scores"))}
    return TableScores(_result["scores"], _result["pca_scores"], _result["forest_scores"], truth, rocs, _result)


def detector_panel(table: Table, normal: str | None) -> TableScores | None:
    """The recipe in words and the job's progress; the scores once a run for this table and class is
    done on this server (submitted at once: it takes seconds), else None with the state drawn."""
    try:
        split = tabular.one_class_split(table, normal)
    except TableError as error:
        st.error(str(error))
        return None
    recipe = tabular.recipe_for(len(table.columns))
    st.caption(f"An MLP autoencoder {len(table.columns)}-{recipe.hidden[0]}-{recipe.latent_dim} (and back), "
               f"trained for {recipe.steps} steps on {len(split.train)} "
               f"{'normal ' if normal is not None else ''}rows standardised by their own means and spreads, "
               f"tested on {len(split.test)} held-out rows. {table.about}")
    key = f"{table.fingerprint}:{normal}:{recipe}"
    result = jobs.shared_result("table anomaly", key)  # per table contents, normal class and recipe
    if result is None:
        result, job = page_results.background(PURPOSE, key, tabular.detect, lambda: (table, normal, recipe),
                                              name=f"anomaly detectors of {table.name}")
        if result is None:
            page_results.draw_pending(PURPOSE, job, "training the autoencoder on the normal rows")
            return None
        jobs.share_result("table anomaly", key, result, KEEP_SHARED)
    return _scored(key, result)


# --- the threshold and what it flags -----------------------------------------------------------------------
def threshold_at(scored: TableScores, percentile: float) -> float:
    """The score below which `percentile` % of the normal test rows (all rows without labels) fall."""
    return float(np.percentile(scored.normal_scores, percentile))


def lesson_facts(scored: TableScores) -> dict[str, float]:
    """The numbers a lesson's claim may name: each detector's AUROC, and the best of AE and PCA."""
    if not scored.rocs:
        return {}
    aurocs = {name: scored.rocs[name]["auroc"] for name in ("autoencoder", "pca", "forest")}
    return {"auroc_ae": aurocs["autoencoder"], "auroc_pca": aurocs["pca"], "auroc_forest": aurocs["forest"],
            "auroc_ae_or_pca": max(aurocs["autoencoder"], aurocs["pca"])}


def concept_numbers(scored: TableScores, threshold: float) -> list[Live]:
    """The live numbers beside the anomaly concept: the three detectors' AUROC and the flagged share."""
    flagged = scored.scores > threshold
    live = []
    if scored.rocs:
        live = [Live("AUROC, autoencoder", f"{scored.rocs['autoencoder']['auroc']:.3f}",
                     "The chance that a random anomalous row scores above a random normal one."),
                Live(f"AUROC, PCA-{scored.k}", f"{scored.rocs['pca']['auroc']:.3f}",
                     f"PCA with {scored.k} components (as many as the code), fit on the same normal rows."),
                Live("AUROC, isolation forest", f"{scored.rocs['forest']['auroc']:.3f}",
                     "scikit-learn's IsolationForest (200 trees) fit on the same normal rows: rows that few "
                     "random splits isolate are anomalous.")]
    return live + [Live("Flagged: s(x) > τ", f"{flagged.mean():.1%}",
                        f"The share of the test rows scoring above τ = {threshold:.4f}.")]


def draw_counts(scored: TableScores, threshold: float) -> None:
    """Confusion counts, precision and recall at the threshold (labelled tables only)."""
    if scored.is_anomaly is None:
        st.caption("The table has no label column, so the flagged rows cannot be checked: these are the "
                   "rows to look at first.")
        return
    counts = anomaly.confusion(scored.scores, scored.is_anomaly, threshold)
    cols = st.columns(6)
    for col, (label, value, words) in zip(cols, (
            ("Anomalies caught", counts["tp"], "True positives."), ("Anomalies missed", counts["fn"], "False negatives."),
            ("False alarms", counts["fp"], "Normal rows flagged."), ("Normal passed", counts["tn"], "True negatives."),
            ("Precision", f"{counts['precision']:.3f}", "Of the flagged rows, the share that are anomalies."),
            ("Recall", f"{counts['recall']:.3f}", "Of the anomalies, the share flagged."))):
        col.metric(label, value, help=words)


def verdict(scored: TableScores) -> str:
    """Which detector separates the groups best here, and by how much (`ui.core.verdict.rank`)."""
    names = {"autoencoder": "the autoencoder", "pca": f"PCA with {scored.k} component{'s' * (scored.k != 1)}",
             "forest": "the isolation forest"}
    scores = {names[key]: scored.rocs[key]["auroc"] for key in names}
    said = verdict_words.rank(scores)
    best = max(scores, key=scores.get)
    rows = scored.result["train_rows"]
    if scores[best] >= 0.5 and best != names["autoencoder"] and rows < 1000:
        said += (f" With {rows} normal rows to learn from, a network finds little that a linear map (PCA) or "
                 "random splits (the forest) miss.")
    return said


# --- figures -------------------------------------------------------------------------------------------------
def histogram_figure(scored: TableScores, threshold: float) -> go.Figure:
    """Scores on a log axis: an anomalous row's error can be a hundred times a normal one's."""
    figure = go.Figure()
    logs = np.log10(np.maximum(scored.scores, 1e-6))
    bins = {"start": float(logs.min()), "end": float(logs.max()) + 1e-3, "size": float(np.ptp(logs)) / 50 or 0.1}
    groups = [("test rows", np.ones(len(logs), bool), AE_COLOR)] if scored.is_anomaly is None else [
        ("normal", ~scored.is_anomaly, NORMAL_COLOR), ("anomalous", scored.is_anomaly, ANOMALY_COLOR)]
    for name, mask, color in groups:
        figure.add_histogram(x=logs[mask], name=f"{name} ({int(mask.sum())})", xbins=bins, marker_color=color,
                             opacity=0.6, histnorm="probability")
    figure.add_vline(x=float(np.log10(max(threshold, 1e-6))), line_dash="dash", line_color="black",
                     annotation_text=f"τ = {threshold:.3g}", annotation_position="top right")
    ticks = np.arange(np.floor(logs.min()), np.ceil(logs.max()) + 1)
    figure.update_layout(barmode="overlay", height=presenter.scale(340), margin={"l": 10, "r": 10, "t": 30, "b": 10},
                         xaxis={"title": "anomaly score s(x): reconstruction MSE per column (log scale)",
                                "tickvals": ticks.tolist(), "ticktext": [f"{10 ** t:g}" for t in ticks]},
                         yaxis_title="share of the group", legend={"orientation": "h", "y": -0.3})
    return figure


def roc_figure(scored: TableScores, threshold: float) -> go.Figure:
    figure = go.Figure()
    for name, label, color in (("autoencoder", "autoencoder", AE_COLOR), ("pca", f"PCA, k={scored.k}", PCA_COLOR),
                               ("forest", "isolation forest", FOREST_COLOR)):
        curve = scored.rocs[name]
        figure.add_scatter(x=curve["fpr"], y=curve["tpr"], mode="lines", line={"color": color},
                           name=f"{label} (AUROC {curve['auroc']:.3f})")
    figure.add_scatter(x=[0, 1], y=[0, 1], name="chance", mode="lines", line={"color": "gray", "dash": "dot"})
    flagged, truth = scored.scores > threshold, scored.is_anomaly
    figure.add_scatter(x=[flagged[~truth].mean()], y=[flagged[truth].mean()], name="the threshold τ",
                       mode="markers", marker={"color": "black", "size": 10})
    figure.update_layout(height=presenter.scale(340), margin={"l": 10, "r": 10, "t": 30, "b": 10},
                         xaxis_title="false positive rate", yaxis_title="true positive rate (recall)",
                         legend={"orientation": "h", "y": -0.3})
    return figure


def _row_names(table: Table, scored: TableScores, top: np.ndarray) -> list[str]:
    rows = scored.result["test_rows"][top]
    labels = [""] * len(top) if table.labels is None else [f" · {table.labels[r]}" for r in rows]
    return [f"row {r + 1}{label} · s={scored.scores[i]:.3g}" for r, label, i in zip(rows, labels, top)]


def shares_figure(table: Table, scored: TableScores) -> go.Figure:
    """The most anomalous rows (top first) against the columns, coloured by each column's share of
    the row's reconstruction error: the measurements that made the row look unusual."""
    top, shares = scored.result["top"][:SHOWN_ROWS], scored.result["top_shares"][:SHOWN_ROWS]
    figure = go.Figure(go.Heatmap(z=shares * 100, x=list(table.columns), y=_row_names(table, scored, top),
                                  colorscale=SHARE_SCALE, zmin=0, zmax=max(1.0, float(shares.max()) * 100),
                                  colorbar={"title": "% of the error"},
                                  hovertemplate="%{y}<br>%{x}: %{z:.1f}% of the error<extra></extra>"))
    figure.update_layout(height=presenter.scale(200 + 24 * len(top)), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                         yaxis={"autorange": "reversed"}, xaxis={"tickangle": -45})
    return figure


def top_rows_frame(table: Table, scored: TableScores, threshold: float) -> pd.DataFrame:
    """One line per most anomalous row: its class, score, verdict and the three columns that carry
    most of its error, with their shares."""
    top, shares = scored.result["top"][:SHOWN_ROWS], scored.result["top_shares"][:SHOWN_ROWS]
    rows = scored.result["test_rows"][top]
    worst = [", ".join(f"{table.columns[j]} {share[j]:.0%}" for j in np.argsort(-share)[:3]) for share in shares]
    frame = pd.DataFrame({"row": rows + 1, "score": scored.scores[top],
                          "flagged": np.where(scored.scores[top] > threshold, "yes", "no"),
                          "largest shares of the error": worst})
    if table.labels is not None:
        frame.insert(1, "class", table.labels[rows])
    return frame


def draw_results(table: Table, scored: TableScores, threshold: float) -> None:
    """The histogram and ROC side by side, then the most anomalous rows with their column shares."""
    hist_col, roc_col = st.columns(2)
    hist_col.subheader("Scores of the test rows")
    hist_col.plotly_chart(histogram_figure(scored, threshold), width="stretch")
    if scored.rocs:
        roc_col.subheader("ROC of the three detectors")
        roc_col.plotly_chart(roc_figure(scored, threshold), width="stretch")
        seconds = scored.result["seconds"]
        st.caption(f"{verdict(scored)} Same split for all three: trained on {scored.result['train_rows']} normal "
                   "rows. Fit times: "
                   f"autoencoder {seconds['autoencoder']:.2f} s, PCA {seconds['pca']:.3f} s, isolation forest "
                   f"{seconds['forest']:.2f} s. The black dot is the threshold's operating point.")
    st.subheader("Most anomalous test rows")
    st.plotly_chart(shares_figure(table, scored), width="stretch")
    st.dataframe(top_rows_frame(table, scored, threshold), hide_index=True, width="stretch",
                 column_config={"score": st.column_config.NumberColumn(format="%.3f")})
    st.caption("Each row's share per column: that column's squared error over the row's whole error, "
               "in standardised units, so every row's shares add up to 100%.")


__all__ = ["IMAGES", "SOURCES", "TABLE", "TABLES", "TABLES_HELP", "UPLOAD", "TableScores", "bundled", "concept_numbers",
           "detector_panel", "draw_counts", "draw_results", "forget_foreign_normal", "read_table",
           "threshold_at", "verdict"]
