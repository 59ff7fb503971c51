"""The Recommend page: a ratings table (embedded, MovieLens 100k, a CSV), the comparison job, one
user's ratings and top 10, the map of every user's taste code, and recommendations for you.

Training runs once per table in the server's job queue (`aecore.studies.jobs.recommend`, seconds);
its result is kept for every session. In the page only the trained model runs, one row at a time:
encoding a set of ratings and decoding it takes well under a millisecond.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import aecore
from aecore.data import default_data_root, movielens
from aecore.data.download import MIRROR_ENV, format_size, mirror_url
from aecore.data.ratings import LIKED, Ratings, RatingsError, bundled_ratings, read_ratings_csv
from aecore.recommend import PAGE_MODEL, place, top_items
from ui.core import jobs, page_results, presenter
from ui.core import verdict as verdict_words
from ui.core.concepts import Live

EMBEDDED, MOVIELENS, UPLOAD = "tastes", movielens.NAME, "upload"
SOURCES = {EMBEDDED: "embedded: 600 users, 400 items, tastes planted in it",
           MOVIELENS: "100,000 real film ratings (download, about 5 MB)", UPLOAD: "your own CSV (user, item, rating)"}
PURPOSE, DOWNLOAD_PURPOSE = "recommend", "download:movielens"
SEED = 0
KEEP_SHARED = 8  # finished studies kept for every session (each holds a small checkpoint and the codes)
CHOICES = 60  # the most rated items offered to rate yourself: ones a person is likely to know
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]


# --- the table ------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def embedded() -> Ratings:
    return bundled_ratings(EMBEDDED)


@st.cache_resource(show_spinner=False, max_entries=2)
def _movielens(root: str) -> Ratings:
    return movielens.load_movielens(root)  # parsed once per data folder (a third of a second)


@st.cache_resource(show_spinner=False, max_entries=8)
def _uploaded(file_id: str, _data: bytes, name: str) -> Ratings:
    return read_ratings_csv(_data, name)


def read_upload(file: Any) -> Ratings | None:
    """An uploaded CSV as Ratings, or None with what to do shown (a bad file: what to fix)."""
    if file is None:
        st.info("Upload a CSV with a header row naming the columns user, item and rating (1 to 5 stars), one "
                "rating per row.")
        return None
    try:
        return _uploaded(file.file_id, file.getvalue(), file.name)
    except RatingsError as error:
        st.error(f"**{file.name} cannot be used:** {error}", icon=":material/table_chart:")
        return None


def _start_download() -> None:
    import aecore.studies.jobs  # on the click: the job catalogue loads scikit-learn

    jobs.submit(DOWNLOAD_PURPOSE, aecore.studies.jobs.movielens, str(default_data_root()), mirror_url() or "",
                name="downloading MovieLens 100k")


def movielens_table() -> Ratings | None:
    """MovieLens 100k once downloaded; until then what it is, its licence, a Download button and the
    download's progress (a job: no script run waits for the network)."""
    if movielens.is_downloaded():
        try:
            return _movielens(str(default_data_root()))
        except (RatingsError, ValueError) as error:
            st.error(str(error))
            return None
    source = f"the mirror set in `{MIRROR_ENV}`" if mirror_url() else \
        f"GroupLens ({format_size(movielens.ARCHIVE.size)})"
    st.markdown(f"MovieLens 100k: 943 people's ratings of 1,682 films. Downloaded from {source} into "
                f"`{default_data_root() / movielens.FOLDER}`. {movielens.LICENCE}")
    job = jobs.current(DOWNLOAD_PURPOSE)
    if job is not None and not job.finished:
        jobs.job_panel(DOWNLOAD_PURPOSE, lambda running: st.progress(
            jobs.share(running), text=f"Downloading MovieLens 100k: {jobs.progress_text(running)}"),
            cancel_label="Cancel download", cancel_help="Stop the download; no partial file is kept.")
        return None
    if job is not None and job.state == jobs.FAILED:
        st.error(f"{job.error}\n\nMeanwhile the embedded table works without any download.", icon=":material/cloud_off:")
    st.button("Download MovieLens 100k", type="primary", icon=":material/download:", on_click=_start_download,
              key="rc_download", help="Runs in the background: keep using the app meanwhile.")
    return None


# --- the study ------------------------------------------------------------------------------------------
def study(ratings: Ratings) -> dict[str, Any] | None:
    """The comparison job's result for this table, once done on this server (submitted at once: it
    takes seconds), else None with its progress drawn."""
    import aecore.studies.jobs as catalogue  # the job catalogue loads scikit-learn: only on this page

    key = f"{ratings.fingerprint}:{SEED}"
    result = jobs.shared_result("recommend", key)
    if result is None:
        result, job = page_results.background(PURPOSE, key, catalogue.recommend, lambda: (ratings, SEED),
                                              name=f"recommenders on {ratings.name}")
        if result is None:
            page_results.draw_pending(PURPOSE, job, "training the recommenders on the ratings")
            return None
        jobs.share_result("recommend", key, result, KEEP_SHARED)
    return result


@st.cache_resource(show_spinner=False, max_entries=8)
def _model(key: str, _checkpoint: bytes) -> Any:
    return aecore.load(_checkpoint)  # shared read-only: predict never switches its mode


def model_of(ratings: Ratings, result: dict[str, Any]) -> Any:
    """The page's model (denoising AutoRec, user-based), loaded once per table on this server."""
    return _model(f"{ratings.fingerprint}:{SEED}", result["checkpoint"])


def concept_numbers(result: dict[str, Any]) -> list[Live]:
    table = result["table"]
    mine, svd = table[PAGE_MODEL], table["SVD"]
    live = [Live("Held-out RMSE, AutoRec", f"{mine['rmse']:.3f}", "Stars off, on ratings the model never saw."),
            Live("Held-out RMSE, SVD", f"{svd['rmse']:.3f}", "Truncated SVD with as many components as the code."),
            Live("recall@10, AutoRec", f"{mine['recall@10']:.3f}",
                 "Of each user's held-out liked items (4 stars or more), the share in their top 10.")]
    return live + [Live(f"Probe: {name} from the code", f"{accuracy:.0%}",
                        "A logistic regression from the codes, 5-fold cross-validated.")
                   for name, accuracy in result["probe"].items() if np.isfinite(accuracy)]


def verdicts(result: dict[str, Any]) -> list[str]:
    """The sentences that judge the numbers, each computed from them (ui.core.verdict)."""
    table = result["table"]
    mine = table[PAGE_MODEL]
    said = [verdict_words.compare(mine["rmse"], table["SVD"]["rmse"], "denoising AutoRec", "SVD",
                                  lower_is_better=True, what="held-out RMSE"),
            verdict_words.compare(mine["rmse"], table["item mean"]["rmse"], "denoising AutoRec", "the item mean",
                                  lower_is_better=True, what="held-out RMSE"),
            verdict_words.compare(mine["recall@10"], table["popularity"]["recall@10"], "denoising AutoRec",
                                  "popularity", lower_is_better=False, what="recall@10")]
    return said


def table_frame(result: dict[str, Any]) -> pd.DataFrame:
    rows = [{"method": name, "RMSE": row["rmse"], "recall@10": row["recall@10"], "NDCG@10": row["ndcg@10"],
             "training (s)": row["seconds"]} for name, row in result["table"].items()]
    return pd.DataFrame(rows)


# --- one user, and you ------------------------------------------------------------------------------------
def training_row(ratings: Ratings, result: dict[str, Any], user: int) -> np.ndarray:
    """The user's training ratings (items,), 0 elsewhere: what the model reads for them."""
    keep = (ratings.user == user) & ~result["test"]
    row = np.zeros(ratings.items, dtype=np.float32)
    row[ratings.item[keep]] = ratings.rating[keep]
    return row


def rated_frame(ratings: Ratings, row: np.ndarray) -> pd.DataFrame:
    items = np.flatnonzero(row)
    items = items[np.argsort(-row[items], kind="stable")]
    frame = pd.DataFrame({"item": [ratings.item_names[i] for i in items], "stars": row[items]})
    if ratings.item_genres is not None:
        frame.insert(1, "genre", ratings.item_genres[items])
    return frame


def top_frame(ratings: Ratings, model: Any, row: np.ndarray, held: dict[int, float] | None = None) -> pd.DataFrame:
    """The model's top 10 of the items not in `row`, with its predicted stars; `held`: the user's
    held-out items and their true stars, marked."""
    predicted = model.predict(row[None])[0]
    best = top_items(predicted[None], (row > 0)[None])[0]
    frame = pd.DataFrame({"item": [ratings.item_names[i] for i in best], "predicted stars": predicted[best]})
    if ratings.item_genres is not None:
        frame.insert(1, "genre", ratings.item_genres[best])
    if held is not None:
        frame["held out"] = [("liked, " if held[i] >= LIKED else "") + f"{held[i]:g} stars" if i in held else ""
                             for i in best]
    return frame


def held_out(ratings: Ratings, result: dict[str, Any], user: int) -> dict[int, float]:
    mask = (ratings.user == user) & result["test"]
    return dict(zip(ratings.item[mask].tolist(), ratings.rating[mask].tolist()))


def choices(ratings: Ratings, result: dict[str, Any]) -> list[str]:
    """The most rated items in training (known to most people), in the table's own order."""
    counts = np.bincount(ratings.item[~result["test"]], minlength=ratings.items)
    return [ratings.item_names[i] for i in np.sort(np.argsort(-counts, kind="stable")[:CHOICES])]


def your_row(ratings: Ratings, stars_by_name: dict[str, float]) -> np.ndarray:
    index = {name: i for i, name in enumerate(ratings.item_names)}
    row = np.zeros(ratings.items, dtype=np.float32)
    for name, stars in stars_by_name.items():
        row[index[name]] = stars
    return row


def map_figure(ratings: Ratings, result: dict[str, Any], attribute: str, picked: int, model: Any,
               you: np.ndarray | None = None) -> go.Figure:
    """Every user's code on the 2-D PCA of the codes, one colour per value of `attribute` (one colour
    for a table that says nothing of its users); the picked user ringed; your ratings' code (`you`:
    your row of stars), a black star."""
    points = result["map"]["points"]
    values = ratings.user_attributes.get(attribute, np.full(ratings.users, "users"))
    figure = go.Figure()
    for n, value in enumerate(sorted(set(values.tolist()))):
        members = np.flatnonzero(values == value)
        figure.add_scattergl(x=points[members, 0], y=points[members, 1], mode="markers", name=str(value),
                             marker={"size": 6, "color": PALETTE[n % len(PALETTE)], "opacity": 0.7},
                             customdata=members + 1, hovertemplate="user %{customdata}<extra>" + str(value) + "</extra>")
    figure.add_scatter(x=[points[picked, 0]], y=[points[picked, 1]], mode="markers", name=f"user {picked + 1}",
                       marker={"size": 16, "color": "rgba(0,0,0,0)", "line": {"color": "black", "width": 2}})
    if you is not None:
        spot = place(model.codes(you), result["map"])[0]
        figure.add_scatter(x=[spot[0]], y=[spot[1]], mode="markers", name="you",
                           marker={"size": 18, "symbol": "star", "color": "black"})
    figure.update_layout(height=presenter.scale(420), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                         xaxis_title="code, 1st principal direction", yaxis_title="code, 2nd principal direction",
                         legend={"title": attribute})
    return figure


__all__ = ["EMBEDDED", "MOVIELENS", "SOURCES", "UPLOAD", "choices", "concept_numbers", "embedded", "held_out",
           "map_figure", "model_of", "movielens_table", "rated_frame", "read_upload", "study", "table_frame",
           "top_frame", "training_row", "verdicts", "your_row"]
