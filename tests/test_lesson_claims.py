"""Lesson answers follow the numbers on the page: every step with a claim is opened under
AppTest, the numbers its page published are read, and the answer shown must be the branch the claim
chooses for them (or, for a one-text answer, the claim must hold). Here on digits; on a fake
downloaded MNIST in test_lesson_claims_mnist.py, on shapes in test_lesson_claims_shapes.py."""

from __future__ import annotations

import pytest

from lesson_steps import CLAIMS, check
from ui.core import lessons


def test_every_data_dependent_answer_has_both_branches():
    assert len(CLAIMS) >= 8
    for name, index in CLAIMS:
        step = lessons.lessons()[name].steps[index]
        assert isinstance(step.reveal, str) or set(step.reveal) == {"holds", "fails"}


@pytest.mark.parametrize(("name", "index"), CLAIMS, ids=[f"{n}-{i + 1}" for n, i in CLAIMS])
def test_each_answer_follows_its_pages_numbers_on_digits(name, index):
    check(name, index)


def test_on_digits_pca_wins_at_32_numbers_and_the_answer_says_so():
    step, facts, shown = check("bottleneck", 1)
    assert facts["pca_mse"] < facts["ae_mse"]  # 32 numbers keep half of an 8x8 image: PCA wins there
    assert "PCA wins" in shown and "below PCA" not in shown
