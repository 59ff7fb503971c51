"""TEMPORARY: replaced by the helper that builds this page."""
import streamlit as st

st.title("load")
