"""Sample & traverse: one image's code drawn as z = μ + σ ⊙ ε, images decoded from random codes, and
one code unit swept at a time. Every control is in the URL (keys sm_*), so a link opens this view."""

import streamlit as st

from aecore import generate
from ui import conditional_view as conditional
from ui import generate_reparam as reparam
from ui import generate_view as view
from ui.core import lessons, presenter, state
from ui.core.concepts import explain
from ui.core.router import require_router

require_router()
CHART = {"width": "stretch", "config": {"displayModeBar": False}}
SAMPLE_SEED, EPS_SEED = "sm_seed", "sm_eps"


def bump(key: str) -> None:
    """Button callback: the next seed. A bound widget is set through session_state, before it draws."""
    st.session_state[key] = int(st.session_state.get(key, 0)) + 1


st.title("Sample & traverse")
active = state.active_model()
variational = generate.is_variational(active.model)
test = view.test_split(active.dataset)

st.header("One image's code: z = μ + σ ⊙ ε")
image_col, eps_col, button_col = st.columns([3, 1, 1])
image = int(image_col.number_input("Test image (index)", 0, len(test) - 1, 0, key="sm_image", bind="query-params",
                                   help="The test image whose code is drawn here and swept in the traversal below."))
if variational:
    with eps_col:
        with presenter.secondary("Noise seed"):
            # No value=: it starts at min_value, and a value given beside the Resample button's write
            # through Session State made Streamlit warn ("created with a default value but also set").
            eps_seed = int(st.number_input("ε seed", min_value=0, key=EPS_SEED, bind="query-params"))
    button_col.button("Resample ε", on_click=bump, args=(EPS_SEED,), help="Draw new noise ε: a new z, a new image.")
    pictures, units, table, draw = reparam.draw(active, image, eps_seed, presenter.scale(96))
    pictures_col, units_col = st.columns([2, 3])
    pictures_col.plotly_chart(pictures, **CHART)
    units_col.plotly_chart(units, **CHART)
    st.table(table.style.format("{:.3f}"))
    explain("vae", reparam.live(draw), note="The grey band is the prior's ±1: the KL term pulls each μ ± σ "
            "towards it. A unit whose σ is near 1 and μ near 0 is unused: its ε decides z, and the image ignores it.")
else:
    others = reparam.variational_names(active.dataset)
    st.info(f"**{active.name}** is not a VAE (its kind is `{active.model.kind}`): its encoder gives each image "
            "one point z = f(x), with no spread σ and so no noise ε to draw. Pick a VAE in the sidebar "
            f"({', '.join(others) or 'none in the zoo of this dataset yet: train one on the Train page'}) "
            "to see an image's code drawn as z = μ + σ ⊙ ε.")
    if others:
        best = reparam.prior_words(others[0])
        st.button(f"Use {others[0]}", on_click=reparam.use_pretrained, args=(others[0],),
                  help=f"Of this zoo's VAEs, {best}." if best else None)

st.header("Samples")
if variational:
    st.markdown(f"**{active.name}** is a VAE: its codes are trained to look like draws from N(0, I), "
                "so any draw from it decodes to a plausible image. The temperature T scales the draw: "
                "below 1 the samples are safer and blurrier, above 1 stranger.")
else:
    st.markdown(
        f"**{active.name}** is not a VAE (its kind is `{active.model.kind}`), so it has no prior: nothing in its "
        "training asks the codes to fill any region. Its codes sit on a thin, curved set with gaps between the "
        "classes, so a draw from N(0, I) (left) mostly lands where the decoder never went, and even a Gaussian "
        "fitted to its codes (right, their mean and covariance) puts mass in those holes. A VAE's KL term pulls "
        "every posterior towards N(0, I), which is exactly what its sampler then draws from.")

temp_col, count_col, seed_col, button_col = st.columns([3, 2, 1, 1])
temperature = temp_col.slider("Temperature T", 0.0, 2.0, 1.0, 0.1, key="sm_temp", bind="query-params")
with count_col:
    with presenter.secondary("Sample count"):
        count = st.slider("Samples", 8, 64, 32, 8, key="sm_count", bind="query-params")
sample_seed = int(seed_col.number_input("Seed", min_value=0, key=SAMPLE_SEED, bind="query-params"))  # no value=: see ε
button_col.button("New samples", on_click=bump, args=(SAMPLE_SEED,))

shown = view.sample_figures(active, count, temperature, sample_seed, presenter.scale(48))
for col, (figure, _) in zip(st.columns(len(shown)), shown.values()):
    col.plotly_chart(figure, **CHART)
lessons.publish(view.near_share(active, shown))
explain("prior", view.prior_live(active, shown),
        note="A sample \"looks real\" when its nearest test image is as close as real images are to each other.")

st.header("Traversal")
scale_text = ("the prior's standard deviation, 1 (the posterior's own is far smaller for a used unit)"
              if variational else "the standard deviation of that unit over the test codes, around their mean")
st.markdown(f"Each row starts from the code of test image #{image} (chosen above) and sweeps one unit from -3 to "
            f"+3 in units of {scale_text}, holding the others. A unit that changes nothing is unused.")
grid, frame = view.traversal(active, image, presenter.scale(44))
if frame["kl"] is not None:
    grid_col, kl_col = st.columns([3, 2])
    grid_col.plotly_chart(grid, **CHART)
    kl_col.plotly_chart(view.kl_figure(view.model_key(active), frame["kl"]), **CHART)
    kl_col.caption("A unit with KL near 0 carries no information about the image: it is the prior's noise.")
else:
    st.plotly_chart(grid, **CHART)

st.subheader("Drag through one unit")
with presenter.secondary("Units to drag"):
    units = st.multiselect("Units to drag", list(range(len(frame["z"]))), default=view.default_units(frame),
                           format_func=lambda k: f"z{k}", max_selections=4, key="sm_units", bind="query-params")
for col, unit in zip(st.columns(max(len(units), 1)), units):
    col.plotly_chart(view.drag_figure(active, image, unit, presenter.scale(150)), **CHART)

st.header("Ask for a class: the conditional VAE")
cvae = conditional.conditional_model(active)
names = conditional.class_names(active.dataset)
if cvae is None or not names:
    st.info(f"No conditional VAE of **{active.dataset}** in the zoo: train one on the Train page (kind `cvae`, "
            "on a labelled dataset) to ask it for a class.")
else:
    st.markdown(f"**{cvae.name}** is told each image's class as a one-hot vector, in its encoder and its "
                "decoder, so its code keeps what the class does not say: the style. Pick a class: its samples "
                "decode codes drawn from N(0, T² I) (T, the count and the seed are the samples' above) under it.")
    label = st.segmented_control("Class", list(range(len(names))), format_func=lambda c: names[c], required=True,
                                 default=0, key="sm_class", bind="query-params")
    figure, share = conditional.class_samples(cvae, active.dataset, label, count, temperature, sample_seed,
                                              presenter.scale(48))
    grid_col, share_col = st.columns([4, 1])
    grid_col.plotly_chart(figure, **CHART)
    share_col.metric(f"Named {names[label]}", conditional.share_text(share), help=f"Share of these {count} samples that a pixel "
                     f"classifier (an MLP) trained on {conditional.JUDGE_IMAGES:,} real training images names as "
                     f"{names[label]}. {conditional.recorded_words(cvae.name)}")
    conditional.wait_for_judge(active.dataset)
    thing = "digit" if all(name.isdigit() for name in names) else "class"
    st.subheader(f"Same style, other {thing}")
    st.markdown(f"Test image #{image} (chosen above) encoded under its own {thing}, then its code decoded under "
                f"each {thing}: one hand writing every {thing}.")
    figure, share = conditional.restyled(cvae, active.dataset, image, presenter.scale(56))
    grid_col, share_col = st.columns([4, 1])
    grid_col.plotly_chart(figure, **CHART)
    share_col.metric("Read as the class asked", conditional.share_text(share), help="Share of the decoded images that the same "
                     "pixel classifier names as the class each was decoded under.")
