"""The concepts the app teaches (ui.core.concepts): all sixteen are shown somewhere, each with its
formula, and no page names a concept that does not exist."""

import re
from pathlib import Path

from ui.core.concepts import CONCEPTS

ROOT = Path(__file__).resolve().parent.parent
ISSUE_CONCEPTS = {"bottleneck", "bottleneck_size", "sparse_l1", "sparse_kl", "denoising", "contractive", "conv",
                  "vae", "prior", "collapse", "overfitting", "anomaly", "compression", "features", "overcomplete",
                  "trustworthiness"}
# explain("key", ...) or explain(key=...) in a page or a view module
CALL = re.compile(r"explain\(\s*[\"']([a-z_0-9]+)[\"']")


def explained() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]:
        for key in CALL.findall(path.read_text()):
            used.setdefault(key, set()).add(path.name)
    return used


def test_every_concept_of_the_lessons_has_words_and_a_formula() -> None:
    assert ISSUE_CONCEPTS <= set(CONCEPTS)
    for key, concept in CONCEPTS.items():
        assert len(concept.words.split()) >= 15, key
        assert "\\" in concept.formula or "=" in concept.formula, key


def test_every_concept_is_explained_on_a_page_and_every_explained_one_exists() -> None:
    used = explained()
    assert set(used) <= set(CONCEPTS), set(used) - set(CONCEPTS)
    missing = ISSUE_CONCEPTS - set(used)
    assert not missing, f"concepts no page explains: {sorted(missing)}"
