"""Lesson answers follow the numbers on the page: every step with a claim is opened under
AppTest, the numbers its page published are read, and the answer shown must be the branch the claim
chooses for them (or, for a one-text answer, the claim must hold). On digits, and on a fake downloaded
MNIST (written by the test, its sweep measured on it), where the steps that prefer MNIST open on it."""

from __future__ import annotations

import logging

import pytest
from streamlit.testing.v1 import AppTest

from conftest import APP, APPTEST_TIMEOUT_S, wait_for_jobs
from ui.core import jobs, lessons

CLAIMS = [(name, index) for name, lesson in lessons.lessons().items()
          for index, step in enumerate(lesson.steps) if step.claim is not None]
SEVEN = [{"w": 30, "p": [80, 60, 200, 60, 120, 230]}]  # a drawn "7", as the canvas leaves its strokes


def click(label: str):
    def press(at: AppTest) -> None:
        for button in [b for b in at.button if b.label == label][:1]:  # none: its result is shared already
            button.click()
    return press


def draw_seven(at: AppTest) -> None:
    from ui import draw_view

    at.session_state[draw_view.STROKES_KEY] = SEVEN


# Steps whose numbers need the user first (the one-class model is trained on "Train"; a drawing):
# until then the answer says the numbers are not drawn yet, and no branch is shown. The test acts.
ACTIONS = {("anomaly", 0): click("Train"), ("anomaly", 1): click("Train"),
           ("bottleneck", 4): click("Train the three models"), ("beyond", 0): draw_seven}


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


def open_step(name: str, index: int) -> AppTest:
    """A fresh session opened on the step's link. A step that sets a control must not make Streamlit
    warn (a widget given a default whose value the lesson set through Session State)."""
    # Streamlit's widget-policy logger does not propagate: listen to it by name.
    warnings, logger = _Warnings(), logging.getLogger("streamlit.elements.lib.policies")
    logger.addHandler(warnings)
    try:
        at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT_S)
        at.query_params.update({"lesson": name, "step": str(index)})
        at.run()
    finally:
        logger.removeHandler(warnings)
    assert not at.exception, at.exception
    assert not [w for w in warnings.seen if "Session State" in w], warnings.seen
    return at


def answer(at: AppTest) -> str:
    expander = next(e for e in at.expander if e.label == "Reveal the answer")
    return expander.markdown[0].value


def act_and_settle(at: AppTest, name: str, index: int) -> dict:
    """Do what the step waits for (a click, a drawing), wait for the session's jobs as the page's
    poll would, run the page again and return the numbers it published."""
    if (name, index) in ACTIONS:
        ACTIONS[name, index](at)
        at.run()
    wait_for_jobs(list(at.session_state[jobs.JOBS_KEY].values()) if jobs.JOBS_KEY in at.session_state else [],
                  timeout=300)
    at.run()
    assert not at.exception, at.exception
    return at.session_state["lesson_facts"]


def check(name: str, index: int) -> tuple[lessons.Step, dict, str]:
    """Open the step; where its numbers come from a job, wait for it and run the page again (AppTest
    then runs the page alone, so the answer is the one drawn first: "not drawn yet"). Returns the
    step, the page's numbers and the answer shown."""
    at = open_step(name, index)
    step = lessons.lessons()[name].steps[index]
    shown = answer(at)
    facts = at.session_state["lesson_facts"]
    if step.holds(facts) is None:
        assert shown == lessons.NOT_READY, f"{name} step {index + 1}: an answer without its numbers: {shown}"
        facts = act_and_settle(at, name, index)
    outcome = step.holds(facts)
    assert outcome is not None, f"{name} step {index + 1}: its page published {facts}, not {step.claim}"
    if isinstance(step.reveal, str):
        assert outcome, f"{name} step {index + 1}: its one answer claims {step.claim}, the page shows {facts}"
        assert shown == step.reveal
    elif shown != lessons.NOT_READY:
        assert shown == step.reveal["holds" if outcome else "fails"], (facts, shown)
    return step, facts, step.answer(facts)


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


@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory):
    from fake_mirror import mnist_here

    with mnist_here(tmp_path_factory.mktemp("lesson_claims")):
        yield


ON_MNIST = [(n, i) for n, i in CLAIMS if "mnist" in (lessons.lessons()[n].steps[i].dataset or [])]


@pytest.mark.parametrize(("name", "index"), ON_MNIST, ids=[f"{n}-{i + 1}" for n, i in ON_MNIST])
def test_each_answer_follows_its_pages_numbers_on_a_downloaded_mnist(fake_mnist, name, index):
    step = lessons.lessons()[name].steps[index]
    assert step.choose()[0] == "mnist"  # the step prefers the download where it is here
    check(name, index)


def on_shapes(name: str, index: int) -> tuple[lessons.Step, dict]:
    """The step's page with shapes active (its model's namesake, shapes-vae-2 for digits-vae-2, or
    shapes' default), run after the step was opened: the numbers its claim names, on other data."""
    from ui.core import state
    from ui.core.models import pretrained_model, pretrained_names

    at = open_step(name, index)
    step = lessons.lessons()[name].steps[index]
    model = step.choose()[1]
    namesake = model.replace("digits-", "shapes-", 1) if model else None
    at.session_state[state.DATASET_KEY] = "shapes"
    at.session_state[state.MODEL_KEY] = (pretrained_model(namesake) if namesake in pretrained_names("shapes")
                                         else state.default_model("shapes"))
    at.run()
    assert not at.exception, at.exception
    return step, act_and_settle(at, name, index)


ON_SHAPES = [(n, i) for n, i in CLAIMS if lessons.lessons()[n].steps[i].page not in ("capacity", "draw")]


@pytest.mark.parametrize(("name", "index"), ON_SHAPES, ids=[f"{n}-{i + 1}" for n, i in ON_SHAPES])
def test_each_claim_is_decided_by_the_pages_numbers_on_shapes(name, index):
    # The steps open on digits (or MNIST); on shapes their pages still publish what the claim names,
    # and an answer with one text must still hold (the capacity lab and drawing are digits' only).
    step, facts = on_shapes(name, index)
    outcome = step.holds(facts)
    assert outcome is not None, f"{name} step {index + 1} on shapes: its page published {facts}, not {step.claim}"
    if isinstance(step.reveal, str):
        assert outcome, f"{name} step {index + 1}: its one answer claims {step.claim}; on shapes the page shows {facts}"
