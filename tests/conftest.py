"""Shared fixtures for the browser tests: a Streamlit server, a Chromium browser, one page per test.

Browser tests are marked `@pytest.mark.browser`; they use `streamlit_app` (the base URL) and `page`,
then `wait_ready`, `assert_no_exception` and `screenshot` from here.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import expect

# A Playwright expectation waits for its state; its bound only catches a hang. The 5 s default was a
# duration that a busy machine (2 cores, three test workers with their servers and browsers) overran:
# the page reached the state asked of it, later.
expect.set_options(timeout=30_000)

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = REPO_ROOT / "tests" / "output"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SERVER_TIMEOUT_S = 90
READY_TIMEOUT_MS = 60_000


_SETTINGS_DIR = Path(tempfile.mkdtemp(prefix="aecore-settings-"))  # one per test process, removed at its exit
atexit.register(shutil.rmtree, _SETTINGS_DIR, True)


def fresh_settings() -> str:
    """A new app settings file (ui.core.settings) whose server default is digits: a test must open
    on digits, never on the default of this machine's owner, nor on MNIST because it happens to be
    downloaded here."""
    path = Path(tempfile.mkdtemp(dir=_SETTINGS_DIR)) / "app.json"
    path.write_text(json.dumps({"dataset": "digits"}))
    return str(path)


# For the AppTests in this process; each server below gets its own (a server reads it once).
os.environ["AECORE_APP_SETTINGS"] = fresh_settings()


@pytest.fixture(autouse=True)
def _apptests_open_on_digits():
    """Each test's AppTests start on digits: a test that picks shapes writes that choice to the
    settings file of this process, and a test that makes the app read it again (as a restarted
    server does) would otherwise open the next test's app on shapes."""
    yield
    Path(os.environ["AECORE_APP_SETTINGS"]).write_text(json.dumps({"dataset": "digits"}))
    from ui.core import settings

    settings.forget_start()


@pytest.fixture(autouse=True, scope="module")
def _job_queues_end_with_their_module() -> Iterator[None]:
    """Shut down every job queue a test module made, the app's cached one included (and forget that
    one). A queue dropped by a cache clear keeps its worker processes (0.4 to 0.9 GB each) alive in
    the pytest worker: a run of the suite piled up a dozen of them per worker, and twice that ran a
    24 GB machine out of memory."""
    from aecore.workers import JobQueue

    made: list[JobQueue] = []
    original = JobQueue.__init__

    def tracked(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    JobQueue.__init__ = tracked
    try:
        yield
    finally:
        JobQueue.__init__ = original
        for queue in made:
            queue.shutdown()
        if made and "ui.core.jobs" in sys.modules:
            sys.modules["ui.core.jobs"].job_queue.clear()


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No network (a socket that connects raises) and the dataset cache in a temporary folder."""
    def refuse(*args, **kwargs):
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("AECORE_DATA", str(tmp_path / "cache"))


# The zoo's maps of a (fake) downloaded MNIST are measured on a click, not behind every test's back:
# a test that wants the background measuring sets "auto".
os.environ["AECORE_ZOO_MEASURE"] = "manual"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


# The longest test files (CI's --durations), started first: the workers take whole files in
# collection order, so a long file collected last would run alone at the end (a file that leaves
# this list only runs later).
LONGEST_FIRST = ("test_app_zoo_results.py", "test_lesson_claims.py", "test_browser_zoo_results.py", "test_claims.py",
                 "test_app_capacity.py", "test_app_posterior.py", "test_browser_lessons.py", "test_browser_download.py",
                 "test_browser_compression.py", "test_browser_readable.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST_FIRST)))  # stable: the rest keep their order


@contextmanager
def streamlit_server(name: str = "streamlit_server", env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `app.py` in a fresh headless Streamlit server, with `env` added to this process's
    environment (and its own settings file unless `env` names one); yield its base URL. Its output
    goes to tests/output/<name>.log (a file, not a pipe, so a chatty server can never block on it)."""
    port = _free_port()
    base_url = f"http://localhost:{port}"
    # Under pytest-xdist each worker runs its own servers: one log each.
    log_path = OUTPUT_DIR / f"{name}{os.environ.get('PYTEST_XDIST_WORKER', '') and '-' + os.environ['PYTEST_XDIST_WORKER']}.log"
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true", "--server.port", str(port),
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]
    with open(log_path, "w") as log:
        server_env = {**os.environ, "AECORE_APP_SETTINGS": fresh_settings(), **(env or {})}
        server = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env=server_env)
        deadline = time.monotonic() + SERVER_TIMEOUT_S
        while not _healthy(base_url):
            if server.poll() is not None or time.monotonic() > deadline:
                server.terminate()
                server.wait(timeout=10)
                pytest.fail(f"Streamlit did not become healthy at {base_url} within "
                            f"{SERVER_TIMEOUT_S} s; its output:\n{log_path.read_text()}")
            time.sleep(0.5)
        try:
            yield base_url
        finally:
            stop_server(server)


def stop_server(server: subprocess.Popen, timeout: float = 10.0) -> None:
    """Ask a server process to stop; kill it if it has not within `timeout` seconds."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture(scope="session")
def streamlit_app() -> Iterator[str]:
    """One server for the session's browser tests; yields its base URL."""
    with streamlit_server() as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session, driven by sync Playwright."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("No browser at /usr/bin/chromium: install Debian's chromium: "
                    "apt-get install chromium (.ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh context and page per test, so no cookies or session state leak between tests."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def wait_ready(page, timeout_ms: int = READY_TIMEOUT_MS) -> None:
    """Wait until the script has finished running and no skeleton placeholder is left."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=timeout_ms)
    page.wait_for_selector("[data-testid='stSkeleton']", state="detached", timeout=timeout_ms)


def upload(page, uploader, path: Path) -> None:
    """Give `path` to a file uploader's input and wait until the uploader lists it.

    A drop that lands while the widget is briefly disabled (a rerun or reconnect under load) is
    ignored by the dropzone with no message; a person would see their file missing and drop it
    again, so the test does the same once before failing.
    """
    from playwright.sync_api import expect

    listed = page.locator("[data-testid='stFileUploader']").get_by_text(Path(path).name, exact=True)
    for attempt in range(2):
        wait_ready(page)
        uploader.set_input_files(str(path))
        try:
            expect(listed.first).to_be_visible(timeout=15_000)
            return
        except AssertionError:
            if attempt:
                raise


def drag_figure_slider(page, chart, fractions, picture) -> tuple[tuple[str, str], list[tuple[str, str]], str]:
    """Press the slider grip of the plotly figure `chart` and drag it along the rail in small moves,
    stopping at each fraction of the rail's width with the button still down.

    Returns ((picture, title) before, [(picture, title) at each stop], title after the release);
    `picture()` reads the figure's current image. No rerun is involved, only plotly frames.
    """
    title = chart.locator(".gtitle")
    chart.scroll_into_view_if_needed()
    grip = chart.locator("rect.slider-grip-rect").bounding_box()
    rail = chart.locator("rect.slider-rail-rect").bounding_box()
    start = picture(), title.text_content()
    y = grip["y"] + grip["height"] / 2
    page.mouse.move(grip["x"] + grip["width"] / 2, y)
    page.mouse.down()
    seen = []
    for fraction in fractions:
        page.mouse.move(rail["x"] + fraction * rail["width"], y, steps=8)
        page.wait_for_timeout(200)
        seen.append((picture(), title.text_content()))
    page.mouse.up()
    page.wait_for_timeout(300)
    return start, seen, title.text_content()


def settle(page, locator, attribute: str = "aria-valuenow", quiet_ms: int = 1_000) -> None:
    """Wait until `locator`'s `attribute` and the script state stop changing for `quiet_ms`: a
    burst of key presses on a slider can queue several reruns, and between two of them the app
    looks ready."""
    last, quiet_since = None, time.monotonic()
    deadline = time.monotonic() + READY_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        wait_ready(page)
        value = locator.get_attribute(attribute)
        if value != last:
            last, quiet_since = value, time.monotonic()
        elif (time.monotonic() - quiet_since) * 1000 >= quiet_ms:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"{attribute} kept changing for {READY_TIMEOUT_MS} ms")


def assert_no_exception(page) -> None:
    """Fail with the exception's text if any `st.exception` box is on the page."""
    errors = page.locator("[data-testid='stException']")
    assert errors.count() == 0, errors.first.inner_text()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as tests/output/<name>.png and return its path."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUTPUT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- AppTest helpers shared by the page tests --------------------------------------------------
APP = str(REPO_ROOT / "app.py")
APPTEST_TIMEOUT_S = 120  # a page's first run imports torch and may run its models at every setting


def refuses(kind: str, arch: str) -> bool:
    """Whether the registry refuses to build `kind` with `arch` (the contractive penalty needs an
    encoder that codes each image alone; resconv's batch norm ties a code to its batch), asserting
    that it says so in words; a test over every kind and arch checks that pair so and goes on."""
    import aecore
    from aecore.models.arch import codes_each_image

    if kind != "contractive" or codes_each_image(arch):
        return False
    with pytest.raises(ValueError, match="batch norm ties each code to the rest of the batch"):
        aecore.create_model(kind, arch=arch, input_shape=(1, 8, 8))
    return True


def open_page(page: str, *, model=None, dataset: str | None = None):
    """Run `app.py` once, as a browser's first load does, make `model` (a pretrained name or an
    `ui.core.active.ActiveModel`) or `dataset` active, then run `page` (a path under pages/) alone, as
    AppTest does after `switch_page` (docs/streamlit-notes.md). Fails on an exception."""
    from streamlit.testing.v1 import AppTest

    from ui.core import models, state

    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT_S).run()
    if model is not None:
        active = models.pretrained_model(model) if isinstance(model, str) else model
        at.session_state[state.MODEL_KEY] = active
        at.session_state[state.DATASET_KEY] = active.dataset
    if dataset is not None:
        at.session_state[state.DATASET_KEY] = dataset
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def open_link(page: str, params: dict[str, str | list[str]]):
    """Open `page` as a fresh browser opens a shared link: the query parameters are there from the
    first run of `app.py`, then the page runs alone (docs/streamlit-notes.md). Fails on an exception."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT_S)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def widget(elements, label: str):
    """The widget whose label starts with `label` (found again after every run: AppTest rebuilds them)."""
    return next(element for element in elements if element.label.startswith(label))


def figures(at) -> list[dict]:
    """The plotly figures an AppTest run drew, as dicts."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def finish_jobs(at, *purposes: str) -> None:
    """Run an AppTest page again once its session's jobs of `purposes` (those it has) have ended
    and succeeded, as a browser polling them would."""
    from ui.core import jobs

    session = at.session_state[jobs.JOBS_KEY] if jobs.JOBS_KEY in at.session_state else {}
    held = [session[purpose] for purpose in purposes if session.get(purpose) is not None]
    wait_for_jobs(held)
    for job in held:
        assert job.state == jobs.DONE, job.error
    at.run()
    assert not at.exception, at.exception


def wait_for_job(job, timeout: float = 180.0) -> None:
    """Wait until a queued job (aecore.workers.Job) has ended, touching it as a page would, so the
    queue never takes it for abandoned. A state, not a duration: the timeout only bounds a hang."""
    wait_for_jobs([job], timeout)


def wait_for_jobs(jobs, timeout: float = 180.0) -> None:
    """`wait_for_job` for several jobs at once: each is touched until all have ended, so one queued
    behind the others is not taken for abandoned while they run (as every open page polls its own)."""
    deadline = time.monotonic() + timeout
    while not all(job.finished for job in jobs):
        assert time.monotonic() < deadline, f"{[j for j in jobs if not j.finished]!r} did not end in {timeout:.0f} s"
        for job in jobs:
            job.touch()
        time.sleep(0.05)
