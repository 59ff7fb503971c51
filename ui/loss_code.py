"""The Train page's loss in code: the chosen kind's loss and regularizer source, each term's latest value
beside the line that computes it.

The source and which line computes which term come from `aecore.studies.loss_code` (read with
`inspect` from the running code, never copied), once per kind and options for the whole server
(`st.cache_data`): a form control that changes neither costs a dictionary look-up and some string
formatting, and a closed expander not even that (`draw`). The values are the run's `logs` as its
progress reports them: the latest batch while it trains, the last epoch's mean once it has ended.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitDuplicateElementKey

from aecore.runner import RunSnapshot
from aecore.studies import loss_code as source

ARROW = "# ←"
TITLE = "The loss in aecore's code, each term's value beside its line"
FORM_KEY, RUN_KEY = "train_loss_code_form", "train_loss_code_run"  # the form's block, the run's


@st.cache_data(show_spinner=False, max_entries=64)
def _code(kind: str, options: str) -> source.LossCode:
    return source.loss_code(kind, json.loads(options))


def code_of(kind: str, options: dict[str, Any]) -> source.LossCode:
    """The kind's loss code with the options that decide it (the network's own are left out of the key)."""
    own = source.stand_in_options(kind, options)
    return _code(kind, json.dumps(own, sort_keys=True, default=list))


def latest(snapshot: RunSnapshot | None) -> tuple[dict[str, float] | None, str]:
    """The run's latest value of each term and where it comes from: the latest batch while it runs,
    the mean over the last epoch once it has ended (as `ui.training.live_terms` shows them)."""
    if snapshot is None:
        return None, ""
    if snapshot.finished and snapshot.train_history:
        return snapshot.train_history[-1], "mean over the last epoch"
    return (snapshot.losses or None), "latest batch"


def annotated(code: source.LossCode, values: dict[str, float] | None) -> str:
    """The sections as one Python listing, each headed by its file and line, with `# ← term = value`
    beside the line that computes each term and `# ← weight of term = w` beside its weight."""
    blocks = []
    for section in code.sections:
        lines = [f"# {section.path}, line {section.first_line}: {section.name}"]
        for index, text in enumerate(section.lines):
            if index in section.terms:
                name = section.terms[index]
                value = None if values is None else values.get(name)
                text += f"  {ARROW} {name} = {'…' if value is None else f'{value:.4g}'}"
            elif index in section.weights:
                name = section.weights[index]
                text += f"  {ARROW} weight of {name} = {code.weights[name]:g}"
            lines.append(text)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def draw(kind: str, options: dict[str, Any], snapshot: RunSnapshot | None = None) -> None:
    """The loss of `kind` with `options` as aecore computes it, in an expander, with the run's values.

    The expander reruns the page when opened, and only an open one reads the code: a form control
    then costs a closed expander nothing, and an open one a cache look-up (a kind's first showing
    on this server runs its stand-in: 10-30 ms, the contractive kind's about 2 s for torch's first
    batched gradient in this process)."""
    key = FORM_KEY if snapshot is None else RUN_KEY
    try:
        box = st.expander(TITLE, key=key, on_change="rerun", icon=":material/code:")
    except StreamlitDuplicateElementKey:  # the form's and the run's block in one script run: one shows it
        return
    if not box.open:
        return
    try:
        code = code_of(kind, options)
    except ValueError as error:  # an option the form lets through but the kind refuses: the form says why
        box.caption(f"The loss code cannot be shown for these settings: {error}")
        return
    values, where = latest(snapshot)
    with box:
        if values is None:
            st.caption("Press Train: the value of each term appears beside the line that computes it (…) as the "
                       "model learns.")
        else:
            st.caption(f"Values per training image, {where}. The source is read from the code that runs, and the "
                       "lines marked are those that ran for these settings.")
        st.code(annotated(code, values), language="python", wrap_lines=True)
