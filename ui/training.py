"""The Train page's session side: its job in the server's queue, the trained result, chart and previews.

The run itself is `aecore.studies.jobs.train` in a worker process (see `ui.core.jobs`); this module submits it,
turns its snapshots into a figure, an image and the live terms of the loss beside its formula
(`ui.core.concepts`), and turns a finished run's checkpoint bytes into the session's active model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
import streamlit as st
import torch
from streamlit.errors import StreamlitDuplicateElementKey

import aecore
from aecore.runner import DONE, EVALUATING, STOPPED, RunSnapshot, RunSpec, check
from ui.core import jobs, presenter, state
from ui.core.cache import train_test_split
from ui.core.concepts import Live, explain
from ui.core.gallery import compose_grid
from ui.loss_code import draw as draw_loss_code, latest

PURPOSE = "train"  # the session's training job in ui.core.jobs
RESULT_KEY = "train_result"  # the TrainedResult of the latest job that returned a model
COUNT_KEY = "train_count"  # models trained in this session, for the "#n" in their names
SPEC_KEY = "train_spec"  # (job id, RunSpec) of the session's latest run: what its loss is made of
PREVIEW_IMAGES = 10
TRAIN_COLOR, VAL_COLOR = "#1f77b4", "#ff7f0e"


@dataclass
class TrainedResult:
    """A finished run as the app knows it: its model, name in the sidebar and checkpoint."""

    job_id: int
    active: state.ActiveModel
    snapshot: RunSnapshot  # the run's final state: metrics, history, reconstructions
    zip_bytes: bytes
    file_name: str
    stopped: bool  # stopped early: the weights learned so far
    capped_minutes: float | None = None  # stopped by this server's cap on one run's time (aecore.limits)

    @property
    def name(self) -> str:
        return self.active.name


def recipe(dataset: str) -> RunSpec:
    """Where the form starts for `dataset` (`aecore.recipes.default_spec`): a 28x28 set's epochs
    follow its size (the dataset is cached by the sidebar already)."""
    train_images = None
    if dataset in aecore.recipes.LIVE_DATASETS:
        train_images = len(train_test_split(dataset)[0])  # the training file alone where a test file ships
    return aecore.recipes.default_spec(dataset, train_images)


def current_job() -> jobs.Job | None:
    return jobs.current(PURPOSE)


def start_job(spec: RunSpec) -> jobs.Job:
    """Queue `spec` for training. Raises ValueError for a bad option or setting, at once, with
    nothing queued. A job of this session still queued or running is cancelled: one at a time."""
    check(spec)
    job = jobs.submit(PURPOSE, aecore.studies.jobs.train, spec, name=f"training {spec.kind} {spec.arch} {spec.latent_dim}-D")
    st.session_state[SPEC_KEY] = (job.id, spec)
    return job


def current_result() -> TrainedResult | None:
    """The result of the session's current job, if that job has returned a model."""
    result = st.session_state.get(RESULT_KEY)
    job = current_job()
    return result if result is not None and job is not None and result.job_id == job.id else None


def collect(job: jobs.Job) -> TrainedResult | None:
    """Once `job` has returned a model (done, or stopped with the weights so far), keep it as the
    session's result, once, and say so in a toast on whatever page the user is on. Only a run that
    completed becomes the active model: a stopped one (also one stopped while it was being tested)
    is only offered (`adopt`), since half-trained weights must not replace the user's model unasked."""
    if job.result is None or job.state not in (DONE, jobs.CANCELLED) or current_result() is not None:
        return current_result()
    outcome = job.result
    snapshot, model = outcome["snapshot"], aecore.load(outcome["checkpoint"])
    number = st.session_state[COUNT_KEY] = st.session_state.get(COUNT_KEY, 0) + 1
    config = model.config
    dataset = model.checkpoint.get("dataset", state.active_dataset_name())
    stopped = bool(outcome["stopped"]) or job.state != DONE
    name = f"trained: {config.kind} {config.arch} {config.latent_dim}-D #{number}" + (" (stopped)" if stopped else "")
    active = state.ActiveModel(model=model, name=name, source="trained", dataset=dataset,
                               metrics=snapshot.metrics or {}, pca=snapshot.pca or {})
    file_name = f"trained-{dataset}-{config.kind}-{config.arch}-{config.latent_dim}d-{number}.zip"
    result = st.session_state[RESULT_KEY] = TrainedResult(job.id, active, snapshot, outcome["checkpoint"],
                                                          file_name, stopped, outcome.get("capped_minutes"))
    if stopped:
        st.toast(f"{stopped_words(result)}. The half-trained model is kept on the Train page, not in use.",
                 icon=":material/pause_circle:")
    else:
        adopt(result)
        st.toast(f"Training finished: **{name}** is now the active model.", icon=":material/check_circle:")
    return result


def collect_finished() -> None:
    """The router's hook: a run that ended while the user was on another page is collected at once
    (the sidebar's heartbeat reruns the app when it ends): a completed one becomes the active model,
    a stopped one is only offered, and a toast says which."""
    job = st.session_state.get(jobs.JOBS_KEY, {}).get(PURPOSE)
    if job is not None and job.finished and current_result() is None:
        collect(job)


def adopt(result: TrainedResult) -> None:
    """Make the trained model the active model of every page."""
    state.set_active_model(result.active)


def loss_figure(snapshot: RunSnapshot, height: int = 320) -> go.Figure:
    """One panel per named loss term (recon, kl, sparsity, ...; the total last), each with its own
    y scale, since the terms differ by orders of magnitude: train solid, validation dashed, by epoch."""
    terms = list(snapshot.train_history[0]) if snapshot.train_history else []
    if len(terms) == 2:  # recon alone: the total is the same curve
        terms.remove("total")
    figure = make_subplots(rows=1, cols=max(1, len(terms)), subplot_titles=terms, horizontal_spacing=0.08)
    for column, term in enumerate(terms, start=1):
        for split, history, color, dash in (("train", snapshot.train_history, TRAIN_COLOR, "solid"),
                                            ("validation", snapshot.val_history, VAL_COLOR, "dash")):
            values = [epoch[term] for epoch in history]
            figure.add_scatter(x=list(range(1, len(values) + 1)), y=values, name=split, legendgroup=split,
                               # markers too: after the first epoch a curve is one point, which a line alone never draws
                               showlegend=column == 1, mode="lines+markers", line={"color": color, "dash": dash},
                               marker={"size": 5},
                               hovertemplate=f"{term} ({split}), epoch %{{x}}: %{{y:.4g}}<extra></extra>",
                               row=1, col=column)
    figure.update_xaxes(title_text="epoch")
    figure.update_yaxes(title_text="nats per image", row=1, col=1)
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                         legend={"orientation": "h", "y": -0.3})
    return figure


def preview_image(snapshot: RunSnapshot) -> np.ndarray:
    """The fixed test images (top row) over their latest reconstructions, as one RGB picture."""
    originals = torch.from_numpy(snapshot.originals)
    rows = [originals]
    if snapshot.reconstructions is not None:
        rows.append(torch.from_numpy(snapshot.reconstructions))
    return compose_grid(torch.cat(rows), ncols=len(originals), tile_px=56)


def comparison_rows(metrics: dict[str, Any], pca: dict[str, Any]) -> list[dict[str, Any]]:
    """Test metrics of the model beside PCA's at the same latent dim, one row per metric."""
    better = {"mse": "lower", "psnr": "higher", "bce": "lower"}
    return [{"metric": f"{name} ({better[name]} is better)", "this model": round(metrics[name], 4),
             f"PCA, {pca.get('k', '?')} components": round(pca[name], 4)}
            for name in better if name in metrics and name in pca]


def status_text(snapshot: RunSnapshot) -> str:
    """The progress bar's label."""
    if snapshot.state == EVALUATING:
        return "Evaluating on the test split…"
    if snapshot.state == STOPPED:
        return stopped_text(snapshot)
    if snapshot.finished:
        return f"Finished: {len(snapshot.train_history)} of {snapshot.epochs} epochs"
    return f"Epoch {snapshot.epoch} of {snapshot.epochs}"


def stopped_words(result: TrainedResult) -> str:
    """Where a stopped run stopped, and why when the server stopped it (its cap on one run's time)."""
    words = stopped_text(result.snapshot)
    if result.capped_minutes is not None:
        words += f", at this server's limit of {result.capped_minutes:g} minutes per run"
    return words


def stopped_text(snapshot: RunSnapshot) -> str:
    """"Stopped at epoch 5 of 100": the epoch in progress when the run was stopped."""
    epoch = max(snapshot.epoch, len(snapshot.train_history))
    return f"Stopped at epoch {epoch} of {snapshot.epochs}" if epoch else f"Stopped before epoch 1 of {snapshot.epochs}"


# --- the loss being trained, beside its live terms ------------------------------------------------
# The concept (ui.core.concepts) whose formula is each kind's loss; the sparse kind's depends on its penalty.
# The conditional VAE trains the VAE's loss, with the class given to both networks.
CONCEPT_OF_KIND = {"ae": "bottleneck", "denoising": "denoising", "contractive": "contractive", "vae": "vae", "cvae": "vae",
                   "hashing": "hashing"}
# What each logged term is in the formula's symbols.
TERM_SYMBOLS = {"recon": "ℒ_rec", "kl": "KL", "contractive": "‖∂z/∂x‖²", "balance": "Σ(ρ̂_j − ½)²",
                "total": "ℒ, the total"}
SPARSITY_SYMBOLS = {"sparse_l1": "Σ|z_j|", "sparse_kl": "Σ KL(ρ‖ρ̂_j)"}
# The kind's own settings that appear in its formula, with their symbols.
FORMULA_SETTINGS = {"vae": [("beta", "β")], "sparse_l1": [("weight", "λ")],
                    "sparse_kl": [("weight", "λ"), ("rho", "ρ")], "contractive": [("weight", "λ")],
                    "denoising": [("noise_level", "σ")], "hashing": [("balance", "λ")]}
LIKELIHOOD_WORDS = {
    "bernoulli": "Here ℒ_rec is the binary cross-entropy summed over the image's D pixels (the bernoulli "
                 "likelihood, under Network and likelihood), in nats per image, averaged over the batch.",
    "gaussian": "Here ℒ_rec is the squared error summed over the image's D pixels (the gaussian likelihood), "
                "not divided by D, averaged over the batch."}


def setting(kind: str, options: dict[str, Any], name: str) -> Any:
    """A model option as the run used it: the value given, else the config's default."""
    if name in options:
        return options[name]
    field = next((f for f in aecore.config_fields(kind) if f.name == name), None)
    return None if field is None else field.default


def concept_key(kind: str, options: dict[str, Any]) -> str | None:
    """The concept whose formula is the loss of `kind` with `options`; None for a kind without one."""
    if kind == "sparse":
        return f"sparse_{setting(kind, options, 'penalty')}"
    return CONCEPT_OF_KIND.get(kind)


class RunLoss(NamedTuple):
    """What a run's loss is made of: its kind, the model options it was given, its warm-up."""

    kind: str
    options: dict[str, Any]
    warmup_epochs: float


def run_loss(job: jobs.Job | None) -> RunLoss | None:
    """The loss of the run the page draws below the form: the running job's (from its spec) or the
    trained result's (from its model), else None."""
    result = current_result()
    if result is not None:
        config, fit = result.active.model.config, result.active.model.checkpoint.get("fit", {})
        return RunLoss(config.kind, config.to_dict(), float(fit.get("warmup_epochs", 0.0)))
    job_id, spec = st.session_state.get(SPEC_KEY, (None, None))
    # Queued, it draws only its place in the queue; its start reruns the whole page.
    if job is None or job.id != job_id or job.state != jobs.RUNNING:
        return None
    return RunLoss(spec.kind, spec.options, spec.fit.warmup_epochs)


def live_terms(snapshot: RunSnapshot, kind: str, options: dict[str, Any]) -> list[Live]:
    """Each term of the loss as the run measures it now, then the settings its formula multiplies them
    by: the latest batch while it runs, the last epoch's mean once it has ended."""
    key = concept_key(kind, options)
    values, where = latest(snapshot)
    terms = list(snapshot.train_history[0] if snapshot.train_history else (snapshot.losses or {"recon": None}))
    if terms == ["recon", "total"]:  # recon alone: the total is the same number
        terms.remove("total")
    live = []
    for term in terms:
        symbol = SPARSITY_SYMBOLS.get(key, "sparsity") if term == "sparsity" else TERM_SYMBOLS.get(term, term)
        value = values.get(term) if values else None
        live.append(Live(f"{term}: {symbol}", "…" if value is None else f"{value:.4g}",
                         help=f"Per training image, {where}."))
    for name, symbol in FORMULA_SETTINGS.get(key, []):
        live.append(Live(f"{symbol} ({name.replace('_', ' ')})", f"{setting(kind, options, name):g}",
                         help="This run's setting."))
    return live


def explain_loss(kind: str, options: dict[str, Any], snapshot: RunSnapshot | None = None,
                 warmup_epochs: float = 0.0, waiting: str = "") -> None:
    """The formula of the loss `kind` trains, in words, with the run's live terms beside it (none
    before the run has measured any: `waiting` says when they will appear)."""
    key = concept_key(kind, options)
    if key is None:  # a kind with no formula here: its code alone
        draw_loss_code(kind, options, snapshot)
        return
    note = LIKELIHOOD_WORDS.get(setting(kind, options, "likelihood"), "")
    if key in FORMULA_SETTINGS and key != "denoising":
        note += " The total adds each penalty times its weight"
        note += (f", ramped up from 0 over the first {warmup_epochs:g} epochs (warm-up)." if warmup_epochs
                 else ".")
    if snapshot is None:
        note += " " + waiting
    try:
        explain(key, live_terms(snapshot, kind, options) if snapshot is not None else (), note=note.strip())
        draw_loss_code(kind, options, snapshot)  # the same terms beside the lines of code that compute them
    except StreamlitDuplicateElementKey:
        # The page drew the form's block while the run was still queued, and the run started before
        # its panel drew: one script run holds both. The form's block already shows this formula.
        pass


def draw_running(job: jobs.Job) -> None:
    """The running job's progress, drawn every second by the job panel."""
    if job.progress is not None and isinstance(job.progress.detail, RunSnapshot):
        draw_progress(job.progress.detail, job.seconds, run_loss(job))
        return
    if job.progress is not None:  # a job of another shape under this purpose: its words, at least
        st.progress(job.progress.share, text=jobs.progress_text(job))
        return
    st.progress(0.0, text="Starting: loading the data in a worker…")
    loss = run_loss(job)
    if loss is not None:
        explain_loss(loss.kind, loss.options, warmup_epochs=loss.warmup_epochs,
                     waiting="The value of each term appears here after the first batches.")


def draw_progress(snapshot: RunSnapshot, seconds: float, loss: RunLoss | None) -> None:
    """A run's progress bar, pace, loss curves, reconstructions and, when its kind is known, its loss
    formula with the latest value of each term."""
    st.progress(snapshot.fraction, text=status_text(snapshot))
    speed_col, left_col, time_col, loss_col = st.columns(4)
    speed_col.metric("Samples per second", f"{snapshot.samples_per_second:,.0f}")
    left_col.metric("Time left", jobs.format_seconds(0 if snapshot.finished else snapshot.seconds_left),
                    help="From this run's own pace, measured after its first epoch.")
    time_col.metric("Elapsed", jobs.format_seconds(seconds))
    loss_col.metric("Batch loss", f"{snapshot.losses['total']:.2f}" if snapshot.losses else "…")
    chart_col, preview_col = st.columns([3, 2])
    if snapshot.train_history:
        chart_col.plotly_chart(loss_figure(snapshot, presenter.scale(320)), width="stretch")
    else:
        chart_col.info("The loss curves appear after the first epoch.")
    preview_col.image(preview_image(snapshot), output_format="PNG",
                      caption=f"Test images (top) and their reconstructions after epoch {snapshot.reconstructions_epoch}")
    if loss is not None:
        explain_loss(loss.kind, loss.options, snapshot, loss.warmup_epochs)
