"""Views never switch the train/eval mode of a model: pretrained models are cached once and shared
by every browser session, so `.eval()` in one session would change the model under all others."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch

import aecore
from ui import latent_map_view as view
from ui.core import state

ROOT = Path(__file__).resolve().parent.parent


def test_no_page_or_view_switches_a_model_mode():
    calls = re.compile(r"\.eval\(\s*\)|\.train\(\s*\w*\s*\)")  # .eval(), .train(), .train(was_training)
    sources = [path for folder in ("ui", "pages") for path in sorted((ROOT / folder).glob("*.py"))]
    offenders = [f"{path.relative_to(ROOT)}:{number}" for path in sources
                 for number, line in enumerate(path.read_text().splitlines(), 1) if calls.search(line)]
    assert offenders == []


def test_latent_map_helpers_leave_a_model_in_training_mode_alone():
    torch.manual_seed(0)
    model = aecore.create_model("vae", input_shape=(1, 8, 8), latent_dim=2).train()  # digits: 8x8
    active = state.ActiveModel(model=model, name="test: vae", source="trained", dataset="digits")
    originals, rebuilt, _ = view.selection_view(active, [0, 1, 2])
    images = view.decode(model, np.zeros((3, 2), dtype=np.float32))
    assert model.training  # a training loop elsewhere must still find it in training mode
    assert originals.shape == rebuilt.shape and images.shape == (3, 1, 8, 8)
