"""Latent map: the test codes of the active model in 2-D; select points, or decode any spot."""

import streamlit as st

from ui import latent_map_view as view
from ui.core import downloads, lessons, posterior, presenter, state
from ui.core.cache import model_key
from ui.core.router import require_router

require_router()

st.title("Latent map")
st.markdown(
    "Every dot is one **test image**, placed by its code: the code itself when it is 2-D, else a 2-D "
    "map of the codes (**PCA**, **UMAP** or **t-SNE**). **Select** dots (click, box or lasso) to see "
    "those images and what the model rebuilds from them; **click an empty spot** to see the image "
    "the decoder makes there. For a **VAE**, the first selected image's posterior q(z|x) is drawn too: its mean, its "
    "1σ and 2σ ellipses and draws z = μ + σ·ε from it. Scroll or use the toolbar to zoom and pan. **Move the pointer** over the map "
    "and the image under it is decoded in your browser as you go."
)

active = state.active_model()
data = view.latent_data(active)
methods = view.methods(active)
# A model opens on its own default (a 2-D code on its plane), or on what the user chose for it.
follow = {"page": "latent_map", "model": model_key(active)}
state.controls_follow_model(**follow, defaults={"lm_method": methods[0], "lm_manifold": methods[0] == "raw"})
# Every control is kept in the URL (its key is the query parameter), so a shared link opens this view.
method_col, more_col = st.columns([3, 4])
method = method_col.radio("Map", methods, horizontal=True, format_func=view.METHOD_LABELS.get,
                          key="lm_method", bind="query-params", on_change=state.remember_own_choice,
                          kwargs={**follow, "widget": "lm_method"},
                          help="UMAP and t-SNE of a model with no stored map (yours, or a downloaded dataset's "
                               "before this machine has measured it) are computed in the background; PCA is shown "
                               "meanwhile.")
with more_col, presenter.secondary("Colour and decoded grid"):
    colour_col, manifold_col = st.columns(2)
    colour = colour_col.selectbox("Colour by", view.colour_options(active.dataset), key="lm_colour",
                                  bind="query-params", help="The class, or one of the factors that generated the image.")
    manifold = manifold_col.checkbox("Decoded images under the map", value=methods[0] == "raw", key="lm_manifold",
                                     bind="query-params", disabled=method not in ("raw", "pca"),
                                     on_change=state.remember_own_choice, kwargs={**follow, "widget": "lm_manifold"},
                                     help=f"The decoder's images over a {view.MANIFOLD_SIZE}×{view.MANIFOLD_SIZE} "
                                          "grid of the plane (2-D code or PCA).")

shown = view.projection(active, method)
if shown.error:
    st.error(f"{view.METHOD_LABELS[method]} failed: {shown.error}. Showing PCA instead.")
if shown.embedding is None:
    if shown.pending:
        view.progress(active, method)
    shown = view.projection(active, "pca")
manifold = manifold and shown.method in ("raw", "pca")

st.caption(f"Model **{active.name}** · {len(data.rows):,} test images of {active.dataset} · "
           f"{view.METHOD_LABELS[shown.method]}"
           + (f" ({downloads.measured_where(active.name, active.dataset)})" if shown.method in data.stored else ""))
words, numbers = view.shape_words(active, shown)
st.caption(words)
lessons.publish(numbers)
pick = view.current_pick(active, shown)
chart = view.chart_key(active, shown)
# A VAE's q(z|x) of the first selected image, on a linear map (a selection makes the figure a copy of its own).
plane = posterior.plane(active, shown.method, data.codes, shown.embedding) if pick.rows and posterior.applies(active) else None
q_shown = posterior.of_test_image(active, pick.rows[0], plane, posterior.seed("lm_resample")) if plane else None
map_col, side_col = st.columns([3, 2])
with map_col:
    st.plotly_chart(posterior.add_to(view.marked_figure(active, shown, colour, manifold, pick), q_shown), width="stretch",
                    on_select=lambda: view.remember_pick(chart, active, shown),
                    selection_mode=("points", "box", "lasso"), key=chart,
                    config={"scrollZoom": True, "displaylogo": False})

with side_col:
    view.hover_panel(active, shown)
    if pick.rows:
        originals, rebuilt, counts = view.selection_view(active, pick.rows)
        more = f" (the first {view.MAX_SHOWN} shown)" if len(pick.rows) > view.MAX_SHOWN else ""
        st.markdown(f"**{len(pick.rows)} selected**{more}: " + ", ".join(f"{name} × {n}" for name, n in counts.items()))
        st.image(originals, caption="selected test images", width="stretch")
        st.image(rebuilt, caption=f"rebuilt by {active.name}", width="stretch")
        if q_shown is not None:
            posterior.panel(active, q_shown, view.METHOD_LABELS[shown.method], "lm_resample")
        elif posterior.applies(active):
            st.caption(posterior.not_linear_words(view.METHOD_LABELS[shown.method], active.model.config.latent_dim))
    elif pick.spot is not None:
        image, distance, far = view.decoded_spot(active, shown, pick.spot)
        st.markdown(f"**Decoded at ({pick.spot[0]:.2f}, {pick.spot[1]:.2f})**, marked ✕ on the map")
        st.image(image, width=presenter.scale(200))
        st.caption(f"Point → code {view.inverse_note(active, shown)}.")
        if view.is_approximate(active, shown):
            st.info("This map has no exact inverse: the image is an approximation from nearby codes.")
        if far:
            st.warning(f"This spot is far from every test image (distance {distance:.2f}; most images have a "
                       "neighbour closer than that): the decoder is guessing here.")
    else:
        st.info("Click a dot, drag a box or lasso to select images, or click an empty spot to decode it.")
