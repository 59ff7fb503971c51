"""ui.core.jobs.share_result: one session's finished result serves every session, within a bound."""

from __future__ import annotations

from ui.core import jobs


def test_a_shared_result_is_found_by_key_and_the_oldest_goes_first():
    for normal in range(4):
        jobs.share_result("test one-class", ("mnist", (normal,)), {"normal": normal}, keep=3)
    assert jobs.shared_result("test one-class", ("mnist", (0,))) is None  # evicted: the oldest
    assert jobs.shared_result("test one-class", ("mnist", (3,))) == {"normal": 3}
    assert jobs.shared_result("test other", ("mnist", (3,))) is None  # spaces do not mix

    jobs.share_result("test one-class", ("mnist", (1,)), {"normal": 1, "again": True}, keep=3)  # now the newest
    jobs.share_result("test one-class", ("mnist", (4,)), {"normal": 4}, keep=3)
    assert jobs.shared_result("test one-class", ("mnist", (2,))) is None
    assert jobs.shared_result("test one-class", ("mnist", (1,))) == {"normal": 1, "again": True}
