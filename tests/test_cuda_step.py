"""make_step: on the CPU exactly fit's per-batch update; on CUDA (tests skipped without one) the
captured graph trains like the eager step, draws fresh noise on every replay, and follows the lr."""

from __future__ import annotations

import pytest
import torch

import aecore
from aecore.cuda_step import make_step
from aecore.train import fit

CASES = [(arch, kind) for arch in ("mlp", "conv") for kind in ("ae", "vae")]
BATCH = 64
LR = 2e-3
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(scope="module")
def digits() -> aecore.ImageDataset:
    train, _ = aecore.load_dataset("digits").split(test_fraction=0.2, seed=0)
    return train  # 1437 images: the last batch of 64 is a partial one


def fresh(kind: str, arch: str, shape: tuple, device: str = "cpu", **options) -> aecore.Autoencoder:
    torch.manual_seed(0)
    return aecore.create_model(kind, arch=arch, input_shape=shape, **options).to(device).train()


def train_epoch(model: aecore.Autoencoder, images: torch.Tensor, step=None, seed: int = 5) -> list[float]:
    """One epoch as fit runs it today (seeded, CPU-drawn batch order, KL warm-up ramp), with its
    zero_grad / loss / backward / Adam step, or with `step` in their place. Returns batch losses."""
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=LR) if step is None else None
    permutation = torch.randperm(len(images), generator=order).to(images.device)
    batches = -(-len(images) // BATCH)
    losses = []
    for batch in range(batches):
        model.warmup_scale = min(1.0, batch / batches)  # fit's ramp with warmup_epochs=1
        x = images[permutation[batch * BATCH : (batch + 1) * BATCH]]
        if step is None:
            optimiser.zero_grad(set_to_none=True)
            total, logs = model.loss(x)
            total.backward()
            optimiser.step()
        else:
            logs = step(x)
        losses.append(float(logs["total"]))
    model.warmup_scale = 1.0
    return losses


def flat(model: aecore.Autoencoder) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


@pytest.mark.parametrize("arch, kind", CASES)
def test_cpu_step_is_fits_update_bit_for_bit(digits, arch, kind):
    images = digits.images.float()
    reference = fresh(kind, arch, digits.image_shape)
    expected = train_epoch(reference, images)
    model = fresh(kind, arch, digits.image_shape)
    step = make_step(model, images[:BATCH], lr=LR, amp=True, graph=True)  # both ignored on the CPU
    assert step.mode == "eager (no CUDA)"
    assert train_epoch(model, images, step) == expected
    assert torch.equal(flat(model), flat(reference))
    assert step.eager_steps == len(expected) and step.replays == 0


def test_cpu_step_trains_like_fit_itself(digits):
    reference = fresh("vae", "mlp", digits.image_shape)
    fit(reference, digits, epochs=1, batch_size=BATCH, lr=LR, device="cpu", seed=5, warmup_epochs=1)
    model = fresh("vae", "mlp", digits.image_shape)
    train_epoch(model, digits.images.float(), make_step(model, digits.images[:BATCH].float(), lr=LR))
    assert torch.equal(flat(model), flat(reference))


def test_logs_name_every_term(digits):
    model = fresh("vae", "mlp", digits.image_shape)
    logs = make_step(model, digits.images[:BATCH].float())(digits.images[:BATCH].float())
    assert set(logs) == {"recon", "kl", "total"} and all(not v.requires_grad for v in logs.values())


def test_bad_example_batch_is_refused(digits):
    model = fresh("ae", "mlp", digits.image_shape)
    with pytest.raises(ValueError, match="model's device"):
        make_step(model, torch.zeros(4, *digits.image_shape, device="meta"))
    with pytest.raises(ValueError, match="takes images shaped"):
        make_step(model, torch.zeros(4, 1, 28, 28))


# --- CUDA only: none of these run on a machine without a GPU ---------------------------------------

@cuda
@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_graph_replays_train_like_the_eager_step(digits, arch):
    images = digits.images.float().cuda()
    eager_model = fresh("ae", arch, digits.image_shape, "cuda")  # "ae": no randomness, so comparable
    eager = make_step(eager_model, images[:BATCH], lr=LR)
    graph_model = fresh("ae", arch, digits.image_shape, "cuda")
    before = flat(graph_model)
    graph = make_step(graph_model, images[:BATCH], lr=LR, graph=True)
    assert graph.mode == "cuda graph"
    assert torch.equal(flat(graph_model), before)  # the warm-up was undone
    expected = train_epoch(eager_model, images, eager)
    losses = train_epoch(graph_model, images, graph)
    assert graph.replays == len(losses) - 1 and graph.eager_steps == 1  # the partial batch ran eagerly
    torch.testing.assert_close(losses, expected, rtol=1e-3, atol=1e-3)
    # Adam turns a rounding-level gradient difference (cuDNN's backward may use atomics) into up to
    # lr per step on a weight whose gradient is ~0: compare on average, against how far training
    # moved the weights. A stale gradient or a frozen lr would miss by far more than 1%.
    moved = (flat(eager_model) - before).abs().mean()
    assert (flat(graph_model) - flat(eager_model)).abs().mean() < 0.01 * moved


@cuda
@pytest.mark.parametrize("kind, options", [("vae", {}), ("denoising", {}), ("ae", {})])
def test_each_replay_draws_fresh_noise(digits, kind, options):
    x = digits.images[:BATCH].float().cuda()
    model = fresh(kind, "mlp", digits.image_shape, "cuda", **options)
    step = make_step(model, x, lr=0.0, graph=True)  # lr 0: the weights stay put between replays
    first = step(x)["recon"].clone()  # the graph's outputs are overwritten by the next replay
    second = step(x)["recon"].clone()
    assert step.replays == 2
    if kind == "ae":  # no randomness: the same input gives the same loss
        assert torch.equal(first, second)
    else:  # the VAE's eps and the denoising corruption are drawn anew on each replay
        assert not torch.equal(first, second)


@cuda
def test_a_scheduler_reaches_the_captured_step(digits):
    x = digits.images[:BATCH].float().cuda()
    model = fresh("ae", "mlp", digits.image_shape, "cuda")
    step = make_step(model, x, lr=LR, graph=True)
    torch.optim.lr_scheduler.LambdaLR(step.optimizer, lambda _: 0.0)  # sets lr to 0 in place
    before = flat(model)
    step(x)
    assert step.replays == 1 and torch.equal(flat(model), before)


@cuda
def test_bf16_conv_graph_learns(digits):
    images = digits.images.float().cuda()
    model = fresh("vae", "conv", digits.image_shape, "cuda")
    step = make_step(model, images[:BATCH], lr=LR, amp=True, graph=True)
    assert step.mode == "cuda graph + bf16"
    losses = train_epoch(model, images, step) + train_epoch(model, images, step)
    assert all(torch.isfinite(torch.tensor(losses))) and losses[-1] < losses[0]
