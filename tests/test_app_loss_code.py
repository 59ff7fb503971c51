"""The Train page's loss in code under AppTest: the form's kind shows its own source with each term's
line marked (values to come) and each weight beside its line, a change of kind or penalty changes
the code, and after a run the last epoch's value of each term stands beside the line that computes it;
on digits and on a fake MNIST download (random images written here, never the real ones)."""

from __future__ import annotations


import pytest

from fake_mirror import mnist_here
from conftest import wait_for_job
from train_page import WAIT_S, open_train_page
from ui import loss_code as view
from ui import train_form, training
from ui.core import jobs, state

TITLE = view.TITLE


def open_code(at, key: str = view.FORM_KEY):
    """Open the expander as a click does (it reruns the page; closed, it reads no code)."""
    at.session_state[key] = True
    at.run()
    assert not at.exception, at.exception
    return at


def listing(at) -> str:
    (expander,) = [e for e in at.expander if e.label.startswith(TITLE)]
    (code,) = expander.code
    return code.value


def line_of(text: str, mark: str) -> str:
    (line,) = [line for line in text.splitlines() if mark in line]
    return line


def train_one_epoch(at) -> jobs.Job:
    at.number_input(key=train_form.EPOCHS).set_value(1).run()
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    job = at.session_state[jobs.JOBS_KEY][training.PURPOSE]
    wait_for_job(job, WAIT_S)
    at.run()
    assert not at.exception, at.exception
    assert job.state == jobs.DONE, job.error
    return job


def test_the_forms_kind_shows_its_code_and_a_run_puts_each_terms_value_beside_its_line():
    at = open_train_page(tr_kind="vae", tr_vae_beta="2")
    (closed,) = [e for e in at.expander if e.label.startswith(TITLE)]
    assert not closed.code  # closed: no code read
    text = listing(open_code(at))
    assert "# aecore/models/vae.py, line" in text and "def regularizer(" in text
    assert "kl_standard_normal(" in line_of(text, "# ← kl = …")
    assert line_of(text, "# ← weight of kl").endswith("= 2")
    at.selectbox(key=train_form.KIND).set_value("sparse").run()  # another kind: its own code
    text = listing(at)
    assert "SparseAutoencoder.regularizer" in text and "kl_standard_normal" not in text
    at.selectbox(key=train_form.KIND).set_value("vae").run()

    job = train_one_epoch(at)
    last = job.result["snapshot"].train_history[-1]
    text = listing(open_code(at, view.RUN_KEY))  # the run's block stands for the form's
    for term in ("recon", "kl", "total"):
        assert line_of(text, f"# ← {term} =").endswith(f"# ← {term} = {last[term]:.4g}")
    assert "kl_standard_normal(" in line_of(text, "# ← kl =")
    assert any("mean over the last epoch" in c.value for e in at.expander for c in e.caption)


@pytest.fixture
def fake_mnist(tmp_path):
    with mnist_here(tmp_path, seed=6):
        yield


def test_on_a_downloaded_mnist_the_sparse_penalty_picks_the_line_that_computes_it(fake_mnist):
    at = open_train_page(dataset="mnist", tr_kind="sparse")
    assert at.session_state[state.DATASET_KEY] == "mnist"
    open_code(at)
    assert "abs()" in line_of(listing(at), "# ← sparsity = …")
    penalty = next(w for w in at.selectbox if w.label == "Penalty")
    penalty.set_value("kl").run()
    assert not at.exception, at.exception
    assert "kl_sparsity(" in line_of(listing(at), "# ← sparsity = …")
