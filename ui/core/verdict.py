"""Every sentence that judges a number (beats, fewer, unusual, separates best) comes from here, from
the numbers it judges, so that no page can say what its numbers contradict.

    verdict.compare(0.43, 0.61, "the autoencoder", "PCA", lower_is_better=True, what="error")
    verdict.rank({"the autoencoder": 0.92, "PCA": 0.93, "the isolation forest": 0.96})
    verdict.percentile(97.2)

Each call also records what it said and the numbers it judged (a `Said` in Session State), for the claims test, which
opens every page with every shipped model and checks each sentence against the numbers beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

_SAID = "verdicts_said"  # the verdicts of this script run, reset by the router before the page runs
CHANCE_AUROC = 0.5  # a score that ranks at random; below it, the score ranks the wrong way round
ANOMALY_PERCENTILE, UNUSUAL_PERCENTILE = 95.0, 75.0  # cut-offs for a single input's error


@dataclass(frozen=True)
class Said:
    """One verdict as it was said: the sentence, the numbers by name, which of them it called the
    best (None when it called none, as for a tie or scores that rank the wrong way round), and the
    numbers as the page must show them beside the sentence (the claims test looks for them)."""

    sentence: str
    numbers: dict[str, float]
    best: str | None
    higher_is_better: bool
    shown: tuple[str, ...] = ()


def _record(said: Said) -> str:
    try:
        st.session_state.setdefault(_SAID, []).append(said)
    except Exception:  # noqa: BLE001 - outside a Streamlit run (a notebook, a unit test): nothing to record
        pass
    return said.sentence


def start_run() -> None:
    """In the router, before the page: this run's verdicts only."""
    st.session_state[_SAID] = []


def _fmt(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def compare(a: float, b: float, a_name: str, b_name: str, *, lower_is_better: bool, what: str,
            digits: int = 3, tie: float = 0.0) -> str:
    """Which of two numbers is better, by how much, in a sentence: "PCA's error is lower than the
    autoencoder's here (0.002 against 0.007)". Within `tie` of each other they are called level."""
    better_a = a < b if lower_is_better else a > b
    if abs(a - b) <= tie:
        sentence = f"{a_name} and {b_name} are level on {what} here ({_fmt(a, digits)} and {_fmt(b, digits)})."
        best = None
    else:
        winner, loser = (a_name, b_name) if better_a else (b_name, a_name)
        high, low = (a, b) if better_a else (b, a)
        word = "lower" if lower_is_better else "higher"
        sentence = f"{winner[:1].upper()}{winner[1:]} has the {word} {what} here ({_fmt(high, digits)} against " \
                   f"{loser}'s {_fmt(low, digits)})."
        best = a_name if better_a else b_name
    return _record(Said(sentence, {a_name: a, b_name: b}, best, not lower_is_better, (_fmt(a, digits), _fmt(b, digits))))


def rank(scores: dict[str, float], measure: str = "AUROC", digits: int = 3, tie: float = 0.002) -> str:
    """Which detector separates the groups best, from scores where 0.5 is chance (AUROC): a score
    below chance ranks the wrong way round and is said so; when every score does, none is best."""
    ranked = sorted(scores, key=lambda name: -scores[name])
    best = scores[ranked[0]]
    if best < CHANCE_AUROC:
        listed = " and ".join(_fmt(scores[name], digits) for name in ranked)
        sentence = (f"{'Both scores rank' if len(ranked) == 2 else 'Every score ranks'} the wrong way round here "
                    f"({measure} {listed}, below the 0.5 that guessing gives): the anomalies are rebuilt better "
                    "than the normal data, so a high error does not flag them: none of these detectors is of use here.")
        return _record(Said(sentence, dict(scores), None, True, tuple(_fmt(v, digits) for v in scores.values())))
    gap = best - scores[ranked[1]] if len(ranked) > 1 else None
    if gap is not None and gap < tie:
        sentence = (f"{_cap(ranked[0])} and {ranked[1]} separate the groups equally well here ({measure} within "
                    f"{tie:g}).")
        said_best = None
    else:
        sentence = f"{_cap(ranked[0])} separates the groups best here" + (
            f", by {_fmt(gap, digits)} {measure}." if gap is not None else ".")
        said_best = ranked[0]
    for name in (n for n in ranked if scores[n] < CHANCE_AUROC):
        sentence += (f" The score of {name} ranks the wrong way round ({measure} {_fmt(scores[name], digits)}, below "
                     "the 0.5 that guessing gives).")
    return _record(Said(sentence, dict(scores), said_best, True, tuple(_fmt(v, digits) for v in scores.values())))


def _cap(name: str) -> str:
    return name[:1].upper() + name[1:]  # "PCA" stays PCA (str.capitalize lowers it)


def percentile(share: float) -> str:
    """Where a single input's error falls among the test images' (`share`: the percent rebuilt better
    than it), its own number in the words, with the cut-off it crosses."""
    place = ("worse than every test image" if share >= 100 else "better than every test image" if share <= 0
             else f"worse than {share:.1f}% of the test images")
    if share >= ANOMALY_PERCENTILE:
        sentence = (f"rebuilt {place}: the model finds it unusual, an anomaly by the {ANOMALY_PERCENTILE:.0f}% "
                    "cut-off (a drawing's strokes can be unlike the scanned test images even when the shape is right)")
    elif share >= UNUSUAL_PERCENTILE:
        sentence = f"rebuilt {place}: somewhat unusual for this model"
    else:
        sentence = f"rebuilt {place}: as well as typical test images, it looks like the data the model learned"
    return _record(Said(sentence, {"percentile": share}, None, False, (f"{share:.1f}",)))


def units_kept(a_name: str, a_used: int, a_units: int, b_name: str, b_used: int, b_units: int) -> str:
    """Which of two models keeps the larger share of its code units in use, with both counts."""
    share_a, share_b = a_used / a_units, b_used / b_units
    if share_a == share_b:
        sentence = f"{_cap(a_name)} keeps as many units in use as {b_name}: {a_used} of {a_units} and {b_used} of {b_units}."
        best = None
    else:
        (more, m_used, m_units), (fewer, f_used, f_units) = sorted(
            [(a_name, a_used, a_units), (b_name, b_used, b_units)], key=lambda t: -t[1] / t[2])
        sentence = f"{_cap(more)} keeps more units in use than {fewer}: {m_used} of {m_units} against {f_used} of {f_units}."
        best = more
    return _record(Said(sentence, {a_name: share_a, b_name: share_b}, best, True,
                        (f"{a_used} of {a_units}", f"{b_used} of {b_units}")))


__all__ = ["ANOMALY_PERCENTILE", "CHANCE_AUROC", "Said", "UNUSUAL_PERCENTILE", "compare", "percentile", "rank",
           "start_run", "units_kept"]
