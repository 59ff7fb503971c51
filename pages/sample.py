"""Sample & traverse: images decoded from random codes, and one code unit swept at a time."""

import streamlit as st

from aecore import generate
from ui import generate_view as view
from ui.core import state
from ui.core.router import require_router

require_router()
KEEP = state.KEEP_ACROSS_PAGES  # see ui.core.state

SEED_KEY = "sample_seed"

st.title("Sample & traverse")
active = state.active_model()
variational = generate.is_variational(active.model)
test = view.test_split(active.dataset)

st.header("Samples")
if variational:
    st.markdown(f"**{active.name}** is a VAE: its codes are trained to look like draws from N(0, I), "
                "so any draw from it decodes to a plausible image. The temperature T scales the draw: "
                "below 1 the samples are safer and blurrier, above 1 stranger.")
else:
    st.markdown(
        f"**{active.name}** is a **{active.model.kind}** autoencoder, not a VAE, so it has no prior: nothing in its "
        "training asks the codes to fill any region. Its codes sit on a thin, curved set with gaps between the "
        "classes, so a draw from N(0, I) (left) mostly lands where the decoder never went, and even a Gaussian "
        "fitted to its codes (right, their mean and covariance) puts mass in those holes. A VAE's KL term pulls "
        "every posterior towards N(0, I), which is exactly what its sampler then draws from.")

st.session_state.setdefault(SEED_KEY, 0)
temp_col, count_col, seed_col, button_col = st.columns([3, 2, 1, 1])
temperature = temp_col.slider("Temperature T", 0.0, 2.0, 1.0, 0.1, key="sample_temperature", persist_state=KEEP)
count = count_col.slider("Samples", 8, 64, 32, 8, key="sample_count", persist_state=KEEP)
seed_col.number_input("Seed", min_value=0, key=SEED_KEY, persist_state=KEEP)
button_col.button("New samples", on_click=lambda: st.session_state.update({SEED_KEY: st.session_state[SEED_KEY] + 1}))

grids = view.sample_figures(active, count, temperature, int(st.session_state[SEED_KEY]))
for col, figure in zip(st.columns(len(grids)), grids.values()):
    col.plotly_chart(figure, width="stretch", config={"displayModeBar": False})

st.header("Traversal")
scale_text = ("the prior's standard deviation, 1 (the posterior's own is far smaller for a used unit)"
              if variational else "the standard deviation of that unit over the test codes, around their mean")
st.markdown(f"Each row starts from the base image's code and sweeps one unit from -3 to +3 in units of "
            f"{scale_text}, holding the others. A unit that changes nothing is unused.")
row = int(st.number_input("Base image (test-set index)", 0, len(test) - 1, 0))
grid, frame = view.traversal(active, row)
if frame["kl"] is not None:
    grid_col, kl_col = st.columns([3, 2])
    grid_col.plotly_chart(grid, width="stretch", config={"displayModeBar": False})
    kl_col.plotly_chart(view.kl_figure(view.model_key(active), frame["kl"]), width="stretch", config={"displayModeBar": False})
    kl_col.caption("A unit with KL near 0 carries no information about the image: it is the prior's noise.")
else:
    st.plotly_chart(grid, width="stretch", config={"displayModeBar": False})

st.subheader("Drag through one unit")
units = st.multiselect("Units to drag", list(range(len(frame["z"]))), default=view.default_units(frame),
                       format_func=lambda k: f"z{k}", max_selections=4)
for col, unit in zip(st.columns(max(len(units), 1)), units):
    col.plotly_chart(view.drag_figure(active, row, unit), width="stretch", config={"displayModeBar": False})
