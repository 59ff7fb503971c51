"""`python -m aecore`: train, evaluate, list, zoo, download, measure, recommend.

The `train` options are generated from `fit`'s signature and the chosen kind's config dataclass, so
a new model kind or fit option appears here without editing this file. `train --data PATH` trains
on images streamed from disk (a .npy or a folder); under torchrun (`python -m torch.distributed.run
--nproc-per-node N -m aecore train ...`) the ranks train together and rank 0 writes the checkpoint.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import typing
from pathlib import Path
from typing import Any, Sequence

import torch

from aecore import distributed
from aecore.checkpoint import load, save
from aecore.console import DownloadBar, ProgressBar, ensure_downloaded
from aecore.data import default_data_root, list_datasets, load_split
from aecore.data.download import DATASETS as DOWNLOADS, download_dataset, is_downloaded
from aecore.data.splits import SPLIT_SEED, TEST_FRACTION, split_record
from aecore.export import onnx_available
from aecore.metrics import evaluate, pca_baseline
from aecore.models import config_fields, list_archs, list_models
from aecore.models.registry import model_class
from aecore.runner import FitSettings, RunSpec, is_ratings_kind, resident_sample, run
from aecore.studies import commands

_NOT_MODEL_OPTIONS = {"kind", "arch", "input_shape", "latent_dim"}


def _all_kinds() -> list[str]:
    return list_models() + list_models("ratings")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_typed(parser: argparse.ArgumentParser | argparse._ArgumentGroup, name: str, annotation: Any,
               default: Any, required: bool = False, choices: Sequence[str] | None = None) -> None:
    """One option for a dataclass field or fit parameter, typed from its annotation."""
    origin = typing.get_origin(annotation)
    kwargs: dict[str, Any] = {"dest": name}
    if choices:
        kwargs["choices"] = list(choices)
    if origin is tuple:
        kwargs.update(type=int, nargs="+", metavar="N")
    elif annotation in (int, float, str):
        kwargs["type"] = annotation
    elif annotation is bool:
        kwargs["action"] = argparse.BooleanOptionalAction
    else:  # unions such as `str | torch.device`: given as text
        kwargs["type"] = str
    if required:
        kwargs["required"] = True
    else:
        kwargs["default"] = list(default) if isinstance(default, tuple) else default
        kwargs["help"] = f"default: {kwargs['default']}"
    parser.add_argument(_flag(name), **kwargs)


def _train_parser(kind: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aecore train",
        description="Train a model on a dataset, evaluate it on the test split beside PCA, save a checkpoint.")
    parser.add_argument("--dataset", default="digits",
                        help=f"one of: {', '.join(list_datasets())}; for a ratings kind (--model "
                             f"{', '.join(list_models('ratings'))}): tastes (embedded), movielens-100k (downloaded "
                             "first) or a CSV file with the columns user, item, rating")
    parser.add_argument("--data", metavar="PATH",
                        help="train on your own images streamed from disk: a .npy array (memory-mapped) or a "
                             "folder of image files; the same as --dataset stream --dataset-option path=PATH "
                             "(more options: num_workers, memory_budget_mb, image_size, mode)")
    parser.add_argument("--dataset-option", action="append", default=[], metavar="KEY=VALUE",
                        help="a dataset option, e.g. size=10000 (repeatable; values are JSON or text)")
    parser.add_argument("--model", default="ae", choices=_all_kinds(), help="the model kind")
    parser.add_argument("--arch", default="mlp", choices=list_archs())
    parser.add_argument("--latent-dim", type=int, default=8)
    parser.add_argument("--test-fraction", type=float, default=TEST_FRACTION, help="held out for evaluation")
    parser.add_argument("--split-seed", type=int, default=SPLIT_SEED)
    parser.add_argument("--normal-classes", type=int, nargs="+", metavar="CLASS",
                        help="train on these classes only (a one-class model for anomaly detection)")
    parser.add_argument("--out", required=True, help="checkpoint folder, or a path ending in .zip")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    # A core install (`pip install .`) has no ONNX exporter: it saves the checkpoint alone.
    parser.add_argument("--no-onnx", dest="onnx", action="store_false", default=onnx_available(),
                        help="skip decoder.onnx, the decoder exported beside the checkpoint for the app's "
                             "in-browser decoding (saves about 2 s; skipped anyway where onnx is not installed)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for torch (default 1: these small models run fastest on one "
                             "thread when anything else shares the cores)")
    group = parser.add_argument_group("training (aecore.FitSettings)")
    fit_hints = typing.get_type_hints(FitSettings)
    for field in dataclasses.fields(FitSettings):
        _add_typed(group, field.name, fit_hints[field.name], field.default)
    if kind is not None:
        cls = model_class(kind).config_class
        hints = typing.get_type_hints(cls)
        group = parser.add_argument_group(f"model options of {kind!r}")
        for field in config_fields(kind):
            if field.name not in _NOT_MODEL_OPTIONS:
                default = field.default if field.default is not dataclasses.MISSING else field.default_factory()  # type: ignore[misc]
                _add_typed(group, field.name, hints[field.name], default, choices=field.metadata.get("choices"))
    return parser


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _dataset_options(pairs: list[str]) -> dict[str, Any]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--dataset-option takes KEY=VALUE, got {pair!r}")
        options[key.replace("-", "_")] = _parse_value(value)
    return options


def spec_from_args(argv: Sequence[str]) -> tuple[RunSpec, dict[str, Any]]:
    """The RunSpec that `train` arguments describe, and the other arguments (out, quiet, threads)."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--model", default="ae")
    kind = pre.parse_known_args(argv)[0].model
    args = vars(_train_parser(kind if kind in _all_kinds() else None).parse_args(argv))
    if args["threads"] < 1:
        raise ValueError(f"--threads must be at least 1, got {args['threads']}")
    dataset, options = args["dataset"], _dataset_options(args["dataset_option"])
    if args["data"]:
        dataset, options = "stream", {"path": args["data"], **options}
    spec = RunSpec(
        dataset=dataset, dataset_options=options, kind=kind,
        arch=args["arch"], latent_dim=args["latent_dim"],
        options={f.name: args[f.name] for f in config_fields(kind) if f.name not in _NOT_MODEL_OPTIONS},
        fit=FitSettings(**{f.name: args[f.name] for f in dataclasses.fields(FitSettings)}),
        test_fraction=args["test_fraction"], split_seed=args["split_seed"],
        normal_classes=tuple(args["normal_classes"]) if args["normal_classes"] else None)
    return spec, {"out": args["out"], "quiet": args["quiet"], "threads": args["threads"], "onnx": args["onnx"]}


def train_command(argv: Sequence[str]) -> dict[str, Any] | None:
    """Run `train` with these arguments; returns the summary it prints (path, metrics, pca, seconds,
    how the data was fed). Launched by torchrun as several ranks, they train together and rank 0
    alone writes the checkpoint and returns the summary (the others return None)."""
    spec, other = spec_from_args(argv)
    torch.set_num_threads(other["threads"])
    with distributed.session():
        main_rank, processes = distributed.is_main(), distributed.world_size()
        ratings = is_ratings_kind(spec.kind)
        if main_rank and ratings:  # MovieLens is fetched first, with a bar (the run then reads it)
            from aecore.recommend.command import fetch_movielens

            fetch_movielens(spec.dataset, spec.dataset_options.get("root"), other["quiet"])
        elif main_rank:
            ensure_downloaded(spec.dataset, spec.dataset_options, other["quiet"])
        distributed.barrier()  # the others wait for rank 0's download instead of racing it
        result = run(spec, progress=None if other["quiet"] or not main_rank else ProgressBar())
        if main_rank:
            # A ratings model decodes no image: no decoder.onnx for a browser to draw with.
            path = save(result.model, other["out"], metadata=result.metadata, export_decoder=other["onnx"] and not ratings)
        distributed.barrier()  # every rank returns once the checkpoint is there
    if not main_rank:
        return None
    history = result.history
    if not other["quiet"]:
        print(f"data: {history.feed} ({history.feed_reason}); {processes} process(es)", file=sys.stderr)
    return {"checkpoint": str(path), "test": _short(result.metrics), "pca": _short(result.pca),
            "seconds": round(history.wall_time, 2), "data": history.feed, "processes": processes}


def _short(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 5) if isinstance(v, float) else v for k, v in metrics.items() if k != "kl_per_dim"}


def evaluate_command(argv: Sequence[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m aecore evaluate",
                                     description="Metrics of a checkpoint on a dataset's test split, beside PCA.")
    parser.add_argument("checkpoint", help="a checkpoint folder or .zip")
    parser.add_argument("--dataset", help="default: the dataset the checkpoint was trained on")
    parser.add_argument("--test-fraction", type=float, help="default: the checkpoint's split, else 0.2")
    parser.add_argument("--split-seed", type=int, help="default: the checkpoint's split seed, else 0")
    args = parser.parse_args(argv)
    model = load(args.checkpoint)
    recorded = model.checkpoint
    saved = recorded.get("metadata", {})
    name = args.dataset or recorded.get("dataset")
    if not name:
        raise ValueError("the checkpoint does not record its dataset: pass --dataset NAME")
    same = name == recorded.get("dataset")
    if is_ratings_kind(model.kind):  # held-out ratings beside SVD, as it was trained
        from aecore.recommend.run import evaluate_ratings

    split = saved.get("split", {}) if same else {}
    fraction = args.test_fraction if args.test_fraction is not None else split.get("test_fraction", TEST_FRACTION)
    seed = args.split_seed if args.split_seed is not None else split.get("seed", SPLIT_SEED)
    if is_ratings_kind(model.kind):  # held-out ratings beside SVD, as it was trained
        from aecore.recommend.run import evaluate_ratings

        return {"checkpoint": args.checkpoint, "dataset": name, "kind": model.kind,
                **evaluate_ratings(model, name, fraction, seed)}
    options = saved.get("dataset_options", {}) if same else {}
    train, test = load_split(name, test_fraction=fraction, seed=seed, **options)  # a test file where it has one
    train, test = resident_sample(train, seed), resident_sample(test, seed)  # as `run` measured a streamed set
    metrics = evaluate(model, test)
    k = model.config.latent_dim
    return {"checkpoint": args.checkpoint, "dataset": name, "split": split_record(name, fraction, seed, **options),
            "kind": model.kind, "latent_dim": k, "metrics": metrics, "pca": pca_baseline(train, test, k=k)}


def list_command(argv: Sequence[str]) -> str:
    from aecore.pretrained import list_pretrained

    parser = argparse.ArgumentParser(prog="python -m aecore list", description="Datasets, model kinds, pretrained models.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    kinds = {kind: [f.name for f in config_fields(kind) if f.name not in _NOT_MODEL_OPTIONS] for kind in _all_kinds()}
    zoo = list_pretrained()
    if args.json:
        return json.dumps({"datasets": list_datasets(), "kinds": kinds, "archs": list_archs(), "pretrained": zoo}, indent=2)
    lines = ["datasets: " + ", ".join(list_datasets()), "archs: " + ", ".join(list_archs()), "model kinds:"]
    lines += [f"  {kind:<17} options: {', '.join(options)}" + (" (ratings: --dataset tastes)" if kind in
              list_models("ratings") else "") for kind, options in kinds.items()]
    lines.append(f"pretrained ({len(zoo)}):")
    for e in zoo:
        ratio = e["metrics"]["mse"] / e["pca"]["mse"]
        lines.append(f"  {e['name']:<26} {e['kind']:<12} {e['arch']:<5} latent {e['latent_dim']:<3} "
                     f"test mse {e['metrics']['mse']:.4f} ({ratio:.2f}x PCA)")
    return "\n".join(lines)


def download_command(argv: Sequence[str]) -> str:
    parser = argparse.ArgumentParser(prog="python -m aecore download",
                                     description="Download a dataset into the data folder, with a progress bar.")
    parser.add_argument("name", choices=list(DOWNLOADS))
    parser.add_argument("--root", help=f"the data folder (default: $AECORE_DATA, else {default_data_root()})")
    args = parser.parse_args(argv)
    if is_downloaded(args.name, args.root):
        return f"{args.name} is already in {DOWNLOADS[args.name].target(Path(args.root or default_data_root()))}"
    return f"{args.name} is in {download_dataset(args.name, args.root, progress=DownloadBar(args.name))}"


def recommend_command(argv: Sequence[str]) -> str:
    from aecore.recommend.command import recommend_command as compare_on_ratings  # SciPy's sparse tables load here only

    return compare_on_ratings(argv)


# The commands that rebuild the zoo and measure a download are studies (aecore.studies.commands);
# the command line is a front end like the pages, so it is the one core module that lists them.
COMMANDS = {"train": train_command, "evaluate": evaluate_command, "list": list_command, "zoo": commands.zoo_command,
            "download": download_command, "measure": commands.measure_command, "recommend": recommend_command}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print("usage: python -m aecore {train,evaluate,list,zoo,download,measure,recommend} ...  (each takes --help)")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    started = time.perf_counter()
    try:
        result = COMMANDS[argv[0]](argv[1:])
    except ValueError as error:  # every bad input in aecore is a ValueError with a message for people
        print(f"error: {error}", file=sys.stderr)
        return 2
    if result is None:  # a rank other than 0 of a distributed run: rank 0 prints
        return 0
    print(result if isinstance(result, str) else json.dumps(result, indent=2))
    if argv[0] == "train":
        print(f"done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0
