"""Session-state keys shared by the router (`app.py`) and the pages, kept in one place.

Pages read shared state through these functions rather than `st.session_state[...]` directly:
under AppTest a page can run without `app.py` (docs/streamlit-notes.md), so each getter fills its default on
first use instead of relying on the router to have set it.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import aecore

from ui.core import settings
from ui.core.active import ActiveModel
from ui.core.cache import is_available
from ui.core.models import pretrained_model, pretrained_names

# The active dataset, as a plain (non-widget) key: widget state is dropped on runs where the widget
# is not drawn, so the sidebar widget has its own key and copies its value here on change.
DATASET_KEY = "active_dataset"
DATASET_WIDGET_KEY = "sidebar_dataset"
DEFAULT_DATASET = "digits"
FIRST_DOWNLOAD = "mnist"  # with no dataset remembered, the app opens on MNIST once it is downloaded
# A dataset chosen in the sidebar that is not here yet: the sidebar offers its download, and the
# pages keep the active dataset until it has arrived.
PENDING_DOWNLOAD_KEY = "dataset_to_download"


_SET_NOW = "widgets_set_by_code"  # keys whose value code set (a lesson step) and no widget has taken yet


def set_widget(key: str, value: Any) -> None:
    """Set a widget's value from code (a lesson step's control), before the widget is drawn."""
    st.session_state[key] = value
    st.session_state.setdefault(_SET_NOW, set()).add(key)


def initial(key: str, value: Any, name: str = "value") -> dict[str, Any]:
    """A widget's default as its keyword (`name`: "value", "index"), left out on the one run where
    code has just set the widget's value (`set_widget`): Streamlit warns about a widget given a
    default whose value was set through Session State. Always given otherwise, as the default
    decides what a link leaves out of the URL (a bound widget's value equal to it)."""
    pending = st.session_state.get(_SET_NOW, set())
    if key in pending:
        pending.discard(key)
        return {}
    return {name: value}


def opening_dataset() -> str:
    """Where a new session starts, of what is here: the dataset its browser chose last, else the
    server owner's default (ui.core.settings), else MNIST once downloaded, else digits."""
    for name in (settings.browser_dataset(), settings.server_dataset(), FIRST_DOWNLOAD):
        if name is not None and is_available(name):
            return name
    return DEFAULT_DATASET


# A shared link (see `publish_link`) names the dataset and the pretrained model in the URL; a new
# session that opens it starts on them.
LINK_DATASET, LINK_MODEL = "dataset", "model"


def _linked_dataset() -> str | None:
    name = st.query_params.get(LINK_DATASET)
    return name if name and is_available(name) else None


def active_dataset_name() -> str:
    """Return the active dataset's name, filling the linked or opening one on first use."""
    if DATASET_KEY not in st.session_state:
        st.session_state[DATASET_KEY] = _linked_dataset() or opening_dataset()
    return st.session_state[DATASET_KEY]


def set_active_dataset(name: str) -> None:
    """Make `name` the active dataset for every page."""
    st.session_state[DATASET_KEY] = name


def pending_download() -> str | None:
    """The dataset the user chose that is still to be downloaded, or None."""
    return st.session_state.get(PENDING_DOWNLOAD_KEY)


def sync_dataset_from_widget() -> None:
    """`on_change` callback of the sidebar's dataset selectbox: a dataset that is here becomes the
    active one (`choose_dataset`); one that is not waits for its download (`pending_download`)."""
    name = st.session_state[DATASET_WIDGET_KEY]
    if is_available(name):
        choose_dataset(name)
    else:
        st.session_state[PENDING_DOWNLOAD_KEY] = name


def choose_dataset(name: str) -> None:
    """The user's choice of dataset: it becomes active, this browser remembers it for its next
    sessions, and the session switches to its default model, unless the active model already
    belongs to it."""
    set_active_dataset(name)
    st.session_state.pop(PENDING_DOWNLOAD_KEY, None)
    # Set even when equal: a browser that waited for a download still shows its old label
    # ("mnist (download, 11 MB)") until Python sets the value.
    st.session_state[DATASET_WIDGET_KEY] = name
    settings.remember_in_browser(name)
    current = st.session_state.get(MODEL_KEY)
    if current is None or current.dataset != name:
        default = default_model(name)
        # With no model for this dataset yet, the current one stays active and the sidebar says so.
        if default is not None:
            st.session_state[MODEL_KEY] = default


# --- the active model --------------------------------------------------------------------------
# One ActiveModel per browser session (session_state is per session). The model object itself may
# be shared read-only between sessions when it comes from the pretrained cache: never train it in place.
MODEL_KEY = "active_model"
MODEL_WIDGET_KEY = "sidebar_model"
# Models this session trained or uploaded, by display name, so the sidebar can switch back to them.
SESSION_MODELS_KEY = "session_models"
DEFAULT_PRETRAINED = aecore.recipes.DEFAULT_MODELS  # the zoo model a dataset opens with (the Train page's start)
# The test-set rows last selected on the Latent map page, for other pages (Interpolate) to use.
SELECTION_KEY = "latent_selection"


def default_model(dataset: str) -> ActiveModel | None:
    """The pretrained model a session starts with for `dataset` (the plain 8-D autoencoder, else the
    zoo's first model of that dataset); None while the zoo has no model of it."""
    names = pretrained_names(dataset)
    if not names:
        return None
    preferred = DEFAULT_PRETRAINED.get(dataset)
    return pretrained_model(preferred if preferred in names else names[0])


def active_model() -> ActiveModel:
    """The session's active model, filling the active dataset's default pretrained one on first use
    (the digits default while that dataset has none). Raises ValueError when the zoo is empty."""
    current = st.session_state.get(MODEL_KEY)
    if current is None:
        current = (_linked_model(active_dataset_name()) or default_model(active_dataset_name())
                   or default_model(DEFAULT_DATASET))
        if current is None:
            raise ValueError("the pretrained zoo lists no models: rebuild it with `python -m aecore zoo`")
        st.session_state[MODEL_KEY] = current
    return current


def _linked_model(dataset: str) -> ActiveModel | None:
    """The pretrained model a shared link names, when it is one of `dataset`'s."""
    name = st.query_params.get(LINK_MODEL)
    return pretrained_model(name) if name and name in pretrained_names(dataset) else None


def publish_link() -> None:
    """Keep the active dataset and pretrained model in the URL, so the address bar is a link that opens
    the same view in a fresh browser (the pages' controls add their own parameters). A model trained
    or uploaded in this session lives only here, so it is left out of the link."""
    wanted = {LINK_DATASET: active_dataset_name()}
    current = st.session_state.get(MODEL_KEY)
    if current is not None and current.source == "pretrained" and current.dataset == wanted[LINK_DATASET]:
        wanted[LINK_MODEL] = current.name
    for key in (LINK_DATASET, LINK_MODEL):
        if key not in wanted:
            st.query_params.pop(key, None)
        elif st.query_params.get(key) != wanted[key]:  # a write sends a message to the browser: only on change
            st.query_params[key] = wanted[key]


def set_active_model(active: ActiveModel) -> None:
    """Make `active` the model of every page; its dataset becomes the active dataset."""
    st.session_state[MODEL_KEY] = active
    set_active_dataset(active.dataset)
    if active.source != "pretrained":
        st.session_state.setdefault(SESSION_MODELS_KEY, {})[active.name] = active


def session_models() -> dict[str, ActiveModel]:
    """Models this session trained or uploaded, by name."""
    return st.session_state.setdefault(SESSION_MODELS_KEY, {})


def show_in_widget(widget_key: str, value: Any) -> None:
    """Make a sidebar widget show the shared value before it is drawn: a page can change the active
    model or dataset (a Load, an upload), and the widget's own state would otherwise keep the old one."""
    if st.session_state.get(widget_key) != value:
        st.session_state[widget_key] = value


# `persist_state` of the controls a user expects to find as they left them after visiting another
# page (the Train form, the lab's noise, the path and sampler settings). Controls whose options
# depend on the model or dataset are not kept: a kept value could name an option that is gone.
KEEP_ACROSS_PAGES = "session"


# Controls whose default depends on the active model (the Latent map opens a 2-D code on its own
# plane): a widget with a key keeps its value when the model changes, so the page sets it itself.
# {page: model key the controls were last drawn for} and {page: {model key: {widget key: value}}}.
CONTROLS_DRAWN_FOR_KEY = "controls_drawn_for"
OWN_CHOICES_KEY = "own_choices"


def controls_follow_model(page: str, model: str, defaults: dict[str, Any]) -> None:
    """Call before drawing `page`'s controls (`defaults`: widget key -> this model's default). When
    the active model (`model`, a `ui.core.cache.model_key`) changed since they were last drawn, each one
    shows what the user chose for this model (`remember_own_choice`), else its default for it. The
    first draw leaves them alone: a shared link may have set them."""
    drawn_for = st.session_state.setdefault(CONTROLS_DRAWN_FOR_KEY, {})
    last, drawn_for[page] = drawn_for.get(page), model
    if last is None or last == model:
        return
    own = st.session_state.get(OWN_CHOICES_KEY, {}).get(page, {}).get(model, {})
    for widget, default in defaults.items():
        st.session_state[widget] = own.get(widget, default)


def remember_own_choice(page: str, model: str, widget: str) -> None:
    """`on_change` of such a control: the user's own choice for this model, shown again when the
    model comes back, where another model opens on its own default."""
    choices = st.session_state.setdefault(OWN_CHOICES_KEY, {}).setdefault(page, {}).setdefault(model, {})
    choices[widget] = st.session_state[widget]
