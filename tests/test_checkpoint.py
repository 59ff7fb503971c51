"""Checkpoints: every kind and arch round-trips exactly through a folder, a .zip and zip bytes; saving
is atomic; and every kind of bad or hostile input gives a CheckpointError, never a crash or code run."""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile
from pathlib import Path

import pytest
import safetensors.torch
import torch

import aecore
from aecore import checkpoint
from aecore.checkpoint import CONFIG_NAME, WEIGHTS_NAME, CheckpointError, load, save, to_zip_bytes
from conftest import refuses

SHAPE = (1, 8, 8)


def small_model(kind: str = "vae", arch: str = "mlp", latent_dim: int = 3) -> aecore.Autoencoder:
    return aecore.create_model(kind, arch=arch, input_shape=SHAPE, latent_dim=latent_dim,
                               hidden=(16,), channels=(4, 8))


def assert_same_model(original: aecore.Autoencoder, loaded: aecore.Autoencoder) -> None:
    x = torch.rand(5, *SHAPE, generator=torch.Generator().manual_seed(0))
    original.eval()
    assert type(loaded) is type(original) and not loaded.training
    assert loaded.config == original.config
    with torch.no_grad():
        assert torch.equal(loaded.encode(x), original.encode(x))
        assert torch.equal(loaded(x).x_hat, original(x).x_hat)


def read_back(form: str, model: aecore.Autoencoder, tmp_path: Path) -> aecore.Autoencoder:
    if form == "folder":
        return load(save(model, tmp_path / "ckpt"))
    if form == "zip":
        return load(save(model, tmp_path / "ckpt.zip"))
    if form == "bytes":
        return load(to_zip_bytes(model))
    return load(io.BytesIO(to_zip_bytes(model)))  # a file object, like Streamlit's upload


@pytest.mark.parametrize("form", ["folder", "zip", "bytes", "file"])
@pytest.mark.parametrize("arch", aecore.list_archs())
@pytest.mark.parametrize("kind", aecore.list_models())
def test_round_trip_is_exact(kind, arch, form, tmp_path):
    if refuses(kind, arch):
        return
    torch.manual_seed(0)
    model = small_model(kind, arch)
    torch.manual_seed(1)  # load() builds with a different random init, so equality means loaded weights
    assert_same_model(model, read_back(form, model, tmp_path))


@pytest.mark.parametrize("form", ["folder", "bytes"])
@pytest.mark.parametrize("kind", aecore.list_models())
def test_a_model_built_directly_round_trips(kind, form, tmp_path):
    cls = aecore.models.model_class(kind)
    model = cls(cls.config_class(input_shape=SHAPE, latent_dim=3, hidden=(16,)))  # no create_model
    assert_same_model(model, read_back(form, model, tmp_path))


def test_metadata_and_metrics_round_trip(tmp_path):
    metadata = {"dataset": "digits", "metrics": {"mse": 0.02, "psnr": float("nan")}, "epochs": 5, "notes": ["a"]}
    loaded = load(save(small_model(), tmp_path / "ckpt.zip", metadata))
    card = loaded.checkpoint
    assert card["dataset"] == "digits" and card["aecore_version"] == aecore.__version__
    assert card["metrics"] == {"mse": 0.02, "psnr": None}  # NaN is stored as null: strict JSON
    assert card["metadata"] == {"epochs": 5, "notes": ["a"]}


def test_config_json_is_plain_json(tmp_path):
    model = small_model("sparse", "conv")
    config = json.loads((save(model, tmp_path / "ckpt") / CONFIG_NAME).read_text())
    assert set(config) == {"format", "format_version", "aecore_version", "model", "dataset", "metrics", "metadata"}
    assert config["format"] == "aecore-checkpoint" and config["format_version"] == 1
    assert config["model"] == model.config.to_dict() and config["model"]["kind"] == "sparse"
    assert config["dataset"] is None and config["metrics"] == {} and config["metadata"] == {}


def test_unserialisable_metadata_raises_and_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="plain JSON"):
        save(small_model(), tmp_path / "ckpt", {"weights": torch.ones(2)})
    assert list(tmp_path.iterdir()) == []


def test_saving_over_a_checkpoint_replaces_it(tmp_path):
    first, second = small_model(latent_dim=3), small_model(latent_dim=5)
    save(first, tmp_path / "ckpt")
    save(second, tmp_path / "ckpt")
    assert_same_model(second, load(tmp_path / "ckpt"))
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]  # no temporary or old folder left


def test_crash_mid_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    old = small_model()
    save(old, tmp_path / "ckpt")

    def crash(tensors, filename, *args, **kwargs):
        Path(filename).write_bytes(b"half a weights file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(safetensors.torch, "save_file", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        save(small_model(latent_dim=5), tmp_path / "ckpt")
    assert_same_model(old, load(tmp_path / "ckpt"))
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]


def test_crash_mid_zip_save_keeps_the_old_archive(tmp_path, monkeypatch):
    old = small_model()
    save(old, tmp_path / "ckpt.zip")

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr("aecore.checkpoint.os.fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        save(small_model(latent_dim=5), tmp_path / "ckpt.zip")
    monkeypatch.undo()
    assert_same_model(old, load(tmp_path / "ckpt.zip"))
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.zip"]


def test_refuses_to_replace_a_folder_that_is_not_a_checkpoint(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"meow")
    with pytest.raises(ValueError, match="not an aecore checkpoint"):
        save(small_model(), tmp_path / "photos")
    assert (tmp_path / "photos" / "cat.jpg").read_bytes() == b"meow"


@pytest.mark.parametrize("name", ["ckpt", "ckpt.zip", "deeper/ckpt"])
def test_saving_under_a_file_says_which_file_is_in_the_way(name, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match=r"notes\.txt is a file, not a folder; choose a path"):
        save(small_model(), tmp_path / "notes.txt" / name)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("form", ["bytes", "file"])
def test_an_upload_over_the_limit_is_refused(form, monkeypatch):
    data = to_zip_bytes(small_model())
    monkeypatch.setattr(checkpoint, "MAX_UPLOAD_BYTES", len(data))
    assert load(data if form == "bytes" else io.BytesIO(data)) is not None  # exactly at the limit
    monkeypatch.setattr(checkpoint, "MAX_UPLOAD_BYTES", len(data) - 1)
    with pytest.raises(CheckpointError, match="upload limit"):
        load(data if form == "bytes" else io.BytesIO(data))


def test_zip_with_files_at_the_top_level_loads(tmp_path):
    model = small_model()
    folder = save(model, tmp_path / "ckpt")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in (CONFIG_NAME, WEIGHTS_NAME):
            archive.write(folder / name, name)
    assert_same_model(model, load(buffer.getvalue()))


# --- bad input: one test each -------------------------------------------------------------------
def edit_config(folder: Path, edit) -> None:
    config = json.loads((folder / CONFIG_NAME).read_text())
    edit(config)
    (folder / CONFIG_NAME).write_text(json.dumps(config))


def zip_with(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data)  # ZipInfo keeps the name exactly as given
    return buffer.getvalue()


def test_missing_path(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load(tmp_path / "nowhere")


def test_text_file(tmp_path):
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="not an aecore checkpoint"):
        load(tmp_path / "notes.txt")


def test_zip_without_config():
    with pytest.raises(CheckpointError, match="no config.json"):
        load(zip_with({"readme.txt": b"hello"}))


def test_config_that_is_not_json(tmp_path):
    folder = save(small_model(), tmp_path / "ckpt")
    (folder / CONFIG_NAME).write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load(folder)


def test_config_of_another_format(tmp_path):
    folder = save(small_model(), tmp_path / "ckpt")
    edit_config(folder, lambda config: config.update(format="something-else"))
    with pytest.raises(CheckpointError, match="not an aecore checkpoint"):
        load(folder)


def test_unknown_kind_lists_the_valid_ones(tmp_path):
    folder = save(small_model(), tmp_path / "ckpt")
    edit_config(folder, lambda config: config["model"].update(kind="gan"))
    with pytest.raises(CheckpointError, match="unknown model kind 'gan'.*vae"):
        load(folder)


def test_weights_that_do_not_match_the_config(tmp_path):
    folder = save(small_model(latent_dim=3), tmp_path / "ckpt")
    edit_config(folder, lambda config: config["model"].update(latent_dim=4))
    with pytest.raises(CheckpointError, match=r"do not match.*encoder\.\d+\.weight is \(6, 16\).*\(8, 16\)"):
        load(folder)


def test_truncated_weights(tmp_path):
    folder = save(small_model(), tmp_path / "ckpt")
    data = (folder / WEIGHTS_NAME).read_bytes()
    (folder / WEIGHTS_NAME).write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load(folder)


def test_flipped_bytes_in_the_weights_header(tmp_path):
    folder = save(small_model(), tmp_path / "ckpt")
    data = bytearray((folder / WEIGHTS_NAME).read_bytes())
    data[8:12] = bytes(b ^ 0xFF for b in data[8:12])  # the header's JSON starts after its 8-byte length
    (folder / WEIGHTS_NAME).write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load(folder)


def test_zip_bomb_is_refused_before_reading():
    data = bytearray(to_zip_bytes(small_model()))
    # Make every central-directory entry claim 2 GB uncompressed (its size field is at offset 24).
    start = data.find(b"PK\x01\x02")
    while start != -1:
        data[start + 24:start + 28] = struct.pack("<I", 2**31)
        start = data.find(b"PK\x01\x02", start + 4)
    with pytest.raises(CheckpointError, match="MB uncompressed"):
        load(bytes(data))


@pytest.mark.parametrize("name", ["../evil", "/tmp/evil", "ckpt/../../evil", "..\\evil"])
def test_zip_member_outside_the_archive(name, tmp_path):
    folder = save(small_model(), tmp_path / "ckpt")
    members = {n: (folder / n).read_bytes() for n in (CONFIG_NAME, WEIGHTS_NAME)}
    with pytest.raises(CheckpointError, match="outside the archive"):
        load(zip_with({**members, name: b"boo"}))


class CreatesFileWhenUnpickled:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_a_pickle_posing_as_weights_never_runs(form, tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(CreatesFileWhenUnpickled(marker))
    folder = save(small_model(), tmp_path / "ckpt")
    (folder / WEIGHTS_NAME).write_bytes(payload)
    source = folder if form == "folder" else zip_with({n: (folder / n).read_bytes() for n in (CONFIG_NAME, WEIGHTS_NAME)})
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load(source)
    assert not marker.exists()
    pickle.loads(payload).close()  # the payload is live: unpickling it does create the marker
    assert marker.exists()
