"""aecore.latent: background projection jobs, their cache, and the fast projection defaults."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aecore.latent import forget_projection_jobs, project, projection_job
from aecore.latent.projection import TSNE_FAST, UMAP_FAST


@pytest.fixture(scope="module")
def codes() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(150, 6)).astype(np.float32)


@pytest.fixture(autouse=True)
def empty_cache():
    forget_projection_jobs()
    yield
    forget_projection_jobs()


def test_umap_job_finishes_with_a_finite_map_and_an_inverse(codes):
    threads = torch.get_num_threads()
    job = projection_job("test-codes", codes, "umap", seed=0)
    assert job.wait(timeout=120), "the projection job did not finish in 120 s"
    assert torch.get_num_threads() == threads  # numba in the worker leaves the caller's torch alone
    assert job.state == "done" and job.error is None and job.seconds > 0
    embedding = job.result.embedding_
    assert embedding.shape == (150, 2) and np.isfinite(embedding).all()
    assert job.result.inverse_transform(embedding[:1]).shape == (1, 6)


def test_the_same_key_method_and_seed_give_the_same_job(codes):
    job = projection_job("test-codes", codes, "pca", seed=0)
    assert projection_job("test-codes", codes, "pca", seed=0) is job
    assert projection_job("test-codes", codes, "pca", seed=1) is not job
    assert projection_job("other-codes", codes, "pca", seed=0) is not job
    forget_projection_jobs("test-codes")
    assert projection_job("test-codes", codes, "pca", seed=0) is not job


def test_a_failing_projection_reports_failed_with_a_message(codes):
    job = projection_job("test-codes", codes, "pca", svd_solver="no-such-solver")
    assert job.wait(timeout=60)
    assert job.state == "failed" and job.result is None
    assert "svd_solver" in job.error
    assert projection_job("test-codes", codes, "pca", svd_solver="no-such-solver") is job  # kept to be shown


def test_bad_codes_or_method_are_refused_before_any_thread_starts(codes):
    with pytest.raises(ValueError, match="unknown projection method 'mds'"):
        projection_job("test-codes", codes, "mds")
    with pytest.raises(ValueError, match=r"N >= 3"):
        projection_job("test-codes", codes[:2], "umap")


def test_umap_uses_the_fast_settings_unless_told_otherwise(codes):
    small = codes[:60]
    fitted = project(small, "umap")
    assert (fitted.n_epochs, fitted.n_neighbors) == (UMAP_FAST["n_epochs"], UMAP_FAST["n_neighbors"])
    assert project(small, "umap", n_epochs=30).n_epochs == 30  # the caller's option wins
    slow = project(small, "umap", fast=False)
    assert slow.n_epochs is None and slow.n_neighbors == 15  # umap-learn's own defaults


def test_tsne_uses_the_fast_settings_unless_told_otherwise(codes):
    small = codes[:40]
    assert project(small, "tsne").max_iter == TSNE_FAST["max_iter"]
    assert project(small, "tsne", max_iter=250).max_iter == 250
