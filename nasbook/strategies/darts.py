"""DARTS: search by gradient descent on a relaxed supernet, then retrain the winner.

Before it proposes anything, the strategy's :meth:`~DARTS.prepare` phase (called once by the
search loop) trains a :class:`~nasbook.oneshot.supernet.SuperNet` by the bi-level
alternation — one step on the weights w (training split), one step on the architecture
parameters α (validation split, by the :class:`~nasbook.oneshot.architect.Architect`) — and then
*discretises* it: every relaxed key takes its most probable choice. That architecture is
the first ``ask()``'s proposal to the search loop, and the evaluator re-trains it from
scratch for its score.

* ``mode="article"`` – the article's setting: a mixed activation per layer (one α row per
  layer, α ~ N(0, 1); nasbook's candidates share the layer's Linear, where the article's code
  gives each candidate op its own) at fixed depth (the space's largest) and width (the space's first
  choice), first order, Adam on w (lr 0.01) and on α (lr 0.001), one full-batch step each
  per epoch. Discretised as the article does — activation = the first layer's argmax,
  learning rate 0.001, Adam, dropout 0.0 — except that every value is snapped to the
  nearest choice *in the space*, so the result is always a valid architecture.
* ``mode="default"`` – relax activation (one α shared by all layers, as the space has one
  activation per network), depth (exit heads) and width (channel masks); α ~ 1e-3·N(0, 1);
  ``order="first"`` or ``"second"``; mini-batches of the evaluator's protocol; Adam on α
  with DARTS' betas (0.5, 0.999) and weight decay 1e-3 but lr 0.03, not DARTS' 3e-4: these
  searches take tens to hundreds of α steps, not tens of thousands. Keys with no
  relaxation start at documented defaults (learning rate 0.001, Adam, dropout 0.0, snapped
  into the space); then the rest of the budget runs a small random search over those keys
  alone, with the relaxed keys fixed at DARTS' choice.

**Budget conversion.** One evaluation trains one network for ``protocol.epochs`` epochs of
``ceil(n_train / batch)`` steps. DARTS is charged one step per forward/backward pass: 1
per weight step, plus 1 (first order) or 4 (second order) per α step (the architect counts
those). So ``prepare()`` returns ``Cost(evaluations=passes / steps_per_evaluation, steps=passes)``,
which the loop charges against the budget (the result's ``charged_evaluations`` and
``extra_steps``). With ``epochs=None`` the supernet gets ``budget − 1`` evaluations' worth
in article mode (one retraining remains) and about half the budget in default mode (the
rest is the follow-up search); a budget too small for one epoch plus one retraining is
refused in ``setup``. A supernet pass is as wide
and deep as the largest architecture, so this charge *favours* DARTS in FLOPs; the result's
``seconds`` tells the wall-clock truth.

**On a cell space** (:mod:`nasbook.spaces.cell`, default mode only) the supernet is a
:class:`~nasbook.oneshot.cell_supernet.CellSuperNet`: every edge a mixed op of the space's
ops, shaped like the space's cell family. Every key is relaxed, so there are no follow-ups:
the supernet gets ``budget − 1`` evaluations' worth and the derived cell is retrained once. The
trace's ``alphas`` hold softmax(α) per edge. ``max_skips`` is DARTS+'s early stopping (Liang et
al., 2019): stop the supernet after the first epoch whose derived cell has at least that many
skip connections, a sign of collapse onto parameter-free ops, and keep that cell.
``max_free_edges`` is the same rule counting every parameter-free edge (``none``, skip, pooling:
:data:`~nasbook.oneshot.cell_supernet.PARAMETER_FREE`), for tasks where the drift goes onto
``none`` and pooling rather than skips. One loop serves both: each is an indicator
(:data:`~nasbook.oneshot.cell_supernet.COLLAPSE_INDICATORS`) with a threshold; the first to
reach its threshold stops the search, and the trace's last entry says ``stopped`` (by which).
"""
from __future__ import annotations

import itertools
import math
from typing import Any

import torch

from nasbook.oneshot.architect import PASSES, Architect, weight_step
from nasbook.oneshot.cell_supernet import COLLAPSE_INDICATORS, CellSuperNet, count_ops
from nasbook.evaluation.protocols import MAX_EPOCHS, PROTOCOLS, loss_function
from nasbook.spaces.cell import CellFamily
from nasbook.spaces.mlp import MLP_FAMILY
from nasbook.spaces.space import Arch, SearchSpace
from nasbook.oneshot.supernet import SuperNet
from nasbook.tasks import Task
from nasbook.trial import Trial
from nasbook.loop.budget import Cost
from nasbook.validation import NasbookError, check_choice, check_float, check_int, fail
from nasbook.strategies.base import Strategy
from nasbook.strategies.trace import DartsEntry

RELAXED = ("activation_function", "num_hidden_layers", "hidden_layer_size")
FIXED_DEFAULTS = {"learning_rate": 0.001, "optimizer": "Adam", "dropout_rate": 0.0}  # the article's too


def nearest(choices: list[Any], value: Any) -> Any:
    """The choice equal to ``value``, else the closest number (log scale for learning rates), else the first."""
    if value in choices:
        return value
    if isinstance(value, (int, float)) and all(isinstance(c, (int, float)) for c in choices):
        if value > 0 and all(c > 0 for c in choices):
            return min(choices, key=lambda c: abs(math.log(c) - math.log(value)))
        return min(choices, key=lambda c: abs(c - value))
    return choices[0]


class DARTS(Strategy):
    """Differentiable architecture search (Liu et al., 2019) on nasbook's MLP space or a cell space.

    Args:
        epochs: supernet epochs; ``None`` derives them from the search budget.
        order: ``"first"`` or ``"second"`` (article mode is always first order).
        weight_lr, alpha_lr: Adam learning rates of w and α (None: the mode's default, 0.01 for
            w; 0.001 for α in article mode, 0.03 in default mode).
        supernet_share: default mode's share of the budget spent on the supernet (MLP spaces).
        max_skips: cell spaces only: stop the supernet once the derived cell has this many
            skip connections (DARTS+, Liang et al. 2019, use 2); None: never stop early.
        max_free_edges: cell spaces only: stop once the derived cell has this many parameter-free
            edges (``none``, skip, pooling); None: never. With both, the first to fire stops.
    """

    name = "darts"
    plans_with_budget = True  # the supernet's share depends on the budget, and so do the proposals
    mode_defaults = {"article": {"weight_lr": 0.01, "alpha_lr": 1e-3},
                     "default": {"weight_lr": 0.01, "alpha_lr": 3e-2}}

    def __init__(self, mode: str = "default", epochs: int | None = None, order: str = "first",
                 weight_lr: float | None = None, alpha_lr: float | None = None,
                 supernet_share: float = 0.5, max_skips: int | None = None,
                 max_free_edges: int | None = None) -> None:
        super().__init__(mode)
        self.epochs = None if epochs is None else check_int("epochs", epochs, 1, MAX_EPOCHS)
        self.order = check_choice("order", order, PASSES)
        if self.mode == "article" and self.order != "first":
            raise fail("order", order, "'first' in article mode (the article's); use mode='default' for 'second'")
        self.weight_lr = None if weight_lr is None else check_float("weight_lr", weight_lr, 0.0, 10.0)
        self.alpha_lr = None if alpha_lr is None else check_float("alpha_lr", alpha_lr, 0.0, 10.0)
        self.supernet_share = check_float("supernet_share", supernet_share, 0.0, 1.0, high_open=True)
        self.max_skips = None if max_skips is None else check_int("max_skips", max_skips, 1, 6)
        self.max_free_edges = None if max_free_edges is None else check_int("max_free_edges", max_free_edges, 1, 6)

    # -- setup: data, cost model, learning rates ---------------------------------------------
    def setup(self, space: SearchSpace, seed: int, evaluator: Any = None, budget: int | None = None) -> None:
        super().setup(space, seed, evaluator, budget)
        self.cell = isinstance(space.family, CellFamily)
        if space.family is not None and space.family is not MLP_FAMILY and not self.cell:
            raise fail("space", f"a space of the {space.family.name} family", "a space of the mlp or the cell "
                       "family: DARTS relaxes an MLP's activation, depth and width, or a cell's edges")
        if self.cell and self.mode == "article":
            raise fail("mode", self.mode, "'default' on a cell space (the article's DARTS is the MLP's)")
        for name in COLLAPSE_INDICATORS:
            if not self.cell and getattr(self, name) is not None:
                raise fail(name, getattr(self, name), "None on an MLP space (it counts a cell's edges)")
        task = getattr(evaluator, "task", None)
        if not isinstance(task, Task):
            raise fail("evaluator", type(evaluator).__name__,
                       "an evaluator that trains on a task (e.g. nasbook.Evaluator(task='synthetic')): DARTS "
                       "trains a supernet on the task's data, which a toy or lookup-table evaluator has not")
        self.task = task
        self.device = getattr(evaluator, "device", "cpu")
        protocol = getattr(evaluator, "protocol", PROTOCOLS["default"])
        n = len(task.X_train)
        self.batch = min(protocol.batch_size or n, n)
        self.steps_per_epoch = math.ceil(n / self.batch)
        self.steps_per_evaluation = protocol.epochs * self.steps_per_epoch
        self.lr_w, self.lr_alpha = self.setting("weight_lr"), self.setting("alpha_lr")
        self.chosen: Arch | None = None  # the supernet's choice, set by prepare()
        self.asked_chosen = False
        self.followups: list[Arch] = []
        if budget is not None and math.floor(budget - self.planned_cost()) < 1:
            epochs = self.supernet_epochs()
            raise fail("budget", budget, f"at least {math.ceil(self.planned_cost()) + 1}: DARTS' supernet "
                       f"({epochs} epoch{'s' if epochs != 1 else ''}) costs {self.planned_cost():g} "
                       f"evaluations, and one retraining of its choice costs 1 more (or pass fewer epochs=)")

    def planned_cost(self) -> float:
        """What the supernet will cost, in evaluations (less if it diverges and stops early)."""
        passes_per_epoch = self.steps_per_epoch * (1 + PASSES[self.order])
        return self.supernet_epochs() * passes_per_epoch / self.steps_per_evaluation

    def supernet_epochs(self) -> int:
        """Epochs that cost the supernet's share of the budget (or ``epochs`` when given)."""
        if self.epochs is not None:
            return self.epochs
        if self.budget is None:  # used outside nasbook.search: the article's 50 epochs
            return 50
        whole = self.mode == "article" or self.cell  # nothing left to search after the supernet
        share = self.budget - 1 if whole else math.floor(self.budget * self.supernet_share)
        passes_per_epoch = self.steps_per_epoch * (1 + PASSES[self.order])
        return max(1, math.floor(share * self.steps_per_evaluation / passes_per_epoch))

    def choices(self, key: str) -> list[Any]:
        return self.space.choices.get(key, [MLP_FAMILY.defaults[key]])

    def build(self) -> SuperNet | CellSuperNet:
        if self.cell:  # shaped like the networks the space's family builds (and the evaluator trains)
            net = CellSuperNet.for_space(self.space, self.task.input_shape, self.task.out_features, self.space.family,
                                         seed=int(self.rng.integers(2**31)))
            net.init_alphas(1e-3, torch.Generator().manual_seed(int(self.rng.integers(2**31))))
            return net.to(self.device)
        article = self.mode == "article"
        depths, widths = self.choices("num_hidden_layers"), self.choices("hidden_layer_size")
        if article:  # the article: deepest network at the first width; only the activation is relaxed
            depths, widths = [max(depths)], [widths[0]]
        net = SuperNet(self.task.in_features, self.task.out_features, self.choices("activation_function"),
                       sorted(depths), widths, per_layer_activation=article,
                       seed=int(self.rng.integers(2**31)))
        net.init_alphas(1.0 if article else 1e-3, torch.Generator().manual_seed(int(self.rng.integers(2**31))))
        return net.to(self.device)

    # -- the search itself: the prepare phase -------------------------------------------------
    def prepare(self) -> Cost:
        """Train the supernet and discretise it (called once by the loop, before the first ask)."""
        net, cost = self.train_supernet()
        self.chosen = self.discretise(net)
        if self.mode == "default" and not self.cell:
            self.followups = self.follow_up_candidates(self.chosen)
        return cost

    def train_supernet(self) -> tuple[SuperNet | CellSuperNet, Cost]:
        """The bi-level alternation; records softmax(α) after every epoch in the trace.

        Returns the trained supernet and its cost: one pass per weight step plus the
        architect's passes, in evaluation-equivalents.
        """
        net = self.build()
        criterion = loss_function(self.task)
        w_opt = torch.optim.Adam(net.weights(), lr=self.lr_w)
        architect = Architect(net, criterion, order=self.order, lr=self.lr_alpha, xi=self.lr_w,
                              **({"betas": (0.9, 0.999), "weight_decay": 0.0} if self.mode == "article" else {}))
        weight_steps = 0
        dev = self.device
        X, y = self.task.X_train.to(dev), self.task.y_train.to(dev)
        Xv, yv = self.task.X_val.to(dev), self.task.y_val.to(dev)
        order = torch.Generator().manual_seed(int(self.rng.integers(2**31)))
        last_good = [a.detach().clone() for a in net.arch_parameters()]
        for epoch in range(1, self.supernet_epochs() + 1):
            rows = torch.randperm(len(X), generator=order).to(dev)
            val_rows = torch.randint(len(Xv), (len(X),), generator=order).to(dev)
            train_loss = val_loss = 0.0
            for lo in range(0, len(X), self.batch):
                batch, vbatch = rows[lo:lo + self.batch], val_rows[lo:lo + self.batch]
                if self.batch >= len(X):  # full batch, like the article
                    batch, vbatch = slice(None), slice(None)
                train_loss += weight_step(net, w_opt, criterion, (X[batch], y[batch])) / self.steps_per_epoch
                val_loss += architect.step((X[batch], y[batch]), (Xv[vbatch], yv[vbatch])) / self.steps_per_epoch
                weight_steps += 1
            if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
                with torch.no_grad():  # the supernet diverged: keep the last finite α and stop
                    for alpha, saved in zip(net.arch_parameters(), last_good):
                        alpha.copy_(saved)
                self.trace.append(DartsEntry(kind="darts", epoch=epoch, diverged=True,
                                             alphas=self.probabilities(net)))
                break
            last_good = [a.detach().clone() for a in net.arch_parameters()]
            self.trace.append(DartsEntry(kind="darts", epoch=epoch, train_loss=train_loss, val_loss=val_loss,
                                         alphas=self.probabilities(net)))
            fired = self.collapse_indicator(self.discretise(net)) if self.cell else None
            if fired is not None:  # DARTS+: collapse is under way, stop here
                self.trace[-1]["stopped"] = True
                self.trace[-1]["stopped_by"] = fired
                break
        passes = weight_steps + architect.passes
        return net, Cost(evaluations=passes / self.steps_per_evaluation, steps=passes)

    def collapse_indicator(self, cell: Arch) -> str | None:
        """The first early-stopping rule (``max_skips``, ``max_free_edges``) whose threshold ``cell``
        reaches, or None (also when no rule is set: plain DARTS)."""
        for name, ops in COLLAPSE_INDICATORS.items():
            limit = getattr(self, name)
            if limit is not None and count_ops(cell, ops) >= limit:
                return name
        return None

    def probabilities(self, net: SuperNet | CellSuperNet) -> dict[str, list[float]]:
        """softmax(α) per relaxed key (article mode: one activation entry per layer; a cell: per edge)."""
        if isinstance(net, CellSuperNet):  # the space's edges (one it leaves out is fixed, not searched)
            return {key: p for key, p in net.probabilities().items() if key in self.space.keys}
        p = net.probabilities()
        out: dict[str, list[float]] = {}
        if self.mode == "article":
            for layer, row in enumerate(p["activation"], start=1):
                out[f"activation_function[layer {layer}]"] = row
        else:
            out["activation_function"] = p["activation"][0]
            out["num_hidden_layers"] = p["depth"]
            out["hidden_layer_size"] = p["width"]
        return out

    def discretise(self, net: SuperNet | CellSuperNet) -> Arch:
        """Every key of the space at one choice: argmax of α where relaxed, defaults elsewhere."""
        if isinstance(net, CellSuperNet):
            return {key: net.derive()[key] for key in self.space.keys}
        a_act = net.alpha_activation.detach()[0]  # article mode: the first layer, as the article
        picked = {"activation_function": net.activation_names[int(a_act.argmax())],
                  "num_hidden_layers": net.depths[int(net.alpha_depth.detach().argmax())],
                  "hidden_layer_size": net.widths[int(net.alpha_width.detach().argmax())],
                  **FIXED_DEFAULTS}
        return {key: nearest(self.space.choices[key], picked[key]) for key in self.space.keys}

    def ask(self) -> list[Arch]:
        if self.chosen is None:
            raise NasbookError("DARTS.ask() was called before prepare(): the supernet decides what to "
                               "propose (nasbook.search calls prepare() once, after setup)")
        if not self.asked_chosen:
            self.asked_chosen = True
            return [self.chosen]
        if self.followups:
            return [self.followups.pop(0)]
        return [self.chosen]  # nothing left to try: a repeat (the evaluator's cache answers it)

    def follow_up_candidates(self, arch: Arch) -> list[Arch]:
        """Default mode: the unrelaxed keys' other combinations, relaxed keys fixed, in random order."""
        keys = [k for k in self.space.keys if k not in RELAXED]
        combos = [dict(zip(keys, values)) for values in itertools.product(*(self.space.choices[k] for k in keys))]
        combos = [{**arch, **c} for c in combos if {**arch, **c} != arch]
        return [combos[int(i)] for i in self.rng.permutation(len(combos))]

    def tell(self, trials: list[Trial]) -> None:
        pass  # the supernet already decided; retraining only scores its choice
