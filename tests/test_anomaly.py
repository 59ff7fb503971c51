"""aecore.anomaly on digits: ROC against scikit-learn, score shapes, PCA scores, one-class training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score

import aecore
from aecore import anomaly


@pytest.fixture(scope="module")
def digits() -> aecore.ImageDataset:
    return aecore.load_dataset("digits")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_matches_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    truth = rng.random(300) < 0.3
    scores = rng.normal(size=300) + truth * 0.8
    scores[:50] = np.round(scores[:50], 1)  # ties
    result = anomaly.roc(scores, truth)
    assert result["auroc"] == pytest.approx(roc_auc_score(truth, scores), abs=1e-12)
    assert result["fpr"][0] == 0 and result["tpr"][-1] == 1 and np.isinf(result["thresholds"][0])
    assert len(result["fpr"]) == len(result["tpr"]) == len(result["thresholds"])


def test_roc_refuses_one_group_and_bad_shapes():
    with pytest.raises(ValueError, match="both normal and anomalous"):
        anomaly.roc(np.arange(5.0), np.zeros(5, bool))
    with pytest.raises(ValueError, match="one length"):
        anomaly.roc(np.arange(5.0), np.zeros(4, bool))
    with pytest.raises(ValueError, match="finite"):
        anomaly.roc(np.array([0.0, np.nan]), np.array([0, 1]))


def test_confusion_counts_add_up_and_follow_the_threshold():
    scores, truth = np.array([0.1, 0.2, 0.3, 0.4]), np.array([False, True, False, True])
    counts = anomaly.confusion(scores, truth, 0.25)
    assert (counts["tp"], counts["fp"], counts["tn"], counts["fn"]) == (1, 1, 1, 1)
    assert counts["precision"] == 0.5 and counts["recall"] == 0.5
    assert anomaly.confusion(scores, truth, 1.0)["tp"] == 0 and np.isnan(anomaly.confusion(scores, truth, 1.0)["precision"])


def test_scores_are_one_mse_per_image(digits):
    model = aecore.load_pretrained("digits-ae-8")
    test = digits.split(0.2, seed=0)[1]
    scores = anomaly.anomaly_scores(model, test)
    assert scores.shape == (len(test),) and (scores >= 0).all()
    x_hat = anomaly.reconstructions(model, test.images[:3])
    expected = (x_hat - test.images[:3]).pow(2).flatten(1).mean(1).double().numpy()
    np.testing.assert_allclose(scores[:3], expected, rtol=1e-6)


def test_scores_refuse_images_of_another_shape():
    model = aecore.load_pretrained("digits-ae-8")
    with pytest.raises(ValueError, match="the model takes"):
        anomaly.anomaly_scores(model, torch.zeros(2, 1, 32, 32))


def test_pca_scores_match_scikit_learn(digits):
    train, test = digits.split(0.2, seed=0)
    scores = anomaly.pca_scores(train, test, 8)
    x_train, x_test = train.images.flatten(1).double().numpy(), test.images.flatten(1).double().numpy()
    pca = PCA(8).fit(x_train)
    expected = ((np.clip(pca.inverse_transform(pca.transform(x_test)), 0, 1) - x_test) ** 2).mean(1)
    np.testing.assert_allclose(scores, expected, rtol=1e-6, atol=1e-12)
    with pytest.raises(ValueError, match="k must be"):
        anomaly.pca_scores(train, test, 0)


def test_one_class_split_keeps_the_whole_datasets_test_split(digits):
    train, test, is_anomaly = anomaly.one_class_split(digits, [3, 5])
    full_train, full_test = digits.split(0.2, seed=0)
    assert torch.equal(test.images, full_test.images)
    assert set(train.labels.tolist()) == {3, 5} and len(train) == int(np.isin(full_train.labels, [3, 5]).sum())
    np.testing.assert_array_equal(is_anomaly, ~np.isin(full_test.labels.numpy(), [3, 5]))
    with pytest.raises(ValueError, match="normal classes"):
        anomaly.one_class_split(digits, [])
    with pytest.raises(ValueError, match="normal classes"):
        anomaly.one_class_split(digits, [10])


def test_one_class_training_scores_anomalies_higher(digits):
    torch.set_num_threads(1)
    outcome = aecore.studies.jobs.one_class(aecore.recipes.one_class_spec("digits", [0]))
    scores, is_anomaly = outcome["scores"], outcome["is_anomaly"]
    assert scores[is_anomaly].mean() > scores[~is_anomaly].mean()
    assert anomaly.roc(scores, is_anomaly)["auroc"] > 0.8
    model = aecore.load(outcome["checkpoint"])
    assert model.checkpoint["metadata"]["normal_classes"] == [0]
    np.testing.assert_allclose(anomaly.anomaly_scores(model, anomaly.one_class_split(digits, [0])[1]), scores)


def test_active_model_scores_compare_with_pca_fit_on_every_training_image(digits):
    # A model trained on every class is compared with PCA fit on every class too (the fair baseline),
    # not with PCA fit on the normal class alone, and neither depends on the normal classes.
    from aecore.studies import page_jobs
    from aecore.data.splits import SPLIT_SEED, TEST_FRACTION

    model = aecore.load_pretrained("digits-ae-8")
    result = page_jobs.active_anomaly_scores(model, "digits", 8)
    train, test = digits.split(TEST_FRACTION, seed=SPLIT_SEED)
    assert len(train) == 1437 and result["k"] == 8
    assert np.allclose(result["pca_scores"], anomaly.pca_scores(train, test, 8))
    assert np.allclose(result["scores"], anomaly.anomaly_scores(model, test))
    one_class = page_jobs.anomaly_scores(None, "digits", (8,), 8)["pca_scores"]
    assert not np.allclose(result["pca_scores"], one_class)
    assert page_jobs.active_anomaly_scores(None, "digits", 8, with_pca=False) == {"scores": None, "pca_scores": None, "k": 8}


def test_opening_normal_class_is_where_the_methods_differ(digits):
    assert anomaly.opening_normal("digits", 10) == 8 and anomaly.opening_normal("shapes", 4) == 1
    assert anomaly.opening_normal("unmeasured", 3) == 0 and anomaly.opening_normal("digits", 5) == 0
    # PCA fit on class 8 alone misses more anomalies than on class 0, where it is perfect.
    train, test, is_anomaly = anomaly.one_class_split(digits, [8])
    assert anomaly.roc(anomaly.pca_scores(train, test, 8), is_anomaly)["auroc"] < 0.98


def test_one_pca_fit_scores_every_smaller_k_as_its_own_fit_does():
    # The zoo's measuring fits PCA once per class at the largest k and reads the smaller ks from it.
    digits = aecore.load_dataset("digits")
    train, test = digits.subset(np.arange(300)), digits.subset(np.arange(300, 400))
    each = anomaly.pca_scores_each(train, test, [2, 5, 12])
    for k in (2, 5, 12):
        np.testing.assert_allclose(each[k], anomaly.pca_scores(train, test, k), rtol=1e-6, atol=1e-12)
    assert each[2].mean() > each[12].mean()  # more components rebuild better
    with pytest.raises(ValueError, match="k must be"):
        anomaly.pca_scores_each(train, test, [0, 3])
