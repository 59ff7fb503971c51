"""aecore.studies.loss_code: every registered kind's loss shown as its own source, with each logged
term on the line that computes it, and the Train page's listing of it (`ui.loss_code.annotated`)."""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

import pytest

import aecore
from aecore.models import model_class
from aecore.studies.loss_code import loss_code
from ui import loss_code as view

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("kind", aecore.list_models())
def test_each_term_of_every_kind_stands_on_one_line_of_its_own_source(kind):
    code = loss_code(kind)
    names = [section.name for section in code.sections]
    assert names[0].endswith(".loss") and "Autoencoder.loss" in names, names  # a kind may wrap the base loss
    assert any(name.endswith(".regularizer") for name in names), names
    for section in code.sections:  # read from the file that runs, not copied
        lines = (ROOT / section.path).read_text().splitlines()[section.first_line - 1:]
        assert section.lines == textwrap.dedent("\n".join(lines[:len(section.lines)])).splitlines()
        assert section.ran, f"{section.name} is shown but never ran"
    for term in code.terms:
        found = [(s, i) for s in code.sections for i, name in s.terms.items() if name == term]
        assert len(found) == 1, (term, found)
        section, index = found[0]
        assert f'"{term}":' in section.lines[index] or section.lines[index].lstrip().startswith(f"{term} =")
        assert index in section.ran
    assert set(code.weights) == {n for s in code.sections for n in s.weights.values()}


def test_the_options_pick_the_branch_that_computes_the_term():
    def sparsity_line(penalty: str) -> str:
        code = loss_code("sparse", {"penalty": penalty, "weight": 0.3})
        (line,) = [s.lines[i] for s in code.sections for i, name in s.terms.items() if name == "sparsity"]
        assert code.weights == {"sparsity": 0.3}
        return line

    assert "kl_sparsity(" in sparsity_line("kl") and "abs()" in sparsity_line("l1")
    helpers = [s.name for s in loss_code("vae").sections]
    assert "kl_standard_normal" in helpers  # the function the regularizer calls is shown too
    assert "Autoencoder.reconstruction_loss" in helpers
    regularizer = next(s for s in loss_code("vae").sections if s.name.endswith(".regularizer"))
    assert inspect.getsource(model_class("vae").regularizer).splitlines()[0].strip() == regularizer.lines[0].strip()


def test_an_unknown_option_value_is_refused_in_words():
    with pytest.raises(ValueError, match="unknown sparsity penalty"):
        loss_code("sparse", {"penalty": "l3"})


def test_the_listing_puts_each_value_beside_its_line_and_each_weight_beside_its_own():
    code = loss_code("vae", {"beta": 2.0})
    listing = view.annotated(code, {"recon": 41.25, "kl": 3.5, "total": 48.25})
    lines = listing.splitlines()
    (kl_line,) = [line for line in lines if "← kl =" in line]
    assert "kl_standard_normal(" in kl_line and kl_line.endswith("# ← kl = 3.5")
    (weight_line,) = [line for line in lines if "← weight of kl" in line]
    assert "self.config.beta" in weight_line and weight_line.endswith("= 2")
    assert any(line.endswith("# ← total = 48.25") and line.lstrip().startswith("total =") for line in lines)
    assert "# aecore/models/vae.py, line" in listing
    before = view.annotated(code, None)  # before the run: the lines are marked, the values to come
    assert "# ← kl = …" in before and "# ← recon = …" in before
