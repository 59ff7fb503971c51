"""The command line's progress bars (tqdm, on stderr) and its download-first step, shared by the
core commands (aecore.cli) and the study commands (aecore.studies.commands)."""

from __future__ import annotations

from typing import Any

from aecore.data.download import DATASETS as DOWNLOADS, download_dataset, is_downloaded
from aecore.runner import RunSnapshot


class ProgressBar:
    """A tqdm bar over every batch of the run, with the loss and the validation loss."""

    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, snapshot: RunSnapshot) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=snapshot.epochs * snapshot.batches_per_epoch, unit="batch", dynamic_ncols=True)
        self.bar.update(snapshot.batches_done - self.bar.n)
        self.bar.set_description(f"epoch {snapshot.epoch}/{snapshot.epochs}")
        postfix = {"loss": f"{snapshot.losses['total']:.4g}"} if snapshot.losses else {}
        if snapshot.val_history:
            postfix["val"] = f"{snapshot.val_history[-1]['total']:.4g}"
        if snapshot.feed:  # resident or streamed: which path fit chose for the data
            postfix["data"] = snapshot.feed + (f" x{snapshot.world_size}" if snapshot.world_size > 1 else "")
        self.bar.set_postfix(postfix, refresh=False)
        if snapshot.finished:
            self.bar.close()


class DownloadBar:
    """A tqdm bar in bytes over a dataset's download, on stderr."""

    def __init__(self, name: str) -> None:
        self.name, self.bar = name, None

    def __call__(self, done: int, total: int) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, dynamic_ncols=True,
                            desc=f"downloading {self.name}")
        self.bar.total = total  # a mirror's files may differ in size from the official ones
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.bar.close()


def ensure_downloaded(name: str, options: dict[str, Any], quiet: bool) -> None:
    """Download `name` first, with a progress bar, when it is a dataset to download and is not here
    yet: the loader would otherwise fetch it without a word."""
    name = name.strip().lower().replace("_", "-")
    if name in DOWNLOADS and options.get("download", True) and not is_downloaded(name, options.get("root")):
        download_dataset(name, options.get("root"), progress=None if quiet else DownloadBar(name))
