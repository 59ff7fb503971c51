"""What to train, as plain data: `FitSettings` (how) and `RunSpec` (data, split, model, fit).

A spec pickles and serialises (a worker process runs it; a checkpoint records it), and reads the
same as a `python -m aecore train` command (`argv`, `command`). `aecore.runner.run(spec)` trains it.
"""

from __future__ import annotations

import dataclasses
import shlex
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from aecore.models import config_fields
from aecore.data.splits import SPLIT_SEED, TEST_FRACTION


@dataclass
class FitSettings:
    """How to train: `aecore.fit`'s settings, apart from the model's own."""

    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    warmup_epochs: float = 0.0  # the regularizer weight ramps from 0 over this many epochs
    seed: int = 0  # initial weights, batch order, the model's own noise
    device: str = "auto"
    schedule: str = "constant"  # learning rate over the run: "constant" or "onecycle" (see aecore.fit)
    augment: str = "none"  # "hflip": mirror a random half of each training batch (see aecore.fit)


@dataclass
class RunSpec:
    """What to train: data, split, model, fit settings. Plain values only, so it pickles and
    serialises; `command()` is the same run as a `python -m aecore train` command."""

    dataset: str = "digits"
    dataset_options: dict[str, Any] = field(default_factory=dict)
    kind: str = "ae"
    arch: str = "mlp"
    latent_dim: int = 8
    options: dict[str, Any] = field(default_factory=dict)  # the kind's own settings (beta, penalty, ...)
    fit: FitSettings = field(default_factory=FitSettings)
    test_fraction: float = TEST_FRACTION
    split_seed: int = SPLIT_SEED
    # Train on these classes only (one-class training for anomaly detection); the evaluation then
    # uses the test images of the same classes. None: every class.
    normal_classes: tuple[int, ...] | None = None
    preview: int = 10  # fixed test images whose reconstructions the progress carries

    def __post_init__(self) -> None:
        # Options equal to the config's defaults are dropped, so one model has one spec (and one
        # command) whether a form, the CLI or a recipe wrote it out in full or not at all.
        defaults = _option_defaults(self.kind)
        # Lists become tuples (as the configs hold them), so a spec read back from JSON or a command
        # equals the one written.
        self.options = {name: _plain(value) for name, value in self.options.items()
                        if name not in defaults or _plain(value) != defaults[name]}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        data = dict(data)
        data["fit"] = FitSettings(**data.get("fit", {}))
        if data.get("normal_classes") is not None:
            data["normal_classes"] = tuple(data["normal_classes"])
        return cls(**data)

    def with_fit(self, **changes: Any) -> RunSpec:
        """A copy with some fit settings changed."""
        return replace(self, fit=replace(self.fit, **changes))

    def argv(self) -> list[str]:
        """The `python -m aecore train` arguments of this run (without --out)."""
        args = ["--dataset", self.dataset, "--model", self.kind, "--arch", self.arch, "--latent-dim", str(self.latent_dim)]
        for key, value in self.dataset_options.items():
            args += ["--dataset-option", f"{key}={_text(value)}"]
        for name, value in asdict(self.fit).items():
            if value != getattr(FitSettings, name):
                args += [_flag(name), _text(value)]
        for name, value in self.options.items():
            args += _option_args(name, value)
        if self.test_fraction != TEST_FRACTION:
            args += ["--test-fraction", _text(self.test_fraction)]
        if self.split_seed != SPLIT_SEED:
            args += ["--split-seed", str(self.split_seed)]
        if self.normal_classes is not None:
            args += ["--normal-classes", *map(str, self.normal_classes)]
        return args

    def command(self, out: str | None = None) -> str:
        return "python -m aecore train " + shlex.join(self.argv() + (["--out", out] if out else []))


def _plain(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _option_defaults(kind: str) -> dict[str, Any]:
    try:
        fields = config_fields(kind)
    except ValueError:
        return {}  # an unknown kind is refused by `check` and `run`, with the valid ones listed
    return {f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            for f in fields}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # "--beta 4", as a person types it; argparse reads it back as 4.0
    return repr(value) if isinstance(value, float) else str(value)


def _option_args(name: str, value: Any) -> list[str]:
    if isinstance(value, bool):
        return [_flag(name) if value else "--no-" + name.replace("_", "-")]
    if isinstance(value, (list, tuple)):
        return [_flag(name), *map(str, value)]
    return [_flag(name), _text(value)]


__all__ = ["FitSettings", "RunSpec"]
