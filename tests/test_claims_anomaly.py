"""The anomaly page's verdicts agree with the numbers beside them, for every shipped model of digits
and shapes and a model a user trained (see test_claims.py; a file of its own, so that another test
worker takes it)."""

from __future__ import annotations

import pytest

from test_claims import SHIPPED, TRAINED, verdicts_agree


@pytest.mark.parametrize("model", [*SHIPPED, TRAINED])
def test_every_anomaly_verdict_agrees_with_the_numbers_beside_it(model):
    verdicts_agree("pages/anomaly.py", model)
