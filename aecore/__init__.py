"""aecore: autoencoder models, datasets and noise for the Autoencoder Explorer.

Runs anywhere torch does (a notebook, a GPU server): it never imports streamlit or plotly.
"""

from aecore import noise
from aecore.data import ImageDataset, list_datasets, load_dataset, load_split, register_dataset
from aecore.models import (
    Autoencoder,
    AutoencoderOutput,
    ModelConfig,
    config_fields,
    create_model,
    list_archs,
    list_models,
    model_from_config,
    register_model,
)

from aecore.checkpoint import CheckpointError, checkpoint_config, load, save, to_zip_bytes
from aecore.metrics import evaluate, pca_baseline, psnr, reconstruction_metrics
from aecore.train import AUGMENTS, SCHEDULES, History, Progress, TrainingDiverged, fit
from aecore.runner import FitSettings, RunResult, RunSnapshot, RunSpec, run
from aecore.workers import Job, JobQueue
from aecore import recipes
from aecore.pretrained import list_pretrained, load_latent, load_pretrained, load_results, pretrained_entry

__version__ = "0.1.0"

# Loaded on first use (PEP 562): these pull in scikit-learn, SciPy and umap-learn, seconds of import
# that a server's first page, or a worker that only trains, should not pay. `aecore.latent` and
# `from aecore import latent` work as usual.
# The studies behind the app's pages are not here: import them from aecore.studies.
_LAZY_MODULES = {"anomaly", "cuda_step", "distributed", "export", "generate", "latent", "probe", "recommend", "retrieval",
                 "tabular"}
_LAZY_NAMES = {"anomaly_scores": "anomaly", "pca_scores": "anomaly", "roc": "anomaly", "linear_probe": "probe"}


def __getattr__(name: str):
    import importlib

    if name in _LAZY_MODULES:
        return importlib.import_module(f"aecore.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(f"aecore.{_LAZY_NAMES[name]}"), name)
    if name == "studies":  # the subpackage, as scipy gives its own: `aecore.studies.jobs` after `import aecore`.
        return importlib.import_module("aecore.studies")  # Its __init__ imports no study: each loads on first use.
    raise AttributeError(f"module 'aecore' has no attribute {name!r}")

__all__ = [
    "Autoencoder", "AutoencoderOutput", "ImageDataset", "ModelConfig", "config_fields", "create_model",
    "list_archs", "list_datasets", "list_models", "load_dataset", "load_split", "model_from_config", "noise",
    "register_dataset", "register_model", "__version__",
    "CheckpointError", "checkpoint_config", "load", "save", "to_zip_bytes",
    "evaluate", "pca_baseline", "psnr", "reconstruction_metrics",
    "AUGMENTS", "History", "Progress", "SCHEDULES", "TrainingDiverged", "fit",
    "FitSettings", "RunResult", "RunSnapshot", "RunSpec", "run", "Job", "JobQueue", "recipes",
    "latent", "list_pretrained", "load_latent", "load_pretrained", "load_results", "pretrained_entry",
    "anomaly", "cuda_step", "distributed", "export", "generate", "probe", "recommend", "retrieval", "tabular",
    "anomaly_scores", "pca_scores", "roc", "linear_probe",
]
