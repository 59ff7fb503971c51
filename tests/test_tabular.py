"""aecore's tables: the bundled ones, a user's CSV (one test per bad input, each message saying what to
fix), the one-class split, and the three detectors on breast cancer (malignant = anomaly)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from aecore import tabular
from aecore.data.table import MAX_UPLOAD_BYTES, MIN_ROWS, TableError, bundled_table, read_csv
from aecore.tabular import TableRecipe


def csv_bytes(header: str, rows: list[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def good_rows(count: int = 30) -> list[str]:
    rng = np.random.default_rng(0)
    return [f"{a:.3f},{b:.3f},{'ok' if i % 3 else 'bad'}" for i, (a, b) in enumerate(rng.normal(size=(count, 2)))]


# --- loading ---------------------------------------------------------------------------------------------
def test_bundled_breast_cancer_calls_benign_normal():
    table = bundled_table("breast-cancer")
    assert table.features.shape == (569, 30) and len(table.columns) == 30
    assert table.classes == ["benign", "malignant"]  # the normal class first
    assert (table.labels == "benign").sum() == 357 and (table.labels == "malignant").sum() == 212


def test_bundled_wine_calls_class_1_normal():
    table = bundled_table("wine")
    assert table.features.shape == (178, 13) and table.classes[0] == "class_1"
    with pytest.raises(TableError, match="bundled tables: breast-cancer, wine"):
        bundled_table("iris")


def test_a_good_csv_with_a_label_column():
    table = read_csv(csv_bytes("a,b,Class", good_rows()), "mine.csv")
    assert table.columns == ("a", "b") and table.features.shape == (30, 2)
    assert table.label_column == "Class" and table.classes == ["ok", "bad"]  # the most common class is normal
    assert table.fingerprint == read_csv(csv_bytes("a,b,Class", good_rows()), "copy.csv").fingerprint


def test_a_csv_without_labels_and_with_semicolons():
    rows = [row.rsplit(",", 1)[0].replace(",", ";") for row in good_rows()]
    table = read_csv(csv_bytes("a;b", rows))
    assert table.labels is None and table.classes == [] and table.features.shape == (30, 2)


# --- one test per bad input ----------------------------------------------------------------------------
def test_text_in_a_numeric_column_names_the_column_and_row():
    rows = good_rows()
    rows[4] = "1.0,abc,ok"
    with pytest.raises(TableError, match=r"column 'b' has the text 'abc' in row 6.*fix that value"):
        read_csv(csv_bytes("a,b,label", rows))


def test_an_empty_column():
    rows = [row.replace(",", ",,", 1) for row in good_rows()]
    with pytest.raises(TableError, match=r"column 'empty' is empty: remove it"):
        read_csv(csv_bytes("a,empty,b,label", rows))


def test_a_single_row():
    with pytest.raises(TableError, match=rf"has 1 row; at least {MIN_ROWS} are needed"):
        read_csv(csv_bytes("a,b,label", good_rows(1)))


def test_no_numeric_columns():
    rows = [f"name{i},city{i}" for i in range(30)]
    with pytest.raises(TableError, match="no column holds numbers"):
        read_csv(csv_bytes("name,city", rows))
    with pytest.raises(TableError, match="no numeric columns, only the label"):
        read_csv(csv_bytes("label", [f"c{i % 2}" for i in range(30)]))


@pytest.mark.parametrize("value, words", [("", "missing value"), ("NaN", "missing value"), ("inf", "infinite value"),
                                          ("-Infinity", "infinite value")])
def test_missing_and_infinite_values(value, words):
    rows = good_rows()
    rows[7] = f"{value},1.0,ok"
    with pytest.raises(TableError, match=rf"column 'a' has an? {words}.* in row 9"):
        read_csv(csv_bytes("a,b,label", rows))


def test_a_label_column_with_one_class():
    rows = [row.rsplit(",", 1)[0] + ",ok" for row in good_rows()]
    with pytest.raises(TableError, match=r"label column 'label' has one class only \('ok'\).*remove the column"):
        read_csv(csv_bytes("a,b,label", rows))


def test_ragged_rows_unnamed_and_repeated_columns_and_not_text():
    rows = good_rows()
    rows[2] = "1.0,2.0"
    with pytest.raises(TableError, match="row 4 has 2 values but the header names 3 columns"):
        read_csv(csv_bytes("a,b,label", rows))
    with pytest.raises(TableError, match="column 2 has no name"):
        read_csv(csv_bytes("a,,label", good_rows()))
    with pytest.raises(TableError, match="names 'a' twice"):
        read_csv(csv_bytes("a,a,label", good_rows()))
    with pytest.raises(TableError, match="not a text file in UTF-8"):
        read_csv(b"\x89PNG\r\n\x1a\n\xff\xfe\x00", "picture.png")
    with pytest.raises(TableError, match="is empty"):
        read_csv(b"\n\n")
    with pytest.raises(TableError, match="the limit is 20 MB"):
        read_csv(b"a\n" + b"1\n" * (MAX_UPLOAD_BYTES // 2 + 1))


def test_a_table_too_large_to_parse_quickly(monkeypatch):
    monkeypatch.setattr("aecore.data.table.MAX_CELLS", 50)
    with pytest.raises(TableError, match="30 rows of 2 numbers; at most 25 such rows are allowed: keep a sample"):
        read_csv(csv_bytes("a,b,label", good_rows()))


# --- the split and the detectors -----------------------------------------------------------------------------
def test_the_split_trains_on_normal_rows_only():
    table = bundled_table("breast-cancer")
    split = tabular.one_class_split(table, "benign")
    assert len(split.train) == 250 and len(split.test) == 107 + 212
    assert split.is_anomaly.sum() == 212 and (table.labels[split.test_rows][~split.is_anomaly] == "benign").all()
    train_rows = {tuple(row) for row in split.train}
    assert not train_rows & {tuple(row) for row in split.test}  # no training row is tested
    with pytest.raises(TableError, match="not a class"):
        tabular.one_class_split(table, "cyst")


def test_pca_scores_match_scikit_learn():
    rng = np.random.default_rng(0)
    train, test = rng.normal(size=(80, 6)), rng.normal(size=(20, 6))
    pca = PCA(n_components=3).fit(train)
    expected = ((pca.inverse_transform(pca.transform(test)) - test) ** 2).mean(1)
    assert np.allclose(tabular.pca_scores(train, test, 3), expected)


@pytest.fixture(scope="module")
def breast_cancer_run() -> dict:
    torch.set_num_threads(1)
    return tabular.detect(bundled_table("breast-cancer"), "benign")


def test_the_autoencoder_finds_malignant_tumours(breast_cancer_run):
    auroc = breast_cancer_run["auroc"]
    assert auroc["autoencoder"] > 0.85, auroc  # far above chance (0.5); the bench gives 0.90 over seeds
    assert auroc["pca"] > 0.8 and auroc["forest"] > 0.8
    assert breast_cancer_run["recipe"]["latent_dim"] == 8 and breast_cancer_run["train_rows"] == 250


def test_column_shares_sum_to_one_and_the_top_rows_are_the_highest(breast_cancer_run):
    shares, scores, top = breast_cancer_run["top_shares"], breast_cancer_run["scores"], breast_cancer_run["top"]
    assert shares.shape == (tabular.TOP_ROWS, 30) and (shares >= 0).all()
    assert np.allclose(shares.sum(1), 1.0)
    assert (scores[top] == np.sort(scores)[::-1][:tabular.TOP_ROWS]).all()
    assert np.allclose(tabular.column_shares(np.zeros((2, 4))), 0.25)  # a perfect rebuild shares evenly


def test_scores_are_the_mean_of_the_column_errors():
    table = bundled_table("wine")
    split = tabular.one_class_split(table, "class_1")
    scaler = StandardScaler().fit(split.train)
    recipe = TableRecipe(latent_dim=3, hidden=(16,), steps=200)
    model, loss = tabular.train_autoencoder(scaler.transform(split.train), recipe)
    errors = tabular.column_errors(model, scaler.transform(split.test))
    assert errors.shape == (len(split.test), 13) and np.isfinite(loss)
    assert model.kind == "ae" and model.config.arch == "mlp" and model.config.input_shape == (1, 1, 13)


def test_a_table_without_labels_is_scored_without_an_roc():
    rows = [row.rsplit(",", 1)[0] for row in good_rows(40)]
    result = tabular.detect(read_csv(csv_bytes("a,b", rows)), None, TableRecipe(latent_dim=1, hidden=(8,), steps=50))
    assert result["is_anomaly"] is None and "auroc" not in result and len(result["scores"]) == 12
