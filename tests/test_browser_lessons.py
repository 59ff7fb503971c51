"""Lessons, shared links and presenter mode in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready
from ui.core import lessons

pytestmark = pytest.mark.browser

SIDEBAR = "[data-testid='stSidebar']"
PANEL = ".st-key-lesson_panel"
TIMEOUT_MS = 60_000


def open_url(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)
    assert_no_exception(page)


def sidebar_model(page) -> str:
    return page.locator(f"{SIDEBAR} [data-testid='stSelectbox']").filter(has_text="Model").locator("input").input_value()


def title_size(page) -> float:
    return float(page.locator("h1").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))


def test_a_link_opens_its_dataset_model_and_presenter_mode(streamlit_app, browser, page) -> None:
    open_url(page, f"{streamlit_app}/?dataset=shapes&model=shapes-vae-8&present=true")
    expect(page.locator("h1").first).to_be_visible(timeout=TIMEOUT_MS)
    assert sidebar_model(page) == "shapes-vae-8"
    toggle = page.locator(f"{SIDEBAR} [data-testid='stCheckbox'] input[type='checkbox']").first
    assert toggle.is_checked()
    large = title_size(page)
    screenshot(page, "presenter_mode")
    plain = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    open_url(plain, f"{streamlit_app}/?dataset=shapes")
    expect(plain.locator("h1").first).to_be_visible(timeout=TIMEOUT_MS)
    assert sidebar_model(plain) != "shapes-vae-8"  # the dataset's default model
    assert title_size(plain) < large
    plain.context.close()


def panel_says(page, text: str) -> None:
    expect(page.locator(PANEL).get_by_text(text)).to_be_visible(timeout=TIMEOUT_MS)



def answer_pattern(step: lessons.Step) -> re.Pattern:
    """The start of any answer the step may show: its one text, or either branch its claim chooses
    (or the words for numbers not drawn yet)."""
    answers = [step.reveal] if isinstance(step.reveal, str) else [*step.reveal.values(), lessons.NOT_READY]
    return re.compile("^(" + "|".join(re.escape(a[:40]) for a in answers) + ")")

@pytest.mark.parametrize("name", sorted(lessons.lessons()))
def test_a_lesson_runs_from_its_first_step_to_its_last_and_back(streamlit_app, browser, page, name: str) -> None:
    lesson = lessons.lessons()[name]
    count = len(lesson.steps)
    open_url(page, streamlit_app)
    expect(page.get_by_text(lesson.title)).to_be_visible(timeout=TIMEOUT_MS)
    page.locator(f".st-key-lesson_start_{name} button").click()
    for index, step in enumerate(lesson.steps):
        panel_says(page, f"step {index + 1} of {count}")
        panel_says(page, step.title)
        wait_ready(page)
        assert_no_exception(page)
        expect(page).to_have_url(re.compile(rf"lesson={name}&step={index}\b"), timeout=TIMEOUT_MS)
        if index < count - 1:
            page.locator(PANEL).get_by_role("button", name="Next").click()
    expect(page.locator(PANEL).get_by_role("button", name="Next")).to_be_disabled()
    page.locator(PANEL).get_by_text("Reveal the answer").click()
    expect(page.locator(PANEL).get_by_text(answer_pattern(lesson.steps[-1]))).to_be_visible()
    page.locator(PANEL).get_by_role("button", name="Back").click()
    panel_says(page, f"step {count - 1} of {count}")
    # A revealed answer belongs to its step: the step before it opens with its own answer folded.
    expect(page.locator(PANEL).get_by_text(answer_pattern(lesson.steps[-2]))).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"step={count - 2}\b"), timeout=TIMEOUT_MS)
    link = page.url

    # The link to that step, sent to a student: same step, same model, in a fresh browser.
    student = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    open_url(student, link)
    panel_says(student, f"step {count - 1} of {count}")
    panel_says(student, lesson.steps[count - 2].title)
    assert sidebar_model(student) == sidebar_model(page)
    student.context.close()

    page.locator(PANEL).get_by_role("button", name="End the lesson").click()
    expect(page.locator(PANEL)).to_have_count(0, timeout=TIMEOUT_MS)
