"""A small ml-100k.zip in MovieLens 100k's format, written by the tests (never the real ratings):
u.data (user, item, stars, time, tab-separated), u.item (id|title|dates|url|19 genre flags, latin-1)
and u.user (id|age|gender|occupation|zip)."""

from __future__ import annotations

import io
import zipfile

import numpy as np

USERS, ITEMS = 60, 50


def movielens_zip_bytes(users: int = USERS, items: int = ITEMS, per_user: int = 15, seed: int = 0,
                        leave_out: str | None = None) -> bytes:
    """The archive, with `per_user` ratings of each user; `leave_out` names a member to omit."""
    rng = np.random.default_rng(seed)
    lines = []
    for u in range(1, users + 1):
        for i in rng.choice(items, per_user, replace=False) + 1:
            lines.append(f"{u}\t{i}\t{rng.integers(1, 6)}\t{881250949 + u}")
    films = []
    for i in range(1, items + 1):
        flags = ["0"] * 19
        flags[1 + i % 18] = "1"
        films.append(f"{i}|Film {i} (1995)|01-Jan-1995||http://example.invalid/{i}|" + "|".join(flags))
    people = [f"{u}|{18 + u % 50}|{'FM'[u % 2]}|{('student', 'writer', 'engineer')[u % 3]}|55{u:03d}"
              for u in range(1, users + 1)]
    members = {"u.data": "\n".join(lines) + "\n", "u.item": "\n".join(films) + "\n", "u.user": "\n".join(people) + "\n",
               "README": "A test archive in the format of MovieLens 100k.\n"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as packed:
        for name, text in members.items():
            if name != leave_out:
                packed.writestr(f"ml-100k/{name}", text.encode("latin-1"))
    return buffer.getvalue()
