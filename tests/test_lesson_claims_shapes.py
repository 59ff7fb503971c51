"""Lesson claims on shapes: the steps open on digits (or MNIST); with shapes active their pages
still publish what each claim names (see test_lesson_claims.py)."""

from __future__ import annotations

import pytest

from lesson_steps import ON_SHAPES, on_shapes


@pytest.mark.parametrize(("name", "index"), ON_SHAPES, ids=[f"{n}-{i + 1}" for n, i in ON_SHAPES])
def test_each_claim_is_decided_by_the_pages_numbers_on_shapes(name, index):
    # The steps open on digits (or MNIST); on shapes their pages still publish what the claim names,
    # and an answer with one text must still hold (the capacity lab and drawing are digits' only).
    step, facts = on_shapes(name, index)
    outcome = step.holds(facts)
    assert outcome is not None, f"{name} step {index + 1} on shapes: its page published {facts}, not {step.claim}"
    if isinstance(step.reveal, str):
        assert outcome, f"{name} step {index + 1}: its one answer claims {step.claim}; on shapes the page shows {facts}"
