"""Server script time of the Train page's kind control with the loss-in-code expander closed and open.

Each `at.run()` after choosing a kind in the form is timed through AppTest, in one process:
  closed        the expander closed (it reads no code);
  open, cold    open, each kind's first showing in this process (its stand-in's loss runs under the tracer);
  open, warm    open again, every kind cached.
Each row gives its median and max in ms and the ratio of its median to the closed expander's, measured
in the same run (the goal: a control within 100 ms of script time).

    .venv/bin/python bench/bench_loss_code.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from train_page import open_train_page  # noqa: E402

import aecore  # noqa: E402
from ui import loss_code, train_form  # noqa: E402


def timed_kinds(at, kinds: list[str]) -> list[float]:
    """Milliseconds of the script run after choosing each kind in turn."""
    times = []
    for kind in kinds:
        at.selectbox(key=train_form.KIND).set_value(kind)
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
        assert not at.exception, at.exception
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    kinds = aecore.list_models()
    at = open_train_page()
    timed_kinds(at, kinds)  # the page's own caches (forms, recipes) warm for every kind, expander closed
    closed = [t for _ in range(rounds) for t in timed_kinds(at, kinds)]
    at.session_state[loss_code.FORM_KEY] = True  # open, as a click does
    at.run()
    loss_code._code.clear()
    cold = timed_kinds(at, kinds)
    warm = [t for _ in range(rounds) for t in timed_kinds(at, kinds)]
    base = statistics.median(closed)
    print(f"Train page, kind control, {len(kinds)} kinds ({', '.join(kinds)}), {rounds} rounds")
    print(f"{'expander':<14}{'n':>4}{'median ms':>12}{'max ms':>10}{'x closed':>10}")
    for name, times in (("closed", closed), ("open, cold", cold), ("open, warm", warm)):
        median = statistics.median(times)
        print(f"{name:<14}{len(times):>4}{median:>12.0f}{max(times):>10.0f}{median / base:>10.2f}")
    print("cold, per kind: " + ", ".join(f"{kind} {t:.0f} ms" for kind, t in zip(kinds, cold)))


if __name__ == "__main__":
    main()
