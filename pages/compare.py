"""Compare models: two to four models of one dataset, the same test images on a map of each, turned
onto the first; hovering or selecting an image shows it on every map, with two numbers under each."""

import streamlit as st

from aecore.studies.compare import MAX_MODELS, METHODS
from ui import compare_view as view
from ui.core import lessons, presenter, state
from ui.core.concepts import Live, explain
from ui.core.router import require_router

require_router()

st.title("Compare models")
st.markdown(
    "Pick two to four models of the active dataset. Each encodes the **same test images**; each model's codes "
    "are mapped to 2-D and the maps are **turned onto the first one** (orthogonal Procrustes: rotation, mirror, "
    "scale), so an image sits in about the same place on every map. Side by side, a plain autoencoder, a sparse, "
    "a contractive one and a VAE show what each regularizer does to the shape of the code. **Hover** a dot to "
    "find that image on every map; **click** it or **drag a box** to select images."
)

active = state.active_model()
dataset = active.dataset
options = view.model_options(active)
view.follow_dataset(dataset, options)
# Both controls are kept in the URL (?cm_models=digits-ae-8&cm_models=digits-vae-8&cm_method=UMAP).
names = st.multiselect("Models", options, default=view.default_models(dataset),
                       max_selections=MAX_MODELS, key=view.MODELS_KEY, bind="query-params",
                       help="Models of the active dataset: the zoo's, and the ones you trained or uploaded.")
with presenter.secondary("Map method"):
    method = st.radio("Map", METHODS, format_func=view.METHOD_LABELS.get, horizontal=True, key=view.METHOD_KEY,
                      bind="query-params", help="How a code wider than 2-D is laid out on the plane. UMAP of a "
                                               "model with no stored map is computed in the background.")

try:
    models = view.resolve(names, active)
except ValueError as error:
    message = str(error)
    st.info(f"{message[:1].upper()}{message[1:]}.", icon=":material/compare:")
    st.stop()

shown, note = view.measure_all(models, method)
if note:
    st.info(note, icon=":material/hourglass_top:")
watched = view.waiting(shown, models, method)
if any(m.map is None for m in shown):  # a model with nothing stored is still being encoded, or failed
    failed = next((m.error for m in shown if m.error), None)
    if failed:
        st.error(f"Measuring a model failed: {failed}")
    else:
        view.progress(watched, method)
    st.stop()
drawn_method = "pca" if note else method

st.caption(f"{len(view.rows(dataset)):,} test images of {dataset}, the same on every map, each map turned onto "
           f"**{models[0].name}**'s.")
view.linked_maps(models, shown, dataset)
for column, model, measured in zip(st.columns(len(models)), models, shown):
    trust, probe = view.numbers(measured)
    with column:
        st.caption(view.map_note(model, drawn_method))
        # Four maps leave each too narrow for two numbers side by side: then one under the other.
        left, right = st.columns(2) if len(models) < 4 else (st.container(), st.container())
        left.metric("Trustworthiness", trust, help="Neighbours on the map that are neighbours in pixels (1 is best).")
        right.metric("Linear probe", probe, help="Test accuracy of a logistic regression on the full code.")
        if measured.error:
            st.error(f"Measuring failed: {measured.error}")
st.caption(view.MEANINGS)
if watched:
    view.progress(watched, method)

picked = view.selection(dataset)
if picked:
    picture, counts = view.selected_images(dataset, picked)
    more = f" (the first {view.MAX_SHOWN} shown)" if len(picked) > view.MAX_SHOWN else ""
    st.markdown(f"**{len(picked)} selected**{more}: " + ", ".join(f"{name} × {n}" for name, n in counts.items()))
    st.image(picture, caption="selected test images, drawn bright on every map above", width="stretch")

lessons.publish(view.lesson_facts(shown))
trusts = [(model.name, measured.trustworthiness) for model, measured in zip(models, shown)
          if measured.trustworthiness is not None]
if trusts:
    explain("trustworthiness", [Live(name, f"{value:.3f}", help="k = 10 neighbours, against the pixels")
                                for name, value in trusts],
            note="A map with false neighbours can still come from a good code: the probe below asks the code itself.")
probes = [(model.name, measured.probe) for model, measured in zip(models, shown) if measured.probe is not None]
if probes:
    explain("features", [Live(name, f"{value:.1%}", help="logistic regression on the full code, all training labels")
                         for name, value in probes],
            note="Here W and b are fitted on every training image's code and label; the number is the test accuracy.")
