"""Make a page opened by its URL on a freshly started server run inside `app.py`, the router."""

import streamlit as st
from streamlit import config
from streamlit.runtime.pages_manager import PagesManager


def require_router() -> None:
    """Rerun through `app.py` when Streamlit ran this page alone. Call it first in every page.

    Our page files live in `pages/`, which Streamlit also reads as an old-style (v1) multipage
    folder: until some session has run `app.py` and so called `st.navigation`, the server runs a
    deep-linked page such as `/anomaly` by itself, with no sidebar and the folder's page list. The
    process-wide flag that picks that path is what `st.navigation` clears; clearing it here and
    rerunning sends this first run through the router, which then runs the page the URL names.

    No public option turns that old reading off in Streamlit 1.67: Streamlit keeps the flag for apps
    with a `pages/` folder (streamlit/streamlit#10276) and advises another folder name, which this
    project's fixed layout rules out. Hence this one private flag.

    AppTest sets the flag again before every run (so each run would run twice and lose a button's
    click), and under AppTest a page runs alone after `switch_page` (docs/streamlit-notes.md): the
    guard stays out of AppTest.
    """
    if getattr(PagesManager, "uses_pages_directory", False) and not config.get_option("global.appTest"):
        PagesManager.uses_pages_directory = False
        st.rerun()
