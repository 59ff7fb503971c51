"""What the Compression page and the denoise lab show of a downloaded dataset (MNIST, Fashion-MNIST),
measured once on this machine's copy, beside the zoo's maps (`aecore.studies.zoo.build_local_results`):

- "compression sweep": the rows of the shipped sweep models (`aecore.studies.sweep_models.measure_sweep`);
- "denoise curves": PSNR against noise level of every zoo model (`aecore.studies.lab_curves.build_curves`).

Both are read by the pages from `aecore.pretrained.local_results_root()`, and neither trains anything:
together they take well under a minute of CPU (on MNIST's 60,000 + 10,000 images), where a sweep
trained on the class's one worker took about 8 minutes. The app runs each in a background job queued
with the zoo's (`aecore.studies.jobs.zoo_studies`): the sweep first, as the Compression page has nothing to
draw without it; `python -m aecore measure DATASET` runs both too.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

from aecore.data.download import DATASETS as DOWNLOADED

SWEEP, CURVES = "compression sweep", "denoise curves"


def missing_studies(dataset: str, root: str | os.PathLike | None = None) -> list[str]:
    """Which of SWEEP and CURVES are not measured here yet for `dataset`'s shipped models in `root`
    (none for an embedded dataset, whose ship beside the zoo)."""
    if dataset not in DOWNLOADED:
        return []
    # Imported here: they load scikit-learn, a second that the app's first page (whose sidebar asks
    # this of every dataset) should not pay for the embedded ones.
    from aecore.studies import lab_curves, sweep_models

    missing = [SWEEP] if sweep_models.has_models(dataset, root) and not sweep_models.is_measured(dataset, root) else []
    return missing + ([CURVES] if lab_curves.missing_curves(dataset, root) else [])


def measure(dataset: str, root: str | os.PathLike | None = None,
            progress: Callable[[float, str], None] | None = None, stop: Any = None,
            only: Sequence[str] | None = None) -> list[str]:
    """Measure what `missing_studies` lists (or only those of it in `only`), on this machine's split of
    `dataset`; returns what was measured. progress(share done, words) as it goes; `stop` (an Event)
    ends it before the next study."""
    from aecore.studies import lab_curves, sweep_models

    missing = [study for study in missing_studies(dataset, root) if only is None or study in only]
    done: list[str] = []
    for index, study in enumerate(missing):
        if stop is not None and stop.is_set():
            break

        def step(part: int, parts: int, words: str, index: int = index, study: str = study) -> None:
            if progress:
                progress((index + part / max(parts, 1)) / len(missing), f"{study}: {words}")

        if study == SWEEP:
            sweep_models.measure_sweep(dataset, root, progress=step)
        else:
            lab_curves.build_curves(dataset, root, names=lab_curves.missing_curves(dataset, root), progress=step)
        done.append(study)
    return done


__all__ = ["CURVES", "SWEEP", "measure", "missing_studies"]
