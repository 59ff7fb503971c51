"""The Recommend page under AppTest: on the embedded table it trains in the background, then shows
every method's numbers, verdicts computed from them, one user's ratings and top 10 with the held-out
items marked, and live recommendations for ratings typed in; on a fake MovieLens download (a test
mirror) it downloads with a job, trains and colours the users by their attributes."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from conftest import figures, finish_jobs, open_page, widget
from fake_mirror import Mirror
from fake_movielens import USERS, movielens_zip_bytes

from aecore.data.ratings import bundled_ratings
from aecore.recommend import PAGE_MODEL, holdout
from ui import recommend_view

PAGE = "pages/recommend.py"


def run_until_done(at: AppTest, purpose: str) -> None:
    """Run the page until its `purpose` job (if any) has ended, as a browser polling it would."""
    finish_jobs(at, purpose)


def frame(at: AppTest, columns: set[str]) -> pd.DataFrame:
    return next(f.value for f in at.dataframe if columns <= set(f.value.columns))


@pytest.fixture(scope="module")
def page() -> AppTest:
    at = open_page(PAGE)
    assert widget(at.radio, "Ratings").value == recommend_view.EMBEDDED
    run_until_done(at, recommend_view.PURPOSE)
    return at


def test_every_method_and_verdicts_from_the_numbers(page):
    table = frame(page, {"method", "RMSE"}).set_index("method")
    assert list(table.index) == ["global mean", "user mean", "item mean", "popularity", "SVD", "AutoRec, user-based",
                                 "AutoRec, item-based", PAGE_MODEL]
    mine, svd = table.loc[PAGE_MODEL, "RMSE"], table.loc["SVD", "RMSE"]
    said = " ".join(m.value for m in page.markdown)
    winner = "Denoising AutoRec" if mine < svd else "SVD"
    assert f"{winner} has the lower held-out RMSE here ({min(mine, svd):.3f} against" in said
    assert widget(page.metric, "Held-out RMSE, AutoRec").value == f"{mine:.3f}"
    assert widget(page.metric, "Probe: favourite genre").value.endswith("%")
    assert any("O(u)" in caption.value for caption in page.caption)  # the masked loss stands beside them


def test_one_user_rated_items_and_top_10_with_held_out_marked(page):
    widget(page.number_input, "User").set_value(7).run()
    assert not page.exception, page.exception
    ratings = bundled_ratings("tastes")
    split = holdout(ratings, seed=recommend_view.SEED)
    held = {ratings.item_names[i] for i in ratings.item[(ratings.user == 6) & split.test]}
    trained = {ratings.item_names[i] for i in ratings.item[(ratings.user == 6) & split.train]}
    assert set(frame(page, {"stars"})["item"]) == trained
    top = frame(page, {"held out"})
    assert len(top) == 10 and not set(top["item"]) & trained
    assert {item for item, mark in zip(top["item"], top["held out"]) if mark} == set(top["item"]) & held


def test_your_ratings_give_recommendations_and_a_place_on_the_map(page):
    loved = widget(page.multiselect, "Loved").options[:3]
    widget(page.multiselect, "Loved").set_value(loved).run()
    assert not page.exception, page.exception
    yours = next(f.value for f in page.dataframe if "held out" not in f.value.columns and "predicted stars" in f.value.columns)
    assert len(yours) == 10 and not set(yours["item"]) & set(loved)
    names = [trace.get("name") for figure in figures(page) for trace in figure["data"]]
    assert "you" in names and "user 7" in names and "action" in names  # coloured by the planted favourite genre


def test_movielens_downloads_through_a_mirror_then_trains(tmp_path, monkeypatch):
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "ml-100k.zip").write_bytes(movielens_zip_bytes())
    monkeypatch.setenv("AECORE_DATA", str(tmp_path / "data"))
    with Mirror(tmp_path / "mirror") as mirror:
        monkeypatch.setenv("AECORE_DATA_MIRROR", mirror.url)
        at = open_page(PAGE)
        widget(at.radio, "Ratings").set_value(recommend_view.MOVIELENS).run()
        assert any("forbids redistribution" in m.value for m in at.markdown)
        widget(at.button, "Download MovieLens").click().run()
        run_until_done(at, recommend_view.DOWNLOAD_PURPOSE)
    run_until_done(at, recommend_view.PURPOSE)
    assert any(f"{USERS} users" in caption.value for caption in at.caption)
    assert list(widget(at.selectbox, "Colour the users by").options) == ["age", "gender", "occupation"]
    assert len(frame(at, {"method", "RMSE"})) == 8
