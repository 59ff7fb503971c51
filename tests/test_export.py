"""aecore.export: every registered kind and architecture exports its decoder to ONNX, and ONNX Runtime
gives PyTorch's images for the same codes; the file beside a checkpoint, and the on-disk cache."""

from __future__ import annotations

import copy
import io
import zipfile

import numpy as np
import onnxruntime
import pytest
import torch

import aecore
from aecore import export
from conftest import refuses

SHAPE = (1, 8, 8)  # small images and layers: exporting costs the same fixed seconds whatever the size


def run_onnx(data: bytes, codes: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run([export.OUTPUT_NAME], {export.INPUT_NAME: codes})[0]


@pytest.mark.parametrize("arch", aecore.list_archs())
@pytest.mark.parametrize("kind", aecore.list_models())
def test_every_kind_and_arch_decodes_the_same_in_onnx(kind, arch):
    if refuses(kind, arch):
        return
    torch.manual_seed(0)
    model = aecore.create_model(kind, arch=arch, input_shape=SHAPE, latent_dim=3, hidden=(16,), channels=(4, 8))
    model.train()  # as a shared model may be: exporting must neither need eval mode nor switch it
    codes = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32) * 2
    data = export.decoder_onnx(model)
    images = run_onnx(data, codes)
    # What the app's models (in eval mode) decode: resconv's batch norm uses its running statistics then.
    expected = copy.deepcopy(model).eval().decode(torch.from_numpy(codes)).detach().numpy()
    assert images.shape == (5, *SHAPE)
    np.testing.assert_allclose(images, expected, atol=1e-4)
    assert model.training
    assert run_onnx(data, codes[:1]).shape == (1, *SHAPE)  # any batch size


def test_a_checkpoint_can_carry_its_decoder(tmp_path):
    model = aecore.create_model("vae", arch="conv", input_shape=SHAPE, latent_dim=2, channels=(4,))
    folder = aecore.save(model, tmp_path / "vae", export_decoder=True)
    codes = np.array([[0.5, -1.0]], np.float32)
    np.testing.assert_allclose(run_onnx((folder / export.ONNX_NAME).read_bytes(), codes),
                               model.decode(torch.from_numpy(codes)).detach().numpy(), atol=1e-4)
    assert aecore.load(folder).config == model.config  # loading ignores the extra file
    archive = aecore.save(model, tmp_path / "vae.zip", export_decoder=True)
    assert aecore.load(archive).config == model.config
    assert not (aecore.save(model, tmp_path / "plain") / export.ONNX_NAME).exists()  # only when asked
    with zipfile.ZipFile(io.BytesIO(aecore.to_zip_bytes(model, export_decoder=True))) as download:
        assert f"aecore-vae/{export.ONNX_NAME}" in download.namelist()


def test_the_cache_exports_once_per_weights(tmp_path, monkeypatch):
    monkeypatch.setenv(export.CACHE_ENV, str(tmp_path))
    model = aecore.create_model("ae", input_shape=SHAPE, latent_dim=2, hidden=(8,))
    path = export.cached_decoder(model)
    assert path.parent == tmp_path and path.is_file()
    stamp = path.stat().st_mtime_ns
    assert export.cached_decoder(model) == path and path.stat().st_mtime_ns == stamp  # not exported again
    with torch.no_grad():
        model.decoder[0].weight.add_(1.0)
    assert export.cached_path(model) != path  # new weights, new file
    state = {name: t.clone() for name, t in model.state_dict().items()}
    done = export.export_job({**model.config.to_dict(), "kind": model.kind}, state, str(tmp_path))
    assert done == str(export.cached_path(model))
