"""Built-in lessons: short guided tours a teacher steps through with Next and Back.

A lesson is a JSON file in `ui/lessons/`: a title, a summary and a list of steps. Each step names a
page, the dataset and pretrained model to show, the page's controls (by their widget keys, the same
keys a shared link carries) and a "predict, then reveal" pair: a question the class answers before
the page's numbers are read, and the answer. The URL carries `?lesson=<name>&step=<i>`, so a link to a
step opens that step, with its settings, in a fresh browser.

A step's answer may depend on the data: then it carries a `claim` over numbers its page shows,
such as {"left": "ae_mse", "op": "<", "right": "pca_mse"}, and its `reveal` has a branch for each
outcome ({"holds": ..., "fails": ...}). The page publishes those numbers with `publish({name: value})`
as it draws them, and the answer is written after the page has run (`draw_answer`), so it always
follows the numbers on screen: at k = 32 PCA beats the autoencoder on 8x8 digits and loses on MNIST.

The router (`app.py`) calls `follow_link` and `draw_panel` before every page and `draw_answer` after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import streamlit as st

from ui.core import state
from ui.core.cache import is_available
from ui.core.models import pretrained_model, pretrained_names

LESSON_DIR = Path(__file__).resolve().parents[1] / "lessons"
# The pages a step may open, by the name a lesson file uses (the page's URL path).
PAGES = {"home": "pages/home.py", "train": "pages/train.py", "load": "pages/load.py", "denoise": "pages/denoise.py",
         "latent_map": "pages/latent_map.py", "interpolate": "pages/interpolate.py", "sample": "pages/sample.py",
         "anomaly": "pages/anomaly.py", "compression": "pages/compression.py", "features": "pages/features.py",
         "regularizers": "pages/regularizers.py", "conv": "pages/conv.py", "capacity": "pages/capacity.py",
         "draw": "pages/draw.py", "compare": "pages/compare.py"}
LESSON_PARAM, STEP_PARAM = "lesson", "step"
_CURRENT = "lesson_current"  # (lesson name, step index) this session shows
_SWITCH = "lesson_switch_to"  # the page a Next or Back asked for, opened by the router's next run
_FACTS = "lesson_facts"  # name -> a number the page drew in this run, for the step's claim
_ANSWER = "lesson_answer_slot"  # the reveal expander's placeholder, filled once the page has run
OPS = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}
NOT_READY = ("The page's numbers for this answer are still being measured: open the answer again once "
             "they are drawn.")


@dataclass(frozen=True)
class Step:
    """One step: where to go, what to set, what to ask and what the answer is."""

    page: str
    title: str
    text: str
    question: str
    reveal: str | dict[str, str]
    # The dataset to show, or several in order of preference (MNIST where it is downloaded, digits
    # otherwise), and the model: one name, or one per dataset.
    dataset: str | list[str] | None = None
    model: str | dict[str, str] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    # {"left": a fact's name, "op": one of OPS, "right": a fact's name or a number}: what the answer
    # states, checked against the page's numbers; `reveal` is then {"holds": ..., "fails": ...}
    # where the outcome depends on the data, or one text where it must always hold (a test checks it).
    claim: dict[str, Any] | None = None

    def holds(self, facts: dict[str, float]) -> bool | None:
        """Whether the claim holds for `facts` (a page's numbers); None without a claim or a number."""
        if self.claim is None:
            return None
        left, right = self.claim["left"], self.claim["right"]
        values = [facts.get(side) if isinstance(side, str) else side for side in (left, right)]
        if any(value is None for value in values):
            return None
        return OPS[self.claim["op"]](float(values[0]), float(values[1]))

    def answer(self, facts: dict[str, float]) -> str:
        """The answer to show: the branch the page's numbers choose, or NOT_READY while they are missing."""
        if isinstance(self.reveal, str):
            return self.reveal
        outcome = self.holds(facts)
        return NOT_READY if outcome is None else self.reveal["holds" if outcome else "fails"]

    def choose(self, available: Any = is_available) -> tuple[str | None, str | None]:
        """(dataset, model) this step shows on this machine: the first dataset here, and its model."""
        wanted = [self.dataset] if isinstance(self.dataset, str) else list(self.dataset or [])
        dataset = next((name for name in wanted if available(name)), None)
        model = self.model.get(dataset) if isinstance(self.model, dict) else self.model
        return dataset, model


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    summary: str
    steps: tuple[Step, ...]


def _read(path: Path) -> Lesson:
    """One lesson file, checked: a broken file names itself and what is wrong."""
    try:
        raw = json.loads(path.read_text())
        steps = tuple(Step(**step) for step in raw["steps"])
        lesson = Lesson(name=path.stem, title=raw["title"], summary=raw["summary"], steps=steps)
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"lesson {path.name} is malformed: {error}") from error
    for number, step in enumerate(steps, 1):
        if step.page not in PAGES:
            raise ValueError(f"lesson {path.name}, step {number}: unknown page {step.page!r}; valid: {', '.join(PAGES)}")
        if step.claim is not None and (set(step.claim) != {"left", "op", "right"} or step.claim["op"] not in OPS):
            raise ValueError(f"lesson {path.name}, step {number}: a claim is {{left, op, right}} with op one of "
                             f"{', '.join(OPS)}, got {step.claim!r}")
        if isinstance(step.reveal, dict) and (step.claim is None or set(step.reveal) != {"holds", "fails"}):
            raise ValueError(f"lesson {path.name}, step {number}: a reveal with branches needs a claim and "
                             "exactly the branches 'holds' and 'fails'")
    if not steps:
        raise ValueError(f"lesson {path.name} has no steps")
    return lesson


@lru_cache(maxsize=1)
def lessons() -> dict[str, Lesson]:
    """Every built-in lesson by name, in file-name order."""
    return {path.stem: _read(path) for path in sorted(LESSON_DIR.glob("*.json"))}


def current() -> tuple[Lesson, int] | None:
    """The lesson this session is in and its step index, or None."""
    at = st.session_state.get(_CURRENT)
    if at is None or at[0] not in lessons():
        return None
    return lessons()[at[0]], at[1]


def _apply(lesson: Lesson, index: int) -> None:
    """Make step `index` of `lesson` this session's view: its dataset, model and controls."""
    step = lesson.steps[index]
    dataset, model = step.choose()
    if dataset is not None and dataset != state.active_dataset_name():
        state.choose_dataset(dataset)
    if model and model in pretrained_names(state.active_dataset_name()):
        state.set_active_model(pretrained_model(model))
    for key, value in step.settings.items():  # a bound widget takes its value from session state
        state.set_widget(key, value)
    st.session_state[_CURRENT] = (lesson.name, index)
    st.session_state[_SWITCH] = step.page


def start(name: str, index: int = 0) -> None:
    """Open lesson `name` at step `index` (a button's callback)."""
    _apply(lessons()[name], index)


def move(delta: int) -> None:
    """Next (+1) or Back (-1): a button's callback."""
    at = current()
    if at is not None:
        lesson, index = at
        _apply(lesson, min(max(index + delta, 0), len(lesson.steps) - 1))


def leave() -> None:
    """End the lesson; the page stays as it is."""
    st.session_state.pop(_CURRENT, None)
    st.session_state.pop(_SWITCH, None)
    st.query_params.pop(LESSON_PARAM, None)
    st.query_params.pop(STEP_PARAM, None)


def follow_link(current_page: str) -> None:
    """In the router, before the page runs (`current_page`: its URL path, "" for Home): a link naming a
    lesson step opens it (once per session), and a Next or Back opens its step's page."""
    name, step = st.query_params.get(LESSON_PARAM), st.query_params.get(STEP_PARAM, "0")
    if current() is None and name in lessons() and step.isdigit():
        _apply(lessons()[name], min(int(step), len(lessons()[name].steps) - 1))
    target = st.session_state.pop(_SWITCH, None)
    at = current()
    if at is None:
        return
    link = {LESSON_PARAM: at[0].name, STEP_PARAM: str(at[1])}
    if target is not None and target != (current_page or "home"):
        st.switch_page(PAGES[target], query_params=link)
    for key, value in link.items():  # a write sends a message to the browser: only on change
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def publish(numbers: dict[str, float]) -> None:
    """A page publishes numbers it draws (name -> value), for the lesson step whose claim names them."""
    st.session_state.setdefault(_FACTS, {}).update({name: float(value) for name, value in numbers.items()})


def facts() -> dict[str, float]:
    """The numbers the page published in this run."""
    return dict(st.session_state.get(_FACTS, {}))


def draw_panel() -> None:
    """The lesson's panel above the page: the step's text, its question with the answer folded away,
    and Back, Next and End. The answer itself is written by `draw_answer`, after the page."""
    st.session_state[_FACTS] = {}  # this run's numbers only
    st.session_state.pop(_ANSWER, None)
    at = current()
    if at is None:
        return
    lesson, index = at
    step = lesson.steps[index]
    with st.container(border=True, key="lesson_panel"):
        st.caption(f"Lesson: {lesson.title} · step {index + 1} of {len(lesson.steps)}")
        st.markdown(f"#### {step.title}\n{step.text}")
        st.markdown(f"**Predict:** {step.question}")
        # Keyed by its step: an expander without a key is the same element on every step, and one
        # answer revealed stayed open on all the steps after it.
        with st.expander("Reveal the answer", key=f"lesson_reveal_{lesson.name}_{index}"):
            slot = st.empty()
            slot.markdown(step.answer({}) if isinstance(step.reveal, str) else NOT_READY)
            st.session_state[_ANSWER] = (slot, step)
        back, next_, end = st.columns([1, 1, 4])
        back.button("Back", on_click=move, args=(-1,), disabled=index == 0, key="lesson_back", icon=":material/arrow_back:")
        next_.button("Next", on_click=move, args=(1,), disabled=index == len(lesson.steps) - 1, key="lesson_next",
                     icon=":material/arrow_forward:", type="primary")
        end.button("End the lesson", on_click=leave, key="lesson_end")


def draw_answer() -> None:
    """In the router, after the page has run (even one that stopped early): the step's answer, the
    branch its page's numbers choose."""
    held = st.session_state.pop(_ANSWER, None)
    if held is not None:
        slot, step = held
        slot.markdown(step.answer(facts()))


__all__ = ["Lesson", "NOT_READY", "Step", "current", "draw_answer", "draw_panel", "facts", "follow_link",
           "leave", "lessons", "move", "publish", "start"]
