"""MovieLens 100k (GroupLens): 100,000 ratings of 1,682 films by 943 users, 1 to 5 stars, 1997-98.

Downloaded on demand, with progress, like MNIST (`aecore.data.download`: the official archive's md5
is checked; $AECORE_DATA_MIRROR replaces the official site, and a mirror's copy need only parse),
and never shipped: its licence forbids redistribution. The three files the loader reads land in
`default_data_root()/ml-100k`, each renamed into place only once the archive has been checked.

    download_movielens(progress=lambda done, total: print(done, total))
    ratings = load_movielens()    # aecore.data.ratings.Ratings, users coloured by age, gender, occupation
"""

from __future__ import annotations

import http.client
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from aecore.data.download import (Progress, RemoteFile, _BadFile, _check_md5, _get, _Meter, _temporary, _why,
                                  mirror_url)
from aecore.data.paths import default_data_root
from aecore.data.ratings import Ratings, RatingsError
from aecore.data.registry import DatasetNotAvailableError

NAME = "movielens-100k"
BASE_URL = "https://files.grouplens.org/datasets/movielens/"
ARCHIVE = RemoteFile("ml-100k.zip", "0e33842e24a9c977be4e0107933c0723", 4_924_029)  # as GroupLens publishes it
FOLDER = "ml-100k"
FILES = ("u.data", "u.item", "u.user")  # ratings; films with their genres; users with age, gender, occupation
# The 19 genre flags of u.item, in order (the README of the release).
GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
          "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western")
AGE_BANDS = ((25, "under 25"), (35, "25 to 34"), (50, "35 to 49"), (200, "50 or over"))
LICENCE = ("MovieLens 100k is © GroupLens Research (University of Minnesota); its licence allows research "
           "use and forbids redistribution, so it is downloaded from GroupLens and never shipped.")


def _root(root: str | os.PathLike | None) -> Path:
    return default_data_root() if root is None else Path(root).expanduser()


def is_downloaded(root: str | os.PathLike | None = None) -> bool:
    """Whether the three files the loader reads are under `root`/ml-100k."""
    return all((_root(root) / FOLDER / f).is_file() for f in FILES)


def unavailable_message(root: str | os.PathLike | None, reason: str, mirror: str | None = None) -> str:
    """`reason`, then where the files come from and where they go (as for MNIST)."""
    source = (mirror_url(mirror) or BASE_URL) + ARCHIVE.name
    return (f"{NAME} {reason}. Download {source}, unzip it and put {', '.join(FILES)} in the folder "
            f"{_root(root) / FOLDER}; or, connected to the internet, run `python -m aecore recommend --ratings "
            f"{NAME}` (it downloads first) or choose MovieLens on the Recommend page. {LICENCE}")


def download_movielens(root: str | os.PathLike | None = None, progress: Progress | None = None, *,
                       mirror: str | None = None) -> Path:
    """Fetch and unpack the archive unless its files are here; returns the folder. `progress(done,
    total)` as bytes arrive (it may raise aecore.data.download.DownloadCancelled); `mirror` (default
    $AECORE_DATA_MIRROR, "" for the official site) serves ml-100k.zip in place of GroupLens. Raises
    DatasetNotAvailableError, saying what to put where, when the archive cannot be had or is damaged."""
    root, base = _root(root), mirror_url(mirror)
    target = root / FOLDER
    if is_downloaded(root):
        return target
    meter = _Meter(progress)
    meter.expect(ARCHIVE.name, ARCHIVE.size)
    meter.report(force=True)
    try:
        target.mkdir(parents=True, exist_ok=True)
        with _temporary(root, ARCHIVE.name) as fetched:
            _get((base or BASE_URL) + ARCHIVE.name, fetched, ARCHIVE, meter)
            if base is None:
                _check_md5(fetched, ARCHIVE)
            _unzip(fetched, target)
    except (OSError, EOFError, zipfile.BadZipFile, http.client.HTTPException, _BadFile) as error:
        raise DatasetNotAvailableError(unavailable_message(root, f"could not be downloaded ({_why(error)})",
                                                           base or "")) from None
    meter.report(force=True)
    return target


def _unzip(archive: Path, target: Path) -> None:
    with zipfile.ZipFile(archive) as packed:
        names = set(packed.namelist())
        absent = [f for f in FILES if f"{FOLDER}/{f}" not in names]
        if absent:
            raise _BadFile(f"{archive.name} does not hold {', '.join(f'{FOLDER}/{f}' for f in absent)}")
        staged = {}
        try:
            for f in FILES:  # each member read by name, never extracted by its own path
                handle, path = tempfile.mkstemp(prefix=f".{f}.", suffix=".part", dir=target)
                with os.fdopen(handle, "wb") as out:
                    out.write(packed.read(f"{FOLDER}/{f}"))
                staged[f] = path
            _parse(target, {f: Path(p) for f, p in staged.items()})  # a mirror's copy must at least parse
            for f, path in staged.items():
                os.replace(path, target / f)
        finally:
            for path in staged.values():
                Path(path).unlink(missing_ok=True)


def _band(age: int) -> str:
    return next(name for limit, name in AGE_BANDS if age < limit)


def _parse(folder: Path, paths: dict[str, Path] | None = None) -> Ratings:
    paths = paths or {f: folder / f for f in FILES}
    try:
        triples = np.loadtxt(paths["u.data"], dtype=np.int64, delimiter="\t", usecols=(0, 1, 2), ndmin=2)
        films = [line.split("|") for line in paths["u.item"].read_text(encoding="latin-1").splitlines() if line]
        people = [line.split("|") for line in paths["u.user"].read_text(encoding="latin-1").splitlines() if line]
        titles = {int(f[0]): f[1] for f in films}
        genres = {int(f[0]): next((GENRES[i] for i, flag in enumerate(f[5:5 + len(GENRES)]) if flag == "1"),
                                  "unknown") for f in films}
        attributes = {int(p[0]): (_band(int(p[1])), {"F": "female", "M": "male"}.get(p[2], p[2]), p[3])
                      for p in people}
    except (ValueError, IndexError) as error:
        raise _BadFile(f"the MovieLens files do not parse ({error})") from None
    user_ids, user = np.unique(triples[:, 0], return_inverse=True)
    item_ids, item = np.unique(triples[:, 1], return_inverse=True)
    unknown = [i for i in user_ids if i not in attributes] + [i for i in item_ids if i not in titles]
    stars = triples[:, 2].astype(np.float32)
    if unknown or stars.min(initial=1) < 1 or stars.max(initial=5) > 5 or not len(stars):
        raise _BadFile("u.data names users or films that u.user or u.item lack, or stars outside 1 to 5")
    kept = [attributes[u] for u in user_ids]
    return Ratings(NAME, user, item, stars, tuple(f"user {u}" for u in user_ids),
                   tuple(titles[i] for i in item_ids), np.array([genres[i] for i in item_ids]),
                   {name: np.array([k[at] for k in kept]) for at, name in enumerate(("age", "gender", "occupation"))},
                   f"MovieLens 100k (GroupLens): {len(user_ids)} users, {len(item_ids):,} films, {len(stars):,} "
                   "ratings, 1997-98. " + LICENCE)


def load_movielens(root: str | os.PathLike | None = None, download: bool = False,
                   progress: Progress | None = None) -> Ratings:
    """The downloaded MovieLens 100k as Ratings (fetched first with download=True). Raises
    DatasetNotAvailableError saying how to get it when it is not here."""
    root = _root(root)
    if not is_downloaded(root):
        if not download:
            raise DatasetNotAvailableError(unavailable_message(root, "is not downloaded"))
        download_movielens(root, progress)
    try:
        return _parse(root / FOLDER)
    except _BadFile as error:
        raise RatingsError(f"{error}: delete the folder {root / FOLDER} and download it again.") from None


__all__ = ["ARCHIVE", "BASE_URL", "LICENCE", "NAME", "download_movielens", "is_downloaded", "load_movielens",
           "unavailable_message"]
