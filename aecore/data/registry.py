"""The dataset registry: `@register_dataset(name)` makes a loader function loadable by name.

A loader is a plain function taking keyword-only options and returning an ImageDataset. Its
signature is the single source of truth for the options it accepts, so `load_dataset` can reject
a misspelt option with the list of valid ones instead of a bare TypeError.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from aecore.data.dataset import ImageDataset

Loader = Callable[..., ImageDataset]

_LOADERS: dict[str, Loader] = {}


class DatasetNotAvailableError(ValueError, FileNotFoundError):
    """A dataset's files are not on this machine and could not be downloaded.

    A ValueError (so callers that show user errors catch it) and a FileNotFoundError (what it means).
    Its message says which files to put where.
    """


def _normalise(name: str) -> str:
    # "Fashion_MNIST" and "fashion-mnist" name the same thing; keys are stored lowercase with dashes.
    return name.strip().lower().replace("_", "-")


def register_dataset(name: str) -> Callable[[Loader], Loader]:
    """Decorator: register `fn(**options) -> ImageDataset` under `name` (lowercase)."""
    key = _normalise(name)
    if not key:
        raise ValueError("a dataset name must not be empty")

    def wrap(fn: Loader) -> Loader:
        old = _LOADERS.get(key)
        # Re-running the same definition (a Streamlit rerun, a reload) is fine; a clash is not.
        if old is not None and (old.__module__, old.__qualname__) != (fn.__module__, fn.__qualname__):
            raise ValueError(f"dataset {key!r} is already registered by {old.__module__}.{old.__qualname__}; "
                             "pick another name")
        _LOADERS[key] = fn
        return fn

    return wrap


def list_datasets() -> list[str]:
    """Names of every registered dataset, sorted."""
    return sorted(_LOADERS)


def dataset_options(name: str) -> dict[str, Any]:
    """The options a dataset accepts and their defaults (inspect.Parameter.empty when required)."""
    params = inspect.signature(_get_loader(name)).parameters.values()
    return {p.name: p.default for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}


def load_dataset(name: str = "digits", **options: Any) -> ImageDataset:
    """Load a registered dataset by name; options go to its loader (see `dataset_options(name)`)."""
    accepted = dataset_options(name)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        valid = ", ".join(accepted) if accepted else "none"
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for dataset {_normalise(name)!r}; "
                         f"accepted options: {valid}")
    missing = [k for k, default in accepted.items() if default is inspect.Parameter.empty and k not in options]
    if missing:
        raise ValueError(f"dataset {_normalise(name)!r} needs the option(s) {', '.join(missing)}, "
                         f"e.g. load_dataset({_normalise(name)!r}, {missing[0]}=...)")
    return _get_loader(name)(**options)


def _get_loader(name: str) -> Loader:
    if not isinstance(name, str) or _normalise(name) not in _LOADERS:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(list_datasets())}")
    return _LOADERS[_normalise(name)]
