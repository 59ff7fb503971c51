"""aecore: autoencoder models, datasets and noise for the Autoencoder Explorer.

Runs anywhere torch does (a notebook, a GPU server): it never imports streamlit or plotly.
"""

from aecore import noise
from aecore.data import ImageDataset, list_datasets, load_dataset, register_dataset
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
from aecore.train import History, Progress, TrainingDiverged, fit
from aecore.run import FitSettings, RunResult, RunSnapshot, RunSpec, run
from aecore.workers import Job, JobQueue
from aecore import jobs, recipes
from aecore.pretrained import list_pretrained, load_latent, load_pretrained, load_results, pretrained_entry
from aecore import latent
from aecore import anomaly, compression, generate, inspect_code, lab, probe
from aecore import page_jobs
from aecore.anomaly import anomaly_scores, pca_scores, roc
from aecore.compression import compression_ratio, rate_distortion
from aecore.probe import linear_probe

__version__ = "0.1.0"

__all__ = [
    "Autoencoder", "AutoencoderOutput", "ImageDataset", "ModelConfig", "config_fields", "create_model",
    "list_archs", "list_datasets", "list_models", "load_dataset", "model_from_config", "noise",
    "register_dataset", "register_model", "__version__",
    "CheckpointError", "checkpoint_config", "load", "save", "to_zip_bytes",
    "evaluate", "pca_baseline", "psnr", "reconstruction_metrics",
    "History", "Progress", "TrainingDiverged", "fit",
    "FitSettings", "RunResult", "RunSnapshot", "RunSpec", "run", "Job", "JobQueue", "jobs", "recipes",
    "latent", "list_pretrained", "load_latent", "load_pretrained", "load_results", "pretrained_entry",
    "anomaly", "compression", "generate", "inspect_code", "lab", "page_jobs", "probe",
    "anomaly_scores", "pca_scores", "roc", "compression_ratio", "rate_distortion", "linear_probe",
]
