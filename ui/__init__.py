"""App-side helpers shared by the Streamlit pages: session-state keys, caches and views.

`aecore` never imports Streamlit; everything that does lives here or in `pages/`.
"""
