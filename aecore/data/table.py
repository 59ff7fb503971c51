"""Tables of numbers for anomaly detection: the bundled ones and a user's CSV, checked cell by cell.

A table is rows of numeric columns (fraud, network intrusion, defective parts: the classic uses of
anomaly detection) with an optional label column, found by its name (`LABEL_NAMES`). Every other
column must hold a finite number in every row; anything else raises `TableError` with a message that
says what to fix, so an app can show it and keep running. Nothing here is standardised: the scaler
is fit on the training rows only (`aecore.tabular`), so no test row leaks into it.

    table = bundled_table("breast-cancer")             # scikit-learn's copy, no network
    table = read_csv(open("mine.csv", "rb").read(), "mine.csv")
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from aecore.limits import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB

LABEL_NAMES = ("label", "class", "target")  # a column of one of these names (any case) is the label
MIN_ROWS = 20  # enough to train on some rows and still test on others
MAX_ROWS = 100_000  # PCA, the forest and a bounded number of training steps stay within seconds
MAX_COLUMNS = 500
MAX_CELLS = 2_000_000  # about a second of parsing: more would hold up the page that reads the file
_MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}  # how spreadsheets write a missing value


class TableError(ValueError):
    """A table the app cannot use; the message says what to fix."""


@dataclass(frozen=True, eq=False)
class Table:
    """Rows of numeric features, with each row's class when the table has a label column."""

    name: str
    columns: tuple[str, ...]  # the feature columns, in file order (the label column left out)
    features: np.ndarray  # (N, D) float64, every value finite
    labels: np.ndarray | None  # (N,) str, or None without a label column
    label_column: str | None
    default_normal: str | None  # the class called normal when nobody chooses one
    about: str = ""  # where the table comes from, in a sentence

    @property
    def classes(self) -> list[str]:
        """The label values, the default normal class first; [] without labels."""
        if self.labels is None:
            return []
        found = sorted(set(self.labels.tolist()))
        return sorted(found, key=lambda c: c != self.default_normal)

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of the values and labels: the same table gives the same key in every process
        (computed once: an app asks on every run)."""
        digest = hashlib.blake2b(np.ascontiguousarray(self.features).tobytes(), digest_size=12)
        digest.update("\x1f".join(self.columns).encode())
        if self.labels is not None:
            digest.update("\x1f".join(self.labels.tolist()).encode())
        return digest.hexdigest()


# --- the bundled tables (scikit-learn ships them: no network) ------------------------------------
def _breast_cancer() -> Table:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    labels = np.asarray(data.target_names)[data.target].astype(str)  # 0 malignant, 1 benign
    return Table("breast-cancer", tuple(data.feature_names), data.data.astype(np.float64), labels, "diagnosis",
                 "benign", "Wisconsin diagnostic breast cancer (scikit-learn): 569 tumours, 30 measurements of "
                 "their cell nuclei; 357 benign (normal), 212 malignant (the anomalies).")


def _wine() -> Table:
    from sklearn.datasets import load_wine

    data = load_wine()
    labels = np.asarray(data.target_names)[data.target].astype(str)
    # class_1, the largest class (71 of 178 wines), is normal: the most rows to learn from.
    return Table("wine", tuple(data.feature_names), data.data.astype(np.float64), labels, "cultivar", "class_1",
                 "Wines of three cultivars (scikit-learn): 178 wines, 13 chemical measurements; class_1 "
                 "(71 wines) is normal, the other two cultivars are the anomalies.")


BUNDLED = {"breast-cancer": _breast_cancer, "wine": _wine}


@lru_cache(maxsize=4)
def bundled_table(name: str) -> Table:
    """One of the tables scikit-learn ships (`BUNDLED`), loaded once per process."""
    if name not in BUNDLED:
        raise TableError(f"unknown table {name!r}; bundled tables: {', '.join(BUNDLED)}")
    return BUNDLED[name]()


# --- a user's CSV ---------------------------------------------------------------------------------
def _rows(data: bytes, name: str) -> list[list[str]]:
    if len(data) > MAX_UPLOAD_BYTES:
        raise TableError(f"{name} is {len(data) / 2**20:.1f} MB; the limit is {MAX_UPLOAD_MB} MB: keep fewer rows.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableError(f"{name} is not a text file in UTF-8: save the table as CSV (UTF-8) and upload that.") from None
    try:
        dialect = csv.Sniffer().sniff(text[:20_000], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # one column, or nothing to tell from: plain commas
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)]
    if not rows:
        raise TableError(f"{name} is empty: a CSV needs a header row with the column names, then one row per record.")
    return rows


def _header(header: list[str]) -> list[str]:
    names = [cell.strip() for cell in header]
    for position, column in enumerate(names, start=1):
        if not column:
            raise TableError(f"column {position} has no name in the header row: name it, or remove it if it is empty.")
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise TableError(f"the header names {', '.join(map(repr, repeated))} twice: give every column its own name.")
    if len(names) > MAX_COLUMNS + 1:
        raise TableError(f"the table has {len(names)} columns; at most {MAX_COLUMNS} are allowed: keep fewer.")
    return names


def _number(cell: str, column: str, row: int) -> float:
    text = cell.strip()
    if text.lower() in _MISSING:
        raise TableError(f"column {column!r} has a missing value in row {row}: fill it in or remove the row.")
    try:
        value = float(text)
    except ValueError:
        raise TableError(f"column {column!r} has the text {text[:30]!r} in row {row}, where a number must be: fix that "
                         f"value, remove the column, or name it {LABEL_NAMES[0]!r} if it holds each row's class.") from None
    if not np.isfinite(value):
        raise TableError(f"column {column!r} has an infinite value ({text}) in row {row}: replace it with a number "
                         "or remove the row.")
    return value


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def read_csv(data: bytes, name: str = "the file") -> Table:
    """A CSV (header row, then one row per record) as a Table. The label column is the one named
    label, class or target; every other column must hold a finite number in every row."""
    rows = _rows(data, name)
    columns, body = _header(rows[0]), rows[1:]
    labels_at = [i for i, c in enumerate(columns) if c.lower() in LABEL_NAMES]
    if len(labels_at) > 1:
        raise TableError(f"{' and '.join(repr(columns[i]) for i in labels_at)} could each be the label column: "
                         "keep one of them.")
    for number, row in enumerate(body, start=2):  # the header is line 1, as a spreadsheet counts
        if len(row) != len(columns):
            raise TableError(f"row {number} has {len(row)} values but the header names {len(columns)} columns: "
                             "every row needs one value per column.")
    features_at = [i for i in range(len(columns)) if i not in labels_at]
    if not features_at:
        raise TableError("the table has no numeric columns, only the label: add the measurements, one column each.")
    if len(body) < MIN_ROWS:
        raise TableError(f"the table has {len(body)} row{'s' if len(body) != 1 else ''}; at least {MIN_ROWS} are "
                         "needed to train on some and test on the others.")
    if len(body) > MAX_ROWS or len(body) * len(features_at) > MAX_CELLS:
        most = min(MAX_ROWS, MAX_CELLS // len(features_at))
        raise TableError(f"the table has {len(body):,} rows of {len(features_at)} numbers; at most {most:,} such rows "
                         "are allowed: keep a sample.")
    for i in features_at:
        if all(not row[i].strip() for row in body):
            raise TableError(f"column {columns[i]!r} is empty: remove it.")
    if not any(_is_number(row[i]) for i in features_at for row in body[:1000]):
        raise TableError(f"no column holds numbers ({', '.join(columns[i] for i in features_at)[:80]}): the detector "
                         "needs numeric measurements, one column each, and at most one text column, named "
                         f"{LABEL_NAMES[0]!r}, for the classes.")
    features = np.array([[_number(row[i], columns[i], n) for i in features_at] for n, row in enumerate(body, start=2)])
    labels, label_column, normal = None, None, None
    if labels_at:
        label_column = columns[labels_at[0]]
        labels = np.array([row[labels_at[0]].strip() for row in body], dtype=str)
        values, counts = np.unique(labels, return_counts=True)
        if "" in values:
            missing = 2 + int(np.flatnonzero(labels == "")[0])
            raise TableError(f"the label column {label_column!r} is empty in row {missing}: give every row its class.")
        if len(values) < 2:
            raise TableError(f"the label column {label_column!r} has one class only ({str(values[0])!r}): add rows of "
                             "another class (the anomalies), or remove the column to score rows without labels.")
        normal = str(values[np.argmax(counts)])  # the most common class is the usual one
    return Table(name, tuple(columns[i] for i in features_at), features, labels, label_column, normal,
                 f"{name}: {len(body)} rows, {len(features_at)} numeric columns"
                 + (f", classes in {label_column!r}." if label_column else ", no label column."))
