"""A kind's loss as its own source code: the functions that compute it, and the line that computes each term.

    code = loss_code("vae", {"beta": 4.0})
    for section in code.sections:              # Autoencoder.loss, VariationalAutoencoder.bottleneck, ...
        section.name, section.path, section.first_line, section.lines
        section.terms                          # {line index: "kl"}: the line whose value is logs["kl"]
        section.ran                            # line indices that ran in the traced call

Nothing is copied by hand: the source is read with `inspect` from the modules the model runs, and
which functions run, and which of their lines, is found by calling the kind's `loss` once under a
line tracer (`sys.settrace`) on a small stand-in built with the same kind and options (8x8 images,
a 2-D code, a 16-unit MLP: the branches of a loss depend on the kind's options, not on the network's
size). So a sparse model with the l1 penalty shows its l1 line as the one that computed `sparsity`,
and a kind added tomorrow is shown with no change here.

A term's line is found in the source's syntax tree: the dict entry `"kl": ...` that names it (what
the `regularizer` hook and `loss` return), or an assignment `total = ...`; in `weights` the entry
names the term's weight instead.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import torch

from aecore.models import ModelConfig, create_model, model_class

# The hooks of `Autoencoder` that make up the loss (aecore.models.base), in reading order.
HOOKS = ("loss", "corrupt_input", "bottleneck", "reconstruction_loss", "regularizer", "weights")
# The stand-in's network: the loss code's branches do not depend on it (module docstring).
STAND_IN = {"arch": "mlp", "input_shape": (1, 8, 8), "latent_dim": 2, "hidden": (16,)}
STAND_IN_BATCH = 8
PACKAGE = Path(__file__).resolve().parents[1]  # aecore/: only its own code is shown


@dataclass
class Section:
    """One function of the loss as its file holds it."""

    name: str  # qualified: "VariationalAutoencoder.regularizer", "kl_standard_normal"
    path: str  # relative to the repository: "aecore/models/vae.py"
    first_line: int  # of `lines[0]` in that file
    lines: list[str]  # dedented source
    terms: dict[int, str] = field(default_factory=dict)  # line index -> the logs entry computed there
    weights: dict[int, str] = field(default_factory=dict)  # line index -> the term whose weight is set there
    ran: set[int] = field(default_factory=set)  # line indices that ran in the traced call


@dataclass
class LossCode:
    """The loss of one kind with given options: its sections, and the names of the terms it logs."""

    kind: str
    sections: list[Section]
    terms: list[str]  # logs' keys of the traced call, "total" last
    weights: dict[str, float]  # the stand-in's `weights()`: the kind's options decide them


def stand_in_options(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """The options of `kind` that are its own (beta, penalty, likelihood, ...), leaving out the network's."""
    network = {f.name for f in dataclasses.fields(ModelConfig)} - {"likelihood"}
    known = {f.name for f in dataclasses.fields(model_class(kind).config_class)}
    return {name: value for name, value in options.items() if name in known and name not in network}


def loss_code(kind: str, options: dict[str, Any] | None = None) -> LossCode:
    """The source of `kind`'s loss with `options` (module docstring). ValueError for an unknown kind
    or option, as `create_model` raises it."""
    torch.manual_seed(0)  # the stand-in's weights and images: the same sections every time
    model = create_model(kind, **STAND_IN, **stand_in_options(kind, options or {}))
    model.train()  # the stand-in is this function's own: training mode, as fit calls the loss
    x = torch.rand(STAND_IN_BATCH, *STAND_IN["input_shape"])
    extra = {"labels": torch.arange(STAND_IN_BATCH) % 2} if getattr(model, "conditional", False) else {}
    tracer = _Tracer()
    sys.settrace(tracer.call)
    try:
        _, logs = model.loss(x, **extra)
    finally:
        sys.settrace(None)
    hooks = {getattr(type(model), name).__code__: name for name in HOOKS}
    shown = [code for code in tracer.order if code in hooks
             or (tracer.callers[code] & hooks.keys() and not _is_method(type(model), code))]
    terms = [name for name in logs if name != "total"] + ["total"]
    weights = {name: float(w) for name, w in model.weights().items()}
    sections = [_section(code, tracer.lines[code], set(weights) if hooks.get(code) == "weights" else set(terms),
                         weights=hooks.get(code) == "weights") for code in shown]
    return LossCode(kind, sections, terms, weights)


class _Tracer:
    """Records, for every function of aecore that runs: its first call's order, its callers and its lines."""

    def __init__(self) -> None:
        self.order: list[CodeType] = []
        self.callers: dict[CodeType, set[CodeType]] = {}
        self.lines: dict[CodeType, set[int]] = {}

    def call(self, frame: FrameType, event: str, arg: Any) -> Any:
        code = frame.f_code
        if event != "call" or not _ours(code):
            return None  # no line events for torch's own Python
        if code not in self.lines:
            self.order.append(code)
            self.lines[code], self.callers[code] = set(), set()
        if frame.f_back is not None:
            self.callers[code].add(frame.f_back.f_code)
        return self.line

    def line(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.lines[frame.f_code].add(frame.f_lineno)
        return self.line


@functools.lru_cache(maxsize=4096)
def _our_file(filename: str) -> bool:
    # Cached: the tracer asks on every Python call torch makes, and resolving a path is a system call.
    try:
        return Path(filename).resolve().is_relative_to(PACKAGE)
    except (OSError, ValueError):  # "<string>" and the like
        return False


def _ours(code: CodeType) -> bool:
    # Comprehensions and generator expressions show inside the function that holds them.
    return not code.co_name.startswith("<") and _our_file(code.co_filename)


def _is_method(cls: type, code: CodeType) -> bool:
    # The model's own plumbing (_run, encode, _check_input) is no part of the loss's reading.
    found = getattr(cls, code.co_name, None)
    return getattr(found, "__code__", None) is code


def _section(code: CodeType, ran_lines: set[int], names: set[str], weights: bool) -> Section:
    lines, first = inspect.getsourcelines(code)
    source = textwrap.dedent("".join(lines))
    section = Section(code.co_qualname, str(Path(code.co_filename).resolve().relative_to(PACKAGE.parent)), first,
                      source.splitlines(), ran={line - first for line in ran_lines})
    tree = ast.parse(source)
    statements = [node for node in ast.walk(tree) if isinstance(node, ast.stmt)]
    for line, name, statement in _named_lines(tree, statements):
        if name not in names or statement.lineno - 1 not in section.ran:
            continue  # another name, or a branch the kind's options did not take
        (section.weights if weights else section.terms)[line - 1] = name
    return section


def _named_lines(tree: ast.AST, statements: list[ast.stmt]) -> list[tuple[int, str, ast.stmt]]:
    """(line, name, its innermost statement) for every dict entry keyed by a string and every
    assignment to a plain name."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            found += [(key.lineno, key.value, node) for key in node.keys
                      if isinstance(key, ast.Constant) and isinstance(key.value, str)]
        elif isinstance(node, ast.Assign):
            found += [(target.lineno, target.id, node) for target in node.targets if isinstance(target, ast.Name)]
    return [(line, name, _innermost(statements, node)) for line, name, node in found]


def _innermost(statements: list[ast.stmt], node: ast.AST) -> ast.stmt:
    holding = [s for s in statements if s.lineno <= node.lineno and node.end_lineno <= s.end_lineno]
    return min(holding, key=lambda s: s.end_lineno - s.lineno)

