"""The Search page's app side: the models that search, the test images measured once, the query (a
test image, an upload or a drawing) and its nearest test images by each code.

Encoding the test images and scoring every code's search over them (`aecore.studies.search.measure`)
runs as a job: one for the whole server for shipped models, the session's own for a model it trained
or uploaded. A query then costs one encode per code and one faiss search over a few thousand codes:
milliseconds, cached per query.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st
import torch

import aecore
from aecore import retrieval
from aecore.studies import search, sketch
from aecore.workers import Job
from ui.core import jobs, page_results, presenter, verdict
from ui.core.active import ActiveModel
from ui.core.cache import model_key, read_upload, test_split
from ui.core.concepts import Live
from ui.core.gallery import PAD_VALUE, upscale
from ui.core.models import pretrained_entries, pretrained_model

PURPOSE = "search_collection"  # the session's job measuring its own model's test images
SOURCES = {"test": "a test image", "upload": "your image", "drawing": "a drawing"}
FLOATS = ("model", "pca", "pixels")  # the first row: the model's code beside PCA's and the pixels
BITS = ("hash", "pca_bits")  # the second: a trained hash beside the signs of PCA
SHOWN = 20  # neighbours drawn per column; precision@k counts all k
MATCH, MISS = (0.17, 0.63, 0.17), (0.84, 0.15, 0.16)  # a neighbour's frame: its label is the query's, or not
PENS = {"digits": 40}  # canvas pen widths (see ui/draw_view.py): the 8x8 digits' strokes are thicker
DEFAULT_PEN = 20
CANVAS_KEY, STROKES_KEY = "sr_canvas", "sr_strokes"


def hashing_model(active: ActiveModel) -> ActiveModel | None:
    """The hash shown beside the codes: the active model if its code is bits, else the zoo's hashing
    model of its dataset, else None."""
    if retrieval.is_binary(active.model):
        return active
    entries = [e for e in pretrained_entries(active.dataset) if e["kind"] == "hashing"]
    return pretrained_model(entries[0]["name"]) if entries else None


def collection_key(active: ActiveModel, hashing: ActiveModel | None) -> str:
    """What the measured test images depend on: the dataset, the model's weights and the hash's."""
    return f"{active.dataset}|{model_key(active)}|{'-' if hashing is None else model_key(hashing)}"


def measured(active: ActiveModel, hashing: ActiveModel | None) -> tuple[search.Collection | None, Job | None]:
    """(the test images measured for `active` and `hashing`, None), or (None, the job measuring them);
    the server's job for shipped models is `jobs.peek_server_job(("search", collection_key(...)))`."""
    key = collection_key(active, hashing)

    def arguments() -> tuple:
        return (aecore.to_zip_bytes(active.model), active.dataset,
                None if hashing is None else aecore.to_zip_bytes(hashing.model))

    name = f"search index of {active.name}"
    if active.source == "pretrained" and (hashing is None or hashing.source == "pretrained"):
        job = jobs.server_job(("search", key), search.measure, arguments, name=name)  # the same for everyone
        return (job.result, None) if job.state == jobs.DONE else (None, job)
    return page_results.background(PURPOSE, key, search.measure, arguments, name=name)


def draw_pending(job: Job, active: ActiveModel) -> None:
    """Where the measuring stands: the session's own job through `page_results`, the server's polled here."""
    what = f"the test images' codes of {active.name} and how well each code searches them"
    if jobs.current(PURPOSE) is job:
        page_results.draw_pending(PURPOSE, job, what)
        return
    if job.state == jobs.FAILED:
        st.error(f"Measuring {what} failed: {job.error}")
        return
    st.info(f"Measuring {what}: computing in the background, in the server's job queue; it shows here when it "
            "is ready.", icon=":material/pending:")

    jobs.poll_until_finished(job, lambda job: st.caption(f":material/progress_activity: {jobs.progress_text(job)}…"))


# --- the query -----------------------------------------------------------------------------------
@dataclass
class Query:
    """What is searched for: one image shaped like the dataset's, its label when known, and its row
    in the test set when it is a test image (left out of its own search)."""

    image: torch.Tensor  # (C, H, W) in [0, 1]
    label: int | None
    own: int | None


def test_query(dataset: str, row: int) -> Query:
    test = test_split(dataset)
    row = int(np.clip(row, 0, len(test) - 1))
    return Query(test.images[row], None if test.labels is None else int(test.labels[row]), row)


def upload_query(dataset: str, file: object, invert: bool) -> Query:
    """An uploaded PNG/JPEG as a query; ValueError with a message to show for a file that is no image."""
    shape = test_split(dataset).image_shape
    return Query(read_upload(file.file_id, file.getvalue(), shape, invert, file.name), None, None)


def drawing_query(dataset: str, strokes: list) -> Query:
    """The drawing as a query, made into an image the way the dataset's were (`aecore.studies.sketch`);
    ValueError with a message to show for an empty canvas or colour images."""
    if not strokes:
        raise ValueError(sketch.EMPTY_MESSAGE)
    return Query(sketch.sketch_image(strokes, dataset, test_split(dataset).image_shape), None, None)


def pen(dataset: str) -> int:
    return PENS.get(dataset, DEFAULT_PEN)


# --- the search --------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=32)
def _index(key: str, name: str, _codes: retrieval.Codes) -> retrieval.CodeIndex:
    return retrieval.CodeIndex(_codes)  # exact: a test set is a few thousand codes (shared, read-only)


def index(key: str, dataset: str, found: search.Collection, name: str) -> retrieval.CodeIndex:
    """The exact faiss index over the test images' codes `name` (their pixels for "pixels")."""
    codes = retrieval.pixel_codes(test_split(dataset).images) if name == "pixels" else found.codes[name]
    return _index(key if name != "pixels" else dataset, name, codes)


def largest_k(found: search.Collection) -> int:
    """The largest k the test set allows: `search.MAX_K`, or one fewer than a smaller set's images."""
    return int(found.hits["pixels"].shape[1])


def nearest(active: ActiveModel, hashing: ActiveModel | None, found: search.Collection, name: str, query: Query,
            k: int) -> np.ndarray:
    """The rows of the query's k nearest test images by the code `name`, nearest first, itself left out."""
    codes = search.query_codes(name, found, query.image, active.model, None if hashing is None else hashing.model)
    result = index(collection_key(active, hashing), active.dataset, found, name).search(codes, k + (query.own is not None))
    ids = result.ids[0]
    return (ids[ids != query.own] if query.own is not None else ids)[:k]


def draw_codes(names: tuple[str, ...], active: ActiveModel, hashing: ActiveModel | None, found: search.Collection,
               query: Query, k: int, titles: dict[str, str]) -> list:
    """One column per code: its heading, the query's nearest test images, precision@k over the test
    set and what this query's neighbours are. Returns the columns (a spare one stays empty)."""
    classes = test_split(active.dataset).classes
    columns = st.columns(3)
    for name, column in zip(names, columns):
        ids = nearest(active, hashing, found, name, query, k)
        column.markdown(f"**{titles[name]}**")
        column.image(neighbours_picture(active.dataset, ids, query.label), width="stretch")
        column.metric(f"precision@{k}, test set", f"{found.precision(name, k):.3f}")
        column.caption(query_words(found, ids, query, classes))
    return columns


def memory_words(found: search.Collection, dataset: str) -> str:
    """The hash's bytes per image against the model's code's and the pixels', with the ratios."""
    pixels = int(np.prod(test_split(dataset).image_shape))
    bits, code = found.bytes_per_image("hash", pixels), found.bytes_per_image("model", pixels)
    words = (f"**Memory per image.** {found.codes['hash'].dims} bits take {bits:g} bytes; the model's code "
             f"takes {code:g} bytes")
    if bits < code:
        words += f" ({code / bits:.0f} times as many)"
    return words + f", the pixels {4 * pixels:,} as float32 ({4 * pixels / bits:.0f} times as many)."


def hits(found: search.Collection, ids: np.ndarray, label: int) -> int:
    return int((found.labels[ids] == label).sum())


def neighbours_picture(dataset: str, ids: np.ndarray, label: int | None) -> np.ndarray:
    """The neighbours in rows of five, each framed green when its label is the query's, red when not
    (grey without a label to compare), as an (H, W, 3) picture."""
    test = test_split(dataset)
    images = upscale(test.images[torch.as_tensor(ids[:SHOWN].copy())].float(), presenter.scale(48))
    images = images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images
    n, _, h, w = images.shape
    border, cols = 3, 5
    canvas = torch.full((3, -(-n // cols) * (h + 2 * border + 2), cols * (w + 2 * border + 2)), 1.0)
    for i, (image, row) in enumerate(zip(images, ids[:SHOWN])):
        colour = (PAD_VALUE,) * 3 if label is None else MATCH if int(test.labels[row]) == label else MISS
        top, left = (i // cols) * (h + 2 * border + 2), (i % cols) * (w + 2 * border + 2)
        canvas[:, top:top + h + 2 * border, left:left + w + 2 * border] = torch.tensor(colour)[:, None, None]
        canvas[:, top + border:top + border + h, left + border:left + border + w] = image
    return (canvas.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()


def query_picture(query: Query) -> np.ndarray:
    images = upscale(query.image[None].float(), presenter.scale(120))[0]
    images = images.expand(3, -1, -1) if images.shape[0] == 1 else images
    return (images.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()


# --- what the numbers say ------------------------------------------------------------------------
def title(name: str, found: search.Collection, active: ActiveModel, hashing: ActiveModel | None) -> str:
    """A column's heading: which code, its size and its distance."""
    codes = found.codes.get(name)
    if name == "pixels":
        return f"pixels ({int(np.prod(test_split(active.dataset).image_shape))} numbers, Euclidean)"
    if name == "model":
        return f"{active.name} ({codes.dims} {'bits, Hamming' if codes.binary else 'numbers, Euclidean'})"
    if name == "pca":
        return f"PCA-{codes.dims} (Euclidean)"
    if name == "hash":
        return f"{hashing.name} ({codes.dims} bits, Hamming)"
    return f"signs of PCA-{codes.dims} ({codes.dims} bits, Hamming)"


def query_words(found: search.Collection, ids: np.ndarray, query: Query, classes: list[str]) -> str:
    """What this query's neighbours are: how many share its label, or the most common label among them."""
    if query.label is not None:
        return f"This query: {hits(found, ids, query.label)} of {len(ids)} share its label ({classes[query.label]})."
    counts = np.bincount(found.labels[ids], minlength=len(classes))
    return f"Most common label among them: {classes[int(counts.argmax())]} ({int(counts.max())} of {len(ids)})."


def comparison(found: search.Collection, a: str, b: str, a_name: str, b_name: str, k: int) -> str:
    """Which of two codes searches the test set better at k, from the two precisions (`ui.core.verdict`)."""
    return verdict.compare(found.precision(a, k), found.precision(b, k), a_name, b_name, lower_is_better=False,
                           what=f"precision@{k} over the test set")


def concept_numbers(found: search.Collection, dataset: str, k: int, titles: dict[str, str]) -> list[Live]:
    """The retrieval concept's live numbers: precision@k of each code over the test set, and the bytes
    per image of the model's code and of the hash."""
    pixels = int(np.prod(test_split(dataset).image_shape))
    live = [Live(f"precision@{k}, {titles[name]}", f"{found.precision(name, k):.3f}",
                 f"Over the {len(found.labels):,} test images, each a query against the others.")
            for name in (*FLOATS, *BITS) if name in found.hits]
    for name in ("model", "hash"):
        if name in found.codes:
            live.append(Live(f"Bytes per image, {titles[name]}", f"{found.bytes_per_image(name, pixels):g}"))
    return live


def memory_table(found: search.Collection, dataset: str, k: int, titles: dict[str, str]) -> pd.DataFrame:
    """Every code: numbers per image, bytes per image as searched, and precision@k over the test set."""
    pixels = int(np.prod(test_split(dataset).image_shape))
    rows = []
    for name in [n for n in (*FLOATS, *BITS) if n in found.hits]:
        size = pixels if name == "pixels" else found.codes[name].dims
        binary = name != "pixels" and found.codes[name].binary
        rows.append({"code": titles[name], "per image": f"{size} {'bits' if binary else 'numbers'}",
                     "bytes per image": found.bytes_per_image(name, pixels),
                     f"precision@{k}": round(found.precision(name, k), 3)})
    return pd.DataFrame(rows)


__all__ = ["BITS", "FLOATS", "Query", "SOURCES", "comparison", "draw_pending", "drawing_query", "hashing_model",
           "collection_key", "concept_numbers", "draw_codes", "largest_k", "measured", "memory_table", "memory_words", "nearest", "neighbours_picture", "query_picture", "query_words", "test_query",
           "title", "upload_query"]
