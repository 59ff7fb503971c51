"""Inside the code: what each regularizer does to the codes, measured on the active model and its
plain `ae` sibling, with each loss term's formula beside the number it produces."""

import streamlit as st

from ui import regularizers_figures as figures
from ui import regularizers_view as view
from ui import warmup_view as warmup
from ui.core import jobs, page_results, presenter, state
from ui.core.concepts import explain
from ui.core.router import require_router

require_router()

CHART = {"width": "stretch", "config": {"displayModeBar": False}}

st.title("Inside the code: what each regularizer does")
active = state.active_model()
st.markdown(f"Active model **{active.name}** on **{active.dataset}**. Each section compares it with the zoo's "
            f"models of {active.dataset} that carry one regularizer, and with the plain `ae` that carries none; "
            "every number is measured on the test split.")
measuring = view.pending_job(active)
if measuring is not None:  # a user's own model: its measures come from the job queue
    page_results.draw_pending(view.PURPOSE, measuring, f"the measures of {active.name} (nothing is stored for it)")

# Every control's key is its URL parameter (?rg_threshold=0.3&rg_sigma=0.1&rg_beta=2): a link shares the view.
st.header("Sparsity")
threshold = st.slider("Active threshold (share of a unit's largest |z|)", 0.01, 0.5, 0.1, 0.01, key="rg_threshold",
                      bind="query-params", help="A unit counts as active in an image when |z_j| exceeds this share "
                                                "of its largest value over the test set.")
with presenter.secondary("Pick a test image"):
    image_col, chooser_col = st.columns([1, 4])
    index = int(chooser_col.number_input(f"Test image (0 to {view.test_count(active) - 1})", 0,
                                         view.test_count(active) - 1, 0, step=1, key="rg_image", bind="query-params"))
    image_col.image(view.image_picture(active, index), output_format="PNG")
models = view.compared_models(active, view.SPARSE)
sparse = view.sparsity(models, threshold)
l1 = view.pick(models, active, "sparse", "l1")
explain("sparse_l1", live=view.l1_live(l1, threshold, index) if l1 else (),
        note=None if l1 else f"No L1 sparse model of {active.dataset} is measured here.")
kl = view.pick(models, active, "sparse", "kl")
kl_numbers, rho_hat = view.kl_live(kl, threshold, index) if kl else ((), None)
explain("sparse_kl", live=kl_numbers, note=None if kl else f"No KL sparse model of {active.dataset} is measured here.")
charts = [figures.activation_figure(sparse, threshold), figures.active_fraction_figure(sparse),
          figures.image_code_figure(sparse, index)]
if kl:
    charts.append(figures.rho_figure(rho_hat, kl[1].model.config.rho, kl[2]["codes"][index], kl[0], index))
for start in range(0, len(charts), 2):
    for col, figure in zip(st.columns(2), charts[start:start + 2]):
        col.plotly_chart(figure, **CHART)

st.header("Contraction")
st.markdown("Below, every test image gets a small random push ε and we measure how far its code moves per unit "
            "of push: squared and scaled by the pixels, it estimates the Jacobian term, exactly so as σ shrinks.")
noise = st.select_slider("Perturbation size σ", view.NOISES, value=0.01, key="rg_sigma", bind="query-params")
models = view.compared_models(active, view.CONTRACTIVE)
contraction = view.contraction(models, noise)
contractive = view.pick(models, active, "contractive")
explain("contractive", live=view.contractive_live(contractive, view.pick(models, active, "ae"), noise)
        if contractive else (), note=None if contractive else f"No contractive model of {active.dataset} is measured here.")
for col, figure in zip(st.columns(2), [figures.sensitivity_figure(contraction, noise), figures.jacobian_figure(contraction)]):
    col.plotly_chart(figure, **CHART)

st.header("VAE: KL per dimension, β and warm-up")
variational = view.compared_models(active, view.VARIATIONAL, kind="vae")
kl_dims = view.kl_per_dim(variational)
st.markdown("A VAE's KL term pulls every posterior q(z|x) towards the prior N(0, I); a unit whose KL is near 0 "
            "says nothing about the image (it has collapsed to the prior). " + view.beta_words(variational, kl_dims))
st.plotly_chart(figures.kl_figure(kl_dims), **CHART)
st.caption(view.kl_caption(kl_dims) + ". A model whose bars are all missing has collapsed: its code carries nothing.")

st.subheader("Warm-up against posterior collapse")
st.markdown(f"A small 8-D MLP VAE trained on {warmup.WARMUP_DATASET} twice, from the same seed, for 20 epochs: once "
            "with the full KL weight from the first step, once with the weight ramped up over T = 15 epochs. It runs "
            "in the server's job queue, once per β (everyone who opens the same β shares the run).")
beta = st.select_slider("β of the small VAE", warmup.BETAS, value=3.0, key="rg_beta", bind="query-params")
experiment = warmup.warmup_job(beta)
explain("collapse", live=warmup.collapse_live(beta, experiment))
if experiment.state == jobs.FAILED:
    st.error(f"The experiment failed: {experiment.error}")
    st.button("Train both again", on_click=warmup.retry_warmup, args=(beta,))
elif not experiment.finished:
    warmup.draw_warmup_progress(experiment)
else:
    st.markdown(warmup.warmup_words(beta, experiment.result))
    st.plotly_chart(figures.kl_figure({k: r["kl_per_dim"] for k, r in experiment.result.items()},
                                   f"KL per dimension, β = {beta:g}"), **CHART)

st.header("Overfitting")
st.markdown("No regularizer is free of this one: a model that keeps lowering its training loss while its "
            "validation loss stalls or rises is memorising the training images. The gap between the curves "
            "is what the regularizers above, and early stopping, try to keep small.")
curves = view.history(active)
if curves is None:
    st.info(f"{active.name} has no recorded loss history (no training history came with it).")
else:
    st.plotly_chart(figures.history_figure(curves, active.name), **CHART)
