"""Built-in lessons: every lesson file is valid, and every step opened by its link (as a student who
is sent it would) shows its page with the step's panel and the step's settings in the page's controls."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.core import lessons, state

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 90
WIDGETS = ("slider", "select_slider", "selectbox", "radio", "checkbox", "toggle", "number_input", "multiselect",
           "text_input")
SOURCES = [*Path(APP).parent.glob("pages/*.py"), *Path(APP).parent.glob("ui/*.py")]
STEPS = [(name, index) for name, lesson in lessons.lessons().items() for index in range(len(lesson.steps))]


def test_at_least_the_three_lessons_of_the_issue_ship() -> None:
    titles = {lesson.title for lesson in lessons.lessons().values()}
    assert {"What does the bottleneck keep?", "Why a VAE can sample and an AE cannot",
            "Finding the odd one out"} <= titles
    for lesson in lessons.lessons().values():
        assert len(lesson.steps) >= 3, lesson.name
        for step in lesson.steps:
            answers = step.reveal.values() if isinstance(step.reveal, dict) else [step.reveal]
            assert step.question.strip() and step.text.strip() and all(a.strip() for a in answers)


def test_a_malformed_lesson_names_its_file_and_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps({"title": "t", "summary": "s", "steps": [
        {"page": "nowhere", "title": "a", "text": "b", "question": "c", "reveal": "d"}]}))
    with pytest.raises(ValueError, match="broken.json, step 1: unknown page 'nowhere'"):
        lessons._read(bad)
    bad.write_text("{}")
    with pytest.raises(ValueError, match="broken.json is malformed"):
        lessons._read(bad)


def test_a_step_prefers_mnist_where_it_is_downloaded_and_falls_back_to_digits() -> None:
    step = lessons.Step(page="sample", title="t", text="x", question="q", reveal="r", dataset=["mnist", "digits"],
                        model={"mnist": "mnist-ae-32", "digits": "digits-ae-8"})
    assert step.choose(lambda name: True) == ("mnist", "mnist-ae-32")
    assert step.choose(lambda name: name == "digits") == ("digits", "digits-ae-8")


def widget_values(at: AppTest) -> dict[str, object]:
    values = {}
    for kind in WIDGETS:
        for widget in at.get(kind):
            if widget.key:
                values[widget.key] = widget.value
    return values


@pytest.mark.parametrize(("name", "index"), STEPS, ids=[f"{n}-{i + 1}" for n, i in STEPS])
def test_a_link_to_each_step_opens_it_with_its_settings(name: str, index: int) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.query_params.update({"lesson": name, "step": str(index)})
    at.run()
    assert not at.exception, at.exception
    step = lessons.lessons()[name].steps[index]
    shown = "\n".join(m.value for m in at.markdown)
    assert step.title in shown and step.question in shown
    assert f"step {index + 1} of {len(lessons.lessons()[name].steps)}" in "\n".join(c.value for c in at.caption)
    dataset, model = step.choose()
    if dataset is not None:
        assert at.session_state[state.DATASET_KEY] == dataset
    if model is not None:
        assert at.session_state[state.MODEL_KEY].name == model
    values = widget_values(at)
    for key, value in step.settings.items():
        if key in values:
            assert values[key] == value, (key, values[key], value)
        else:  # a control drawn once the step's job has run (the threshold after Train): waiting for it
            assert any(f'key="{key}"' in path.read_text() for path in SOURCES), f"{name} step {index + 1}: no control {key!r}"
            assert at.session_state[key] == value


def test_next_moves_to_the_next_step_and_its_settings() -> None:
    # After the first run AppTest runs the page alone, without the router that draws the panel
    # (docs/streamlit-notes.md), so Back and End are clicked in the browser test; here Next, from the first run.
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.query_params.update({"lesson": "sampling", "step": "0"})
    at.run()
    assert at.button(key="lesson_back").disabled
    at.button(key="lesson_next").click().run()
    assert not at.exception, at.exception
    assert at.session_state["lesson_current"] == ("sampling", 1)
    dataset, model = lessons.lessons()["sampling"].steps[1].choose()
    assert at.session_state[state.MODEL_KEY].name == model
