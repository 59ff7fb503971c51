"""Inside the code: what each regularizer does to the codes, measured on the active model and its
plain `ae` sibling, with each loss term's formula."""

import streamlit as st

from ui import regularizers_view as view
from ui.core import jobs, page_results, state
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

st.header("Sparsity")
st.markdown("A sparse autoencoder pays for every unit it switches on, so each image is described by a few "
            "units out of many. The L1 penalty on a ReLU code drives most values to exactly zero; the KL "
            "penalty on a sigmoid code pushes each unit's average activation over a batch towards a small "
            "rate ρ. A unit counts as active in an image when |z_j| exceeds the threshold times its largest "
            "value over the test set.")
st.latex(r"\Omega_{L1} = \lambda \sum_j |z_j| \qquad "
         r"\Omega_{KL} = \lambda \sum_j \rho \log\frac{\rho}{\hat\rho_j} + (1-\rho)\log\frac{1-\rho}{1-\hat\rho_j},"
         r"\quad \hat\rho_j = \tfrac{1}{B}\textstyle\sum_i z_j(x_i)")
threshold = st.slider("Active threshold (share of a unit's largest |z|)", 0.01, 0.5, 0.1, 0.01)
sparse = view.sparsity(view.compared_models(active, view.SPARSE), threshold)
view.draw_comparison(
    sparse, lambda name, stats: (f"{name}: units active per image", f"{stats['mean_active_fraction']:.0%}",
                                 f"{stats['exact_zeros']:.0%} of its code values are exactly 0"),
    [view.activation_figure(sparse, threshold), view.active_fraction_figure(sparse)], CHART)

st.header("Contraction")
st.markdown("A contractive autoencoder pays for the encoder's sensitivity: the squared Frobenius norm of the "
            "Jacobian dz/dx, so small moves of the input barely move the code, while the reconstruction term "
            "keeps the directions the data really varies along. Below, every test image gets a small random "
            "push ε and we measure how far its code moves per unit of push, beside the exact Jacobian norm.")
st.latex(r"\Omega_{CAE} = \lambda \left\| \frac{\partial z}{\partial x} \right\|_F^2 "
         r"= \lambda \sum_{j,i} \left(\frac{\partial z_j}{\partial x_i}\right)^2")
noise = st.select_slider("Perturbation size σ", view.NOISES, value=0.01)
contraction = view.contraction(view.compared_models(active, view.CONTRACTIVE), noise)
view.draw_comparison(
    contraction, lambda name, stats: (f"{name}: code moved per unit input moved", f"{stats['mean_sensitivity']:.3f}",
                                      f"mean Jacobian norm {stats['jacobian'].mean():.3f}"),
    [view.sensitivity_figure(contraction, noise), view.jacobian_figure(contraction)], CHART)

st.header("VAE: KL per dimension, β and warm-up")
st.markdown("A VAE's KL term pulls every posterior q(z|x) towards the prior N(0, I); a unit whose KL is near 0 "
            "says nothing about the image (it has collapsed to the prior). β > 1 pulls harder: more units "
            "collapse and the ones left carry the most useful factors. KL warm-up ramps the KL weight from 0, "
            "so the decoder learns to use the code before the KL can switch it off.")
st.latex(r"\beta\, \mathrm{KL}\big(q(z|x)\,\|\,\mathcal N(0, I)\big) "
         r"= \frac{\beta}{2} \sum_j \left(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\right)")
kl = view.kl_per_dim(view.compared_models(active, view.VARIATIONAL, kind="vae"))
st.plotly_chart(view.kl_figure(kl), **CHART)
st.caption(view.kl_caption(kl) + ". A model whose bars are all missing has collapsed: its code carries nothing.")

st.subheader("Warm-up against posterior collapse")
st.markdown(f"Trains a small 8-D MLP VAE on {view.WARMUP_DATASET} twice, from the same seed, for 20 epochs: once "
            "with the full KL weight from the first step, once with the weight ramped up over 15 epochs. It runs "
            "in the background, in the server's job queue.")
beta_col, button_col = st.columns([3, 1])
beta = beta_col.select_slider("β of the small VAE", [1.0, 2.0, 3.0, 4.0], value=3.0)
if button_col.button("Train both", type="primary"):
    view.start_warmup(beta)
    st.rerun()
jobs.job_panel(view.WARMUP_PURPOSE, view.warmup_progress)
experiment = view.warmup_result()
if experiment is None:
    if jobs.current(view.WARMUP_PURPOSE) is None:
        st.info("Press **Train both** to run the experiment.")
else:
    beta_run, runs = experiment
    for col, (label, run) in zip(st.columns(len(runs)), runs.items()):
        col.metric(f"{label}: active units", f"{run['active_units']} of {len(run['kl_per_dim'])}",
                   help=f"KL {run['kl']:.2f} nats, reconstruction {run['bce']:.1f} nats, {run['seconds']:.1f} s")
    st.plotly_chart(view.kl_figure({k: r["kl_per_dim"] for k, r in runs.items()},
                                   f"KL per dimension, β = {beta_run:g}"), **CHART)

st.header("Overfitting")
st.markdown("No regularizer is free of this one: a model that keeps lowering its training loss while its "
            "validation loss stalls or rises is memorising the training images. The gap between the curves "
            "is what the regularizers above, and early stopping, try to keep small.")
st.latex(r"\mathcal L_{\text{train}} = \frac{1}{N}\sum_{x \in \text{train}} \ell(x), \qquad "
         r"\text{gap} = \mathcal L_{\text{val}} - \mathcal L_{\text{train}}")
curves = view.history(active)
if curves is None:
    st.info(f"{active.name} has no recorded loss history (no training history came with it).")
else:
    st.plotly_chart(view.history_figure(curves, active.name), **CHART)
