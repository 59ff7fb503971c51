"""Atomic writes (aecore.files): what a reader finds is the old file or the new one, never half of one."""

from __future__ import annotations

import os
import stat

import pytest

from aecore.files import replace_folder, write_atomically


def test_a_write_replaces_the_file_and_sets_its_mode(tmp_path):
    path = write_atomically(tmp_path / "sub" / "manifest.json", "new ü", mode=0o644)
    assert path.read_text("utf-8") == "new ü"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert write_atomically(path, b"\x00\x01").read_bytes() == b"\x00\x01"
    assert [p.name for p in path.parent.iterdir()] == ["manifest.json"]  # no temporary file left


def test_a_crash_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = write_atomically(tmp_path / "results.bin", b"old")

    def crash(_fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.bin"]


def test_a_folder_is_replaced_whole_and_put_back_when_the_swap_fails(tmp_path, monkeypatch):
    old, new = tmp_path / "model", tmp_path / "staging"
    for folder, text in ((old, "old"), (new, "new")):
        folder.mkdir()
        (folder / "config.json").write_text(text)
    real_replace = os.replace

    def fail_second(src, dst):
        if os.fspath(src) == os.fspath(new):
            raise OSError("interrupted")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", fail_second)
    with pytest.raises(OSError, match="interrupted"):
        replace_folder(new, old)
    assert (old / "config.json").read_text() == "old"
    monkeypatch.undo()
    replace_folder(new, old)
    assert (old / "config.json").read_text() == "new" and not new.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
