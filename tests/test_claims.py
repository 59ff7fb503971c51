"""Every verdict on a page agrees with the numbers beside it: each page that judges
numbers is opened under AppTest with every shipped model of digits and shapes and with a model a user
trained; every sentence `ui.core.verdict` said is checked against the numbers it judged (the one it
calls best is the best of them) and those numbers must be on the page outside the sentence itself."""

from __future__ import annotations

import pytest
import torch
from streamlit.testing.v1 import AppTest

import aecore
from conftest import APP, APPTEST_TIMEOUT_S, wait_for_job
from ui.core import jobs, state, verdict
from ui.core.models import pretrained_model

SHIPPED = [e["name"] for dataset in ("digits", "shapes") for e in aecore.pretrained.list_pretrained(dataset)]
PAGES = {"pages/anomaly.py": {"an_mode": "active"}, "pages/regularizers.py": {}}
TRAINED = "trained: claims ae 4-D"


def trained_model() -> state.ActiveModel:
    torch.manual_seed(0)
    model = aecore.create_model("ae", input_shape=(1, 8, 8), latent_dim=4, hidden=(32,))
    return state.ActiveModel(model=model, name=TRAINED, source="trained", dataset="digits")


def page_text(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "subheader", "header", "info", "title") for e in at.get(kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(str(p) for p in parts)


def open_with(page: str, model: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT_S).run()
    active = trained_model() if model == TRAINED else pretrained_model(model)
    at.session_state[state.MODEL_KEY] = active
    at.session_state[state.DATASET_KEY] = active.dataset
    for key, value in PAGES[page].items():
        at.session_state[key] = value
    at.session_state["verdicts_said"] = []
    at.switch_page(page).run()
    assert not at.exception, at.exception
    for job in list(at.session_state[jobs.JOBS_KEY].values()) if jobs.JOBS_KEY in at.session_state else []:
        wait_for_job(job, timeout=300)  # a page's own measuring (a user's model): the verdict follows it
    at.session_state["verdicts_said"] = []
    at.run()
    assert not at.exception, at.exception
    return at


def check(said: verdict.Said, text: str) -> None:
    if said.best is not None:
        pick = max if said.higher_is_better else min
        assert said.numbers[said.best] == pick(said.numbers.values()), f"{said.sentence!r} for {said.numbers}"
    else:  # no winner: a tie, or every score below chance
        values = list(said.numbers.values())
        assert max(values) < verdict.CHANCE_AUROC or max(values) - min(values) < 0.01 or len(values) == 1, said
    beside = text.replace(said.sentence, "")
    missing = [number for number in said.shown if number not in beside]
    assert not missing, f"{said.sentence!r}: {missing} are not on the page beside it"


@pytest.mark.parametrize("model", [*SHIPPED, TRAINED])
@pytest.mark.parametrize("page", list(PAGES))
def test_every_verdict_agrees_with_the_numbers_beside_it(page, model):
    at = open_with(page, model)
    said = at.session_state["verdicts_said"]
    assert said, f"{page} judges its numbers in a sentence (anomaly: the model against PCA; inside the code: β)"
    text = page_text(at)
    for each in said:
        check(each, text)


@pytest.mark.parametrize("plain, says", [(0.015, "The plain AE has the lower error on noise with a 256-D code here "
                                                  "(0.0150 against the denoising model's 0.0409). It copies"),
                                         (0.060, "The denoising model has the lower error on noise with a 16-D code "
                                                 "here (0.0409 against the plain AE's 0.0600). At this width the "
                                                 "plain model does not copy")])
def test_the_capacity_sentence_says_which_model_copied_the_noise(plain, says):
    """The caption said "With a wide code the plain model copies" whatever the code width and errors."""
    from ui import capacity_view

    code = 256 if plain < 0.04 else 16
    result = {"code": code, "mse": {"plain": {"noise": plain}, "sparse": {"noise": 0.05}, "denoising": {"noise": 0.0409}}}
    assert capacity_view.overcomplete_words(result).startswith(says)
