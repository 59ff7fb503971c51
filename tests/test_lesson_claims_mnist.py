"""Lesson answers follow the numbers on a fake downloaded MNIST (written by the test, its sweep
measured on it), where the steps that prefer MNIST open on it (see test_lesson_claims.py)."""

from __future__ import annotations

import pytest

from lesson_steps import ON_MNIST, check
from ui.core import lessons


@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory):
    from fake_mirror import mnist_here

    with mnist_here(tmp_path_factory.mktemp("lesson_claims")):
        yield


@pytest.mark.parametrize(("name", "index"), ON_MNIST, ids=[f"{n}-{i + 1}" for n, i in ON_MNIST])
def test_each_answer_follows_its_pages_numbers_on_a_downloaded_mnist(fake_mnist, name, index):
    step = lessons.lessons()[name].steps[index]
    assert step.choose()[0] == "mnist"  # the step prefers the download where it is here
    check(name, index)
