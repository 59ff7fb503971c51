"""Several processes: two gloo ranks launched by torchrun follow one process's loss curve, and only
rank 0 writes the checkpoint; the sharding rule gives every step the same samples as one process.

Run as a script (`torchrun ... tests/test_distributed.py train ...`), this file is `python -m aecore`
with the checkpoint writer signed by rank, so the test can see which ranks wrote.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import aecore
from aecore import distributed
from aecore.distributed import epoch_plan, shard
from aecore.runner import FitSettings, RunSpec, run

REPO_ROOT = Path(__file__).resolve().parent.parent
# Deterministic objectives (ae here) match one process to float rounding (measured: 2e-7 relative
# per epoch on digits); this is the tolerance docs/scaling.md states.
RELATIVE_TOLERANCE = 1e-5


def test_two_gloo_ranks_follow_one_process_and_only_rank_0_writes(tmp_path):
    spec = RunSpec(dataset="digits", kind="ae", latent_dim=4,
                   fit=FitSettings(epochs=3, batch_size=100, lr=2e-3, device="cpu"))  # 1,437 images: a last batch of 37
    out = tmp_path / "ae"
    launched = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", __file__,
         "train", *spec.argv(), "--out", str(out), "--quiet"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
    assert launched.returncode == 0, launched.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.glob("saved-by-rank-*")) == ["saved-by-rank-0"]
    assert launched.stdout.count('"checkpoint"') == 1  # one summary, rank 0's
    history = aecore.load(out).checkpoint["metadata"]["history"]
    assert history["world_size"] == 2

    alone = run(spec).history
    assert alone.world_size == 1
    assert history["train_loss"] == pytest.approx(alone.train_loss, rel=RELATIVE_TOLERANCE)
    assert history["val_loss"] == pytest.approx(alone.val_loss, rel=RELATIVE_TOLERANCE)


@pytest.mark.parametrize("n, batch_size, parts", [(10, 4, 2), (11, 4, 3), (9, 4, 2), (5, 4, 4), (7, 7, 2)])
def test_the_ranks_see_together_what_one_process_sees_at_each_step(n, batch_size, parts):
    permutation = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    alone = epoch_plan(permutation, batch_size)
    ranks = [epoch_plan(permutation, batch_size, part, parts) for part in range(parts)]
    assert all(len(plan) == len(alone) for plan in ranks)
    for step, (whole, share, size) in enumerate(alone):
        assert share == size == len(whole)
        counted = torch.cat([plan[step][0][: plan[step][1]] for plan in ranks])
        assert torch.equal(counted, whole)  # the same samples, in the same order
        assert all(plan[step][2] == size for plan in ranks)


def test_a_rank_with_nothing_left_takes_one_image_counted_zero_times():
    mine, share = shard(torch.tensor([7]), part=1, parts=2)
    assert mine.tolist() == [7] and share == 0  # it still runs backward, adding nothing


def test_one_process_needs_no_process_group(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with distributed.session():
        assert not distributed.launched() and not distributed.active()
        assert (distributed.rank(), distributed.world_size(), distributed.is_main()) == (0, 1, True)
        values = torch.tensor([1.0, 2.0])
        assert torch.equal(distributed.all_reduce_sum(values), values)
        assert distributed.any_rank(True, torch.device("cpu"))


if __name__ == "__main__":  # one rank under torchrun: the CLI, with save signed by this rank
    import aecore.cli as cli

    real_save = cli.save

    def signed_save(model, path, **kwargs):
        Path(path).parent.joinpath(f"saved-by-rank-{os.environ['RANK']}").touch()
        return real_save(model, path, **kwargs)

    cli.save = signed_save
    sys.exit(cli.main(sys.argv[1:]))
