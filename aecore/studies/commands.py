"""The command line's study commands: `aecore zoo` rebuilds the shipped models from their recipes,
`aecore measure DATASET` stores a download's page results ahead of class."""

from __future__ import annotations

import argparse
import time
from typing import Sequence

from aecore.console import ensure_downloaded
from aecore.data.download import DATASETS as DOWNLOADS, is_downloaded


def zoo_command(argv: Sequence[str]) -> str:
    from aecore.studies.zoo import RECIPES, build_results, build_zoo

    parser = argparse.ArgumentParser(prog="python -m aecore zoo",
                                     description="Rebuild the pretrained models from their recorded recipes.")
    parser.add_argument("--only", nargs="+", metavar="NAME", help=f"only these ({', '.join(r.name for r in RECIPES)})")
    parser.add_argument("--out", help="the zoo folder (default: the repository's pretrained/)")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--results-only", action="store_true",
                        help="train nothing: remeasure the stored page results (probe, code measures, anomaly "
                             "scores) of the models already built")
    args = parser.parse_args(argv)
    log = None if args.quiet else print
    if args.results_only:
        return f"stored the results of {len(build_results(args.out, only=args.only, log=log))} model(s)"
    for recipe in RECIPES:
        if not args.only or recipe.name in args.only:
            ensure_downloaded(recipe.spec.dataset, recipe.spec.dataset_options, args.quiet)
    entries = build_zoo(args.out, only=args.only, log=log)
    return f"built {len(entries)} model(s)"


def measure_command(argv: Sequence[str]) -> str:
    from tqdm import tqdm

    from aecore.studies import local_studies
    from aecore.studies.zoo import build_local_results

    parser = argparse.ArgumentParser(prog="python -m aecore measure", description=(
        "Measure the latent maps and page results of the shipped models of a downloaded dataset, the "
        "Compression page's sweep and the denoise curves on this machine's copy, ahead of class (the app "
        "does the same in the background after a download)."))
    parser.add_argument("dataset", choices=list(DOWNLOADS))
    parser.add_argument("--no-onnx", action="store_true", help="skip exporting the latent map's hover decoders")
    args = parser.parse_args(argv)
    if not is_downloaded(args.dataset):
        raise ValueError(f"{args.dataset} is not downloaded here: run `python -m aecore download {args.dataset}` first")
    decoders = None
    if not args.no_onnx:
        from aecore.export import cache_root

        decoders = cache_root()
    started = time.process_time()
    with tqdm(unit="model", desc=f"measuring {args.dataset}", dynamic_ncols=True) as bar:
        def progress(done: int, total: int, name: str) -> None:
            bar.total = total
            bar.update(done - bar.n)
            bar.set_postfix_str(name)

        names = build_local_results(args.dataset, progress=progress, decoders=decoders)
    with tqdm(total=1.0, desc=f"the sweep and curves of {args.dataset}", dynamic_ncols=True,
              bar_format="{l_bar}{bar}| {postfix}") as bar:
        def study_progress(share: float, words: str) -> None:
            bar.update(share - bar.n)
            bar.set_postfix_str(words)

        studies = local_studies.measure(args.dataset, progress=study_progress)
    measured = [f"{len(names)} model(s)"] * bool(names) + studies
    if not measured:
        return f"every shipped model of {args.dataset} is already measured here"
    words = " and ".join([", ".join(measured[:-1]), measured[-1]] if len(measured) > 1 else measured)
    return f"measured {words} of {args.dataset} in {time.process_time() - started:.0f} s of CPU"
