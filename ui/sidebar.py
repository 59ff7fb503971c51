"""The sidebar every page shares, drawn by the router (`app.py`): the active dataset (and the
download of one not here yet), the active model and a small card describing that model."""

from __future__ import annotations

import streamlit as st

from ui.core import downloads, jobs, presenter, settings, state, zoo_results
from ui.core.cache import dataset_choices, is_available
from ui.core.models import card_rows, choice_label, pretrained_model, pretrained_names


def draw_sidebar() -> None:
    """Draw the dataset and model pickers and the model card into `st.sidebar`."""
    with st.sidebar:
        downloads.collect_finished()  # a download that has ended makes its dataset active before anything draws
        settings.write_browser_memory()  # this browser remembers a dataset chosen since the last run
        names = dataset_choices()
        if not names:
            st.error("No embedded dataset could be loaded; check that `aecore` is installed intact.")
            return
        dataset = state.active_dataset_name()
        if dataset not in names or not is_available(dataset):  # e.g. its files were deleted meanwhile
            dataset = names[0]
            state.set_active_dataset(dataset)
        pending = state.pending_download()
        state.show_in_widget(state.DATASET_WIDGET_KEY, pending or dataset)
        st.selectbox("Dataset", names, key=state.DATASET_WIDGET_KEY, on_change=state.sync_dataset_from_widget,
                     format_func=downloads.choice_label,
                     help="digits and shapes are built in; the others are downloaded once, when you ask.")
        if pending is not None:
            downloads.draw_panel(pending, dataset)
        zoo_results.draw_panel(dataset)
        try:
            active = state.active_model()
        except ValueError as error:  # an empty zoo: the message says how to build it
            st.error(str(error))
            return
        _draw_model_picker(dataset, active)
        _draw_card(active)
        presenter.draw_toggle()
        st.caption("The address bar is a link to this view (dataset, model and the page's controls): "
                   "send it, and it opens the same view in another browser.")
        jobs.draw_heartbeat()


def _model_choices(dataset: str, active: state.ActiveModel) -> list[str]:
    own = [name for name, model in state.session_models().items() if model.dataset == dataset]
    choices = pretrained_names(dataset) + own
    # The active model is always listed, also while the dataset has no model of its own yet.
    return choices if active.name in choices else [active.name, *choices]


def _on_model_change() -> None:
    name = st.session_state[state.MODEL_WIDGET_KEY]
    own = state.session_models().get(name)
    state.set_active_model(own if own is not None else pretrained_model(name))


def _draw_model_picker(dataset: str, active: state.ActiveModel) -> None:
    choices = _model_choices(dataset, active)
    own = state.session_models()
    state.show_in_widget(state.MODEL_WIDGET_KEY, active.name)
    st.selectbox("Model", choices, key=state.MODEL_WIDGET_KEY, on_change=_on_model_change,
                 format_func=lambda name: choice_label(name, own.get(name)),
                 help="Pretrained models of this dataset, and the ones you trained or uploaded.")
    if active.dataset != dataset:
        st.caption(f"No model of **{dataset}** yet: train one on the Train page or upload one on the "
                   f"Load page. Pages keep using **{active.name}**, trained on {active.dataset}.")


def _draw_card(active: state.ActiveModel) -> None:
    with st.container(border=True):
        st.markdown(f"**{active.name}**")
        st.markdown("  \n".join(f"{label}: **{value}**" for label, value in card_rows(active)))
