"""Recommendation: the ratings tables (embedded, a user's CSV with one test per bad input, MovieLens
through a test mirror), the AutoRec kinds against their formula, the split and scores against hand
counts, the baselines against scikit-learn and numpy, compare, and the command line."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

import aecore
from aecore.cli import main
from aecore.data import movielens
from aecore.data.ratings import MIN_RATINGS, Ratings, RatingsError, bundled_ratings, read_ratings_csv, tastes
from aecore.data.registry import DatasetNotAvailableError
from aecore.limits import MAX_UPLOAD_BYTES
from aecore.models.autorec import STARS_PER_UNIT, decode_ratings, encode_ratings
from aecore.recommend import Recipe, baselines, compare, holdout, ranking, rmse, top_items
from fake_mirror import Mirror, closed_port_url
from fake_movielens import USERS, movielens_zip_bytes

QUICK = replace(Recipe(), epochs=15)


# --- the tables -------------------------------------------------------------------------------------
def test_tastes_is_seeded_sparse_and_planted():
    table = bundled_ratings("tastes")
    assert (table.users, table.items) == (600, 400)
    assert 0.04 < len(table.rating) / (600 * 400) < 0.06
    assert set(np.unique(table.rating)) <= {1, 2, 3, 4, 5}
    assert len(set(zip(table.user.tolist(), table.item.tolist()))) == len(table.rating)  # each pair once
    favourite = table.user_attributes["favourite genre"]
    liked = [np.mean(table.rating[(table.user == u) & (table.item_genres[table.item] == favourite[u])]) for u in range(50)]
    others = [np.mean(table.rating[(table.user == u) & (table.item_genres[table.item] != favourite[u])]) for u in range(50)]
    assert np.nanmean(liked) > np.nanmean(others) + 1  # the planted taste shows in the stars
    assert tastes().fingerprint == table.fingerprint != tastes(seed=1).fingerprint
    with pytest.raises(RatingsError, match="embedded tables: tastes"):
        bundled_ratings("films")


def ratings_csv(rows: list[str], header: str = "user,item,rating") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def good_rows(count: int = MIN_RATINGS + 10) -> list[str]:
    return [f"u{i % 10},item {i // 10},{1 + i % 5}" for i in range(count)]


def test_a_good_csv_reads_back():
    table = read_ratings_csv(ratings_csv(good_rows(), header="User,Item,Rating,timestamp"), "mine.csv")
    assert (table.users, table.items, len(table.rating)) == (10, 6, 60)
    assert table.user_names[0] == "u0" and table.rating.max() == 5


@pytest.mark.parametrize("data, message", [
    (ratings_csv(["u1,a,four"] + good_rows()), "row 2 is 'four', where a number of stars must be"),
    (ratings_csv(["u1,a,7"] + good_rows()), "row 2 is 7, outside the scale of 1 to 5"),
    (ratings_csv(["u1,a,3", "u1,a,4"] + good_rows()), "rates item 'a' twice .rows 2 and 3."),
    (ratings_csv(good_rows(10)), f"has 10 ratings; at least {MIN_RATINGS}"),
    ("user,item,rating\nü,a,3\n".encode("latin-1"), "not a text file in UTF-8"),
    (b"user,item,rating\n" + b"u,i,3\n" * (MAX_UPLOAD_BYTES // 6 + 1), "the limit is"),
    (ratings_csv(good_rows(), header="user,film,stars"), "no 'item', 'rating' column"),
    (ratings_csv([",a,3"] + good_rows()), "row 2 has no user"),
    (ratings_csv([f"u{i},i0,3" for i in range(60)]), "60 users and 1 items; at least 5"),
], ids=["text", "range", "duplicate", "too-few", "not-utf8", "too-large", "columns", "no-user", "one-item"])
def test_a_bad_csv_says_what_to_fix(data, message):
    with pytest.raises(RatingsError, match=message):
        read_ratings_csv(data, "mine.csv")


# --- the models -------------------------------------------------------------------------------------
def test_the_ratings_kinds_are_registered_apart_from_the_image_kinds():
    assert aecore.list_models("ratings") == ["autorec", "denoising-autorec"]
    assert not set(aecore.list_models("ratings")) & set(aecore.list_models())
    with pytest.raises(ValueError, match="arch must be 'mlp'"):
        aecore.create_model("autorec", arch="conv", input_shape=(1, 1, 40))
    with pytest.raises(ValueError, match="rows must be one of users, items"):
        aecore.create_model("autorec", input_shape=(1, 1, 40), rows="films")
    with pytest.raises(ValueError, match=r"drop must be in \[0, 1\)"):
        aecore.create_model("denoising-autorec", input_shape=(1, 1, 40), drop=1.0)
    with pytest.raises(ValueError, match="l2 must be 0 or more"):
        aecore.create_model("autorec", input_shape=(1, 1, 40), l2=-1.0)


def test_autorec_loss_is_the_masked_squared_error_in_stars_plus_weight_decay():
    torch.manual_seed(0)
    model = aecore.create_model("autorec", input_shape=(1, 1, 30), latent_dim=4, l2=0.1)
    stars = torch.randint(0, 6, (8, 30)).float()  # 0: not rated
    stars[:, :5] = 0  # five items nobody rated
    x = encode_ratings(stars).view(8, 1, 1, 30)
    assert torch.allclose(decode_ratings(x)[x > 0], stars.view(8, 1, 1, 30)[x > 0])
    total, logs = model.loss(x)
    predicted = decode_ratings(model(x).x_hat).view(8, 30)
    observed = stars > 0
    expected = ((predicted - stars) ** 2 * observed).sum(1).mean()
    assert torch.allclose(logs["recon"], expected, rtol=1e-4)
    decay = model.encoder[1].weight.pow(2).sum() + model.decoder[0].weight.pow(2).sum()
    assert torch.allclose(total, logs["recon"] + 0.05 * decay, rtol=1e-5)
    # An unrated cell's prediction never enters the loss.
    with torch.no_grad():
        model.decoder[0].bias[:5] += 3.0
    assert torch.equal(model.loss(x)[1]["recon"], logs["recon"])
    assert STARS_PER_UNIT == 5.0


def test_denoising_autorec_hides_about_its_share_of_the_ratings_in_training_only():
    model = aecore.create_model("denoising-autorec", input_shape=(1, 1, 2000), drop=0.3)
    x = encode_ratings(torch.full((4, 2000), 4.0)).view(4, 1, 1, 2000)
    hidden = (model.corrupt_input(x) == 0).float().mean().item()
    assert 0.27 < hidden < 0.33
    kept = model.corrupt_input(x)
    assert torch.allclose(kept[kept > 0], x[0, 0, 0, 0] / 0.7)  # scaled up, as dropout does


def test_an_autorec_checkpoint_loads_back_through_the_registry(tmp_path):
    split = holdout(tastes(users=60, items=40, density=0.2))
    model = aecore.recommend.train_autorec(split, "denoising-autorec", "users", replace(QUICK, epochs=2))
    again = aecore.load(aecore.to_zip_bytes(model))
    assert type(again) is type(model) and again.config == model.config
    table = split.train_matrix()
    assert np.array_equal(again.predict(table), model.predict(table))
    assert model.codes(table).shape == (60, QUICK.latent_dim)
    assert 1 <= model.predict(table).min() and model.predict(table).max() <= 5


def test_a_ratings_model_trains_through_the_run_layer_and_its_recipe_rebuilds_it(tmp_path, capsys):
    # One spec, one command, one checkpoint record: the comparison's AutoRec row, `run(spec)` and
    # `python -m aecore train` give the same model and the same held-out scores, beside SVD's.
    from aecore.runner import RunSpec, run

    recipe = replace(QUICK, epochs=3)
    table = compare(bundled_ratings("tastes"), seed=0, recipe=recipe)
    spec = recipe.spec("tastes", "denoising-autorec", "users", seed=0)
    snapshots = []
    result = run(spec, progress=snapshots.append)
    assert result.metrics == {k: table[aecore.recommend.PAGE_MODEL][k] for k in ("rmse", "recall@10", "ndcg@10")}
    assert result.pca["method"] == "truncated SVD" and result.pca["rmse"] == table["SVD"]["rmse"]
    assert snapshots[-1].state == "done" and snapshots[-1].originals is None
    assert len(snapshots[-1].train_history) == 3 and np.isfinite(snapshots[-1].train_history[-1]["recon"])
    recipe_command = result.metadata["recipe"]
    assert recipe_command.startswith("python -m aecore train --dataset tastes --model denoising-autorec")
    assert RunSpec.from_dict(json.loads(json.dumps(result.metadata["spec"]))) == spec

    out = tmp_path / "ar.zip"
    assert main([*recipe_command.split()[3:], "--out", str(out), "--quiet"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["test"]["rmse"] == pytest.approx(result.metrics["rmse"], abs=1e-5)
    again = aecore.load(out)
    split = holdout(bundled_ratings("tastes"))
    assert np.allclose(again.predict(split.train_matrix()), result.model.predict(split.train_matrix()))
    assert not (tmp_path / "ar" / "decoder.onnx").exists()
    assert main(["evaluate", str(out)]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["metrics"]["rmse"] == pytest.approx(result.metrics["rmse"], abs=1e-5)
    assert evaluated["pca"]["rmse"] == pytest.approx(result.pca["rmse"])


def test_a_ratings_run_refuses_a_table_it_cannot_read(tmp_path, capsys):
    bad = tmp_path / "mine.csv"
    bad.write_text("user,item,rating\n1,2,nine\n")
    for dataset, message in ((str(bad), "at least 50 are needed"), ("nope.csv", "neither a ratings table")):
        assert main(["train", "--model", "autorec", "--dataset", dataset, "--out", str(tmp_path / "x.zip")]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


# --- the split and the scores -----------------------------------------------------------------------
def test_the_split_holds_out_a_fifth_of_each_user_and_never_all():
    table = bundled_ratings("tastes")
    split = holdout(table, seed=3)
    per_user = np.bincount(table.user[split.test], minlength=table.users)
    counts = np.bincount(table.user, minlength=table.users)
    assert np.all(per_user >= 1) and np.all(per_user < counts)
    assert abs(split.test.mean() - 0.2) < 0.02
    assert np.array_equal(holdout(table, seed=3).test, split.test)


def tiny() -> Ratings:
    # Two users, four items; user 0 holds out item 2 (5 stars, liked), user 1 item 3 (2 stars).
    user = np.array([0, 0, 0, 1, 1, 1])
    item = np.array([0, 1, 2, 0, 1, 3])
    return Ratings("tiny", user, item, np.array([3, 4, 5, 2, 3, 2], dtype=np.float32), ("a", "b"),
                   ("w", "x", "y", "z"))


def test_rmse_and_ranking_against_hand_counts():
    split = aecore.recommend.RatingsSplit(tiny(), np.array([0, 0, 1, 0, 0, 1], dtype=bool), 0)
    scores = np.array([[9, 9, 1, 2], [9, 9, 9, 9]], dtype=float)
    assert rmse(split, np.full((2, 4), 4.0)) == pytest.approx(np.sqrt((1 + 4) / 2))
    assert top_items(scores, split.train_matrix() > 0, k=2).tolist() == [[3, 2], [2, 3]]
    # User 0's liked item ranks second of the two unrated: recall@1 0, recall@2 1, NDCG@2 1/log2(3).
    assert ranking(split, scores, k=1) == {"recall": 0.0, "ndcg": 0.0}
    assert ranking(split, scores, k=2) == pytest.approx({"recall": 1.0, "ndcg": 1 / np.log2(3)})


def test_the_baselines_against_numpy_and_a_rank_one_table():
    split = holdout(bundled_ratings("tastes"))
    r, keep = split.ratings, split.train
    assert baselines.global_mean(split)[0, 0] == pytest.approx(r.rating[keep].mean())
    assert baselines.user_mean(split)[7, 0] == pytest.approx(r.rating[keep & (r.user == 7)].mean())
    assert baselines.item_mean(split)[0, 5] == pytest.approx(r.rating[keep & (r.item == 5)].mean())
    assert baselines.popularity(split)[0, 5] == (keep & (r.item == 5)).sum()
    # Every cell rated, the table rank one after centring: SVD with one component rebuilds it.
    users, items = np.meshgrid(np.arange(12), np.arange(9), indexing="ij")
    stars = 3 + np.outer(np.linspace(-1, 1, 12), np.linspace(-1, 1, 9))
    full = Ratings("rank-1", users.ravel(), items.ravel(), stars.ravel().astype(np.float32),
                   tuple(map(str, range(12))), tuple(map(str, range(9))))
    whole = aecore.recommend.RatingsSplit(full, np.zeros(108, dtype=bool), 0)
    assert np.allclose(baselines.svd(whole, 1), stars, atol=1e-5)


# --- compare and the command line ---------------------------------------------------------------------
def test_compare_scores_every_method_on_one_split():
    table = compare(tastes(users=150, items=80, density=0.15), seed=0, recipe=QUICK)
    assert set(table) == {"global mean", "user mean", "item mean", "popularity", "SVD", "AutoRec, user-based",
                          "AutoRec, item-based", "denoising AutoRec, user-based"}
    assert np.isnan(table["popularity"]["rmse"]) and np.isnan(table["user mean"]["recall@10"])
    assert all(np.isfinite(row["rmse"]) for name, row in table.items() if name != "popularity")
    assert table["AutoRec, user-based"]["rmse"] < table["global mean"]["rmse"]
    assert all(0 <= row["recall@10"] <= 1 for row in table.values() if np.isfinite(row["recall@10"]))


def test_the_command_prints_the_table(capsys):
    assert main(["recommend", "--epochs", "2", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["ratings"] == "tastes" and printed["methods"]["popularity"]["rmse"] is None
    assert main(["recommend", "--ratings", "nothing.csv"]) == 2
    assert "neither a ratings table" in capsys.readouterr().err


# --- MovieLens through a test mirror ------------------------------------------------------------------
@pytest.fixture
def served(tmp_path):
    folder = tmp_path / "mirror"
    folder.mkdir()
    (folder / "ml-100k.zip").write_bytes(movielens_zip_bytes())
    with Mirror(folder) as mirror:
        yield mirror


def test_movielens_downloads_with_progress_and_loads(tmp_path, served):
    seen = []
    folder = movielens.download_movielens(tmp_path / "data", lambda done, total: seen.append((done, total)),
                                          mirror=served.url)
    assert folder == tmp_path / "data" / "ml-100k" and movielens.is_downloaded(tmp_path / "data")
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] > 0
    table = movielens.load_movielens(tmp_path / "data")
    assert table.users == USERS and set(table.user_attributes) == {"age", "gender", "occupation"}
    assert table.item_names[0] == "Film 1 (1995)" and table.item_genres[0] == "Adventure"


def test_movielens_offline_damaged_or_not_downloaded_says_what_to_do(tmp_path, served, monkeypatch):
    with pytest.raises(DatasetNotAvailableError, match="could not be downloaded .no network.*ml-100k.zip.*licence"):
        movielens.download_movielens(tmp_path, mirror=closed_port_url())
    with pytest.raises(DatasetNotAvailableError, match="is not downloaded.*python -m aecore recommend"):
        movielens.load_movielens(tmp_path)
    (tmp_path / "mirror" / "ml-100k.zip").write_bytes(movielens_zip_bytes(leave_out="u.user"))
    with pytest.raises(DatasetNotAvailableError, match="does not hold ml-100k/u.user"):
        movielens.download_movielens(tmp_path, mirror=served.url)
    # From the official site (here the test mirror under its name), the archive's md5 must match.
    monkeypatch.setattr(movielens, "BASE_URL", served.url)
    with pytest.raises(DatasetNotAvailableError, match="md5 sum .* not the published 0e33842e"):
        movielens.download_movielens(tmp_path, mirror="")
    assert not movielens.is_downloaded(tmp_path) and not list((tmp_path / "ml-100k").iterdir())
