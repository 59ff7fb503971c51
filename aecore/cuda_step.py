"""One training step built once: the plain eager step everywhere, and on a GPU the fast path.

`make_step(model, example_batch, lr=...)` returns a `TrainStep`; `step(x)` runs one Adam step on a
batch already on the model's device and returns the loss logs as tensors (no device sync), so a
loop reads them back once per epoch. It owns the optimizer (`step.optimizer`), so a scheduler can
be built on it.

On the CPU, and wherever the graph is off or unavailable, a step is exactly what `fit` did per
batch: zero_grad(set_to_none) / model.loss / backward / Adam.step, same numbers bit for bit.
On CUDA:
- Adam is fused (one kernel for all parameters instead of a handful per tensor);
- amp=True runs forward and loss under bf16 autocast (worth it for conv models; backward and the
  optimizer stay float32, and bf16 needs no loss scaling);
- graph=True captures forward + backward + optimizer step in one CUDA graph (torch.cuda.graphs),
  replayed per batch: a small model's step is bound by kernel launches (~10 us each), and a replay
  is one launch. A model at batch 128 thus trains several times faster.
The graph's rules, and how they are kept:
- static memory: the batch is copied into a fixed input tensor; the logs returned are the graph's
  fixed output tensors, overwritten by the next call (the caller sums them before that);
- warm-up on a side stream before capture (the docs' recipe: lazy state and library handles are
  created outside the capture). Warm-up runs real steps on the example batch, so afterwards the
  weights, Adam's state and the random generators are put back: make_step changes no numbers;
- Adam is built with capturable=True and a tensor lr, so a scheduler's in-place lr updates reach
  the graph; a change the graph cannot see (OneCycleLR's momentum moves Adam's betas) makes that
  step run eagerly instead, so the numbers stay right;
- the KL warm-up factor (`model.warmup_scale`) is a device tensor inside the graph, refreshed
  when `fit` changes it;
- randomness (VAE's eps, the denoising corruption) is drawn from the default CUDA generator, which
  is graph-safe: each replay advances the generator's philox offset by the whole graph's draws,
  so every replay draws fresh noise (see the Note [CUDA Graph-safe RNG states] in ATen's
  CUDAGeneratorImpl.h; tests/test_cuda_step.py checks it on a GPU);
- a batch of another shape (the last, partial batch of an epoch) runs eagerly on the same
  optimizer: no sample is dropped, so an epoch sees the same data as without the graph;
- capture uses capture_error_mode="thread_local": the app trains in a worker thread while other
  threads may use the GPU, and "global" would make their allocations fail during the capture.
If the capture fails (an op that syncs with the host, say), the step falls back to eager and
`step.mode` says why.
"""

from __future__ import annotations

import torch

from aecore.models.base import Autoencoder
from aecore.step import optimiser_step

WARMUP_STEPS = 3  # the torch docs' whole-network example warms up with 3 iterations


class TrainStep:
    """A callable training step; build it with `make_step`. `mode` says which path it takes."""

    def __init__(self, model: Autoencoder, example_batch: torch.Tensor, lr: float, amp: bool, graph: bool) -> None:
        self.model = model
        self.device = example_batch.device
        cuda = self.device.type == "cuda"
        self.amp = amp and cuda and torch.cuda.is_bf16_supported()
        params = list(model.parameters())
        # A tensor lr is what lets a scheduler change the rate of a captured step (it fills it in
        # place); fused Adam accepts it on CUDA.
        self.optimizer = (torch.optim.Adam(params, lr=torch.tensor(float(lr), device=self.device),
                                           fused=True, capturable=True) if cuda and graph
                          else torch.optim.Adam(params, lr=lr, fused=True) if cuda
                          else torch.optim.Adam(params, lr=lr))  # exactly fit's optimizer on the CPU
        # Eager steps of a capturable Adam warn once that capturable is slower uncaptured; ours are
        # the warm-up and the odd partial batch, so the warning would only mislead.
        self.optimizer._warned_capturable_if_run_uncaptured = True
        self._graph: torch.cuda.CUDAGraph | None = None
        self.replays = 0  # steps run by replaying the graph
        self.eager_steps = 0  # steps run eagerly
        reason = ("graph off" if not graph else "no CUDA" if not cuda
                  else "the contractive penalty's double backward is not graphed" if model.needs_input_grad
                  else None)
        if reason is None:
            try:
                self._capture(example_batch)
            except RuntimeError as error:  # an op that cannot be captured: stay correct, go eager
                self._graph = None
                self.optimizer.zero_grad(set_to_none=True)
                reason = f"graph capture failed: {str(error).splitlines()[0]}"
        self.mode = ("cuda graph" if self._graph is not None else f"eager ({reason})") + (" + bf16" if self.amp else "")

    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """One Adam step on batch x (B, C, H, W), already on the device. Returns the loss logs
        (unweighted terms and "total", detached); with a graph they are overwritten by the next call."""
        if (self._graph is None or x.shape != self._static_x.shape
                or self._hyperparameters() != self._captured_hyperparameters):
            self.eager_steps += 1
            return self._eager(x, grads_owned_by_graph=self._graph is not None)
        scale = float(self.model.warmup_scale)
        if scale != self._scale_value:
            self._scale.fill_(scale)
            self._scale_value = scale
        self._static_x.copy_(x)
        self._graph.replay()
        self.replays += 1
        return self._static_logs

    def _loss(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if not self.amp:
            return self.model.loss(x)
        # cache_enabled=False: autocast's weight-cast cache must not outlive a captured region.
        with torch.autocast("cuda", dtype=torch.bfloat16, cache_enabled=False):
            total, logs = self.model.loss(x)
        return total.float(), {name: value.float() for name, value in logs.items()}  # one dtype to stack

    def _eager(self, x: torch.Tensor, grads_owned_by_graph: bool) -> dict[str, torch.Tensor]:
        # With a graph, the .grad tensors live in the graph's memory and its replays write them:
        # zero them in place rather than dropping them (0 + g is g exactly, so numbers agree).
        return optimiser_step(self.optimizer, self._loss, x, set_to_none=not grads_owned_by_graph)

    def _hyperparameters(self) -> list[tuple]:
        # What fused Adam bakes into the graph as constants (lr is a tensor, so it is not here).
        return [(group["betas"], group["eps"], group["weight_decay"]) for group in self.optimizer.param_groups]

    def _capture(self, example_batch: torch.Tensor) -> None:
        model, device = self.model, self.device
        self._static_x = example_batch.detach().clone()
        self._scale_value = float(model.warmup_scale)
        self._scale = torch.tensor(self._scale_value, device=device)
        saved = [p.detach().clone() for p in model.parameters()]
        stream = torch.cuda.Stream(device=device)
        plain_scale = model.__dict__.get("warmup_scale")  # None: the class default
        model.warmup_scale = self._scale  # type: ignore[assignment]  # read by loss() inside the graph
        try:
            with torch.cuda.device(device):
                stream.wait_stream(torch.cuda.current_stream())
                with torch.random.fork_rng(devices=[device]), torch.cuda.stream(stream):
                    for _ in range(WARMUP_STEPS):  # builds Adam's state, cuBLAS handles, autocast kernels
                        self._eager(self._static_x, grads_owned_by_graph=False)
                    with torch.no_grad():  # undo the warm-up: make_step changes no numbers
                        for param, value in zip(model.parameters(), saved):
                            param.copy_(value)
                        for state in self.optimizer.state.values():
                            for value in state.values():  # step, exp_avg, exp_avg_sq: as a fresh Adam's
                                value.zero_()
                torch.cuda.current_stream().wait_stream(stream)
                # Gradients allocated inside the capture live in the graph's pool, and each replay
                # writes them afresh (as set_to_none + backward does eagerly).
                self.optimizer.zero_grad(set_to_none=True)
                graph = torch.cuda.CUDAGraph()
                # The same stream as the warm-up, so per-stream library handles exist already.
                with torch.cuda.graph(graph, stream=stream, capture_error_mode="thread_local"):
                    total, logs = self._loss(self._static_x)
                    total.backward()
                    self.optimizer.step()
                self._static_logs = logs
                self._captured_hyperparameters = self._hyperparameters()
                self._graph = graph
        finally:
            if plain_scale is None:
                del model.warmup_scale
            else:
                model.warmup_scale = plain_scale


def make_step(model: Autoencoder, example_batch: torch.Tensor, *, lr: float = 1e-3, amp: bool = False,
              graph: bool = False) -> TrainStep:
    """A training step for `model` (already on its device and in training mode) with a fresh Adam.

    example_batch: a batch (B, C, H, W) on the model's device, shaped like the batches to come
    (the graph is captured for that shape; others run eagerly). lr: Adam's learning rate.
    amp: bf16 autocast on CUDA (ignored elsewhere). graph: capture the whole step in a CUDA graph
    (CUDA only; elsewhere, or when capture fails, the plain eager step). Building the step changes
    neither the weights nor the random generators. See the module docstring for the rules.
    """
    device = next(model.parameters()).device
    if example_batch.device != device:
        raise ValueError(f"example_batch is on {example_batch.device} but the model is on {device}: "
                         "move the data to the model's device first")
    model._check_input(example_batch)
    return TrainStep(model, example_batch, lr, amp, graph)
