"""Reinforcement learning: an RNN *controller* learns a policy over architectures (REINFORCE).

The controller (Zoph & Le, 2017, in miniature) makes one categorical decision per key of the
space, in order: at step k its hidden state goes through the k-th *head* to give the logits
over that key's choices. Sampling all keys gives an architecture; its validation loss gives a
*reward*; REINFORCE (Williams, 1992) raises the log-probability of the choices in proportion
to the reward:  ``loss = -(reward - baseline) * log p(arch)``.

Two versions share this module and the search loop:

* ``mode="article"`` – the article's update: one architecture per update, reward = −validation
  loss, no baseline, Adam with lr 0.01, the RNN's input is always zero. Every reward is
  negative, so every sampled architecture is pushed *down* — only by less when it is good —
  and a single huge loss dominates the gradient: that is the flaw worth teaching.
  A *diverged* trial has no loss (the article's code would feed NaN into the gradient and
  poison the controller for the rest of the run). Here article mode **skips the update** for
  such an episode: nothing is learned from it, it still costs its evaluation, and the trace
  marks it ``skipped``. No NaN ever reaches a gradient. (The same holds for a finite loss so
  large that the gradient overflows: that update is skipped too.)
* ``mode="default"`` – what a careful practitioner does: ``batch_size`` architectures per
  update; a bounded reward ``clip(−log(loss), −R, R)`` (a failure gets ``−R``), so one
  diverged or terrible trial cannot blow up the update; a moving-average *baseline* (the
  advantage ``reward − baseline`` has both signs); an *entropy bonus* against collapsing too
  early; gradient-norm clipping; and the previous decision is fed back into the RNN (so the
  controller can learn dependencies between keys).

After every update ``self.trace`` gets the per-key choice probabilities *conditional on the
greedy path*: key k's distribution given the most probable choices of keys 1..k−1. For article
mode's zero input these are exactly the policy's marginals; in default mode, where the RNN
sees its previous choice, :meth:`REINFORCE.marginals` estimates the marginals by sampling.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Iterator

import torch
from torch import nn

from nasbook.spaces.space import Arch, SearchSpace
from nasbook.trial import Trial
from nasbook.validation import check_float, check_int
from nasbook.strategies.base import MAX_PROPOSALS, Strategy
from nasbook.strategies.trace import RLEntry


MAX_HIDDEN = 4096  # the article's controller has 64; 4096 is already 50 M weights, 10**6 would be 10**12
# Also bounded (typos, not taste): entropy_weight <= 100 (the default is 0.1), reward_bound <= 1000
# (-log of the smallest positive float is 745), max_grad_norm <= 1e6 (the default is 1).


@contextmanager
def one_thread() -> Iterator[None]:
    """Run a tiny network on one CPU thread (restored afterwards).

    The controller's tensors have a few hundred numbers: handing each operation to a thread
    pool costs far more than the arithmetic, and on a busy machine many times more.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class Controller(nn.Module):
    """An RNN cell plus one linear head per key; optionally fed its previous decision."""

    def __init__(self, sizes: list[int], hidden: int = 64, feed_choices: bool = True) -> None:
        super().__init__()
        self.sizes = sizes
        self.hidden = hidden
        self.feed_choices = feed_choices
        self.cell = nn.RNNCell(hidden if feed_choices else 1, hidden)
        self.heads = nn.ModuleList(nn.Linear(hidden, n) for n in sizes)
        # token 0 starts the sequence; choice j of key k is token offsets[k] + j + 1
        self.embed = nn.Embedding(sum(sizes) + 1, hidden) if feed_choices else None
        self.offsets = [sum(sizes[:k]) for k in range(len(sizes))]

    def reset_parameters(self, generator: torch.Generator) -> None:
        """PyTorch's default RNN initialisation (uniform ±1/sqrt(hidden)), drawn from ``generator``."""
        bound = 1.0 / math.sqrt(self.hidden)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound, generator=generator)

    def run(self, batch: int, actions: torch.Tensor | None = None, how: str = "sample",
            generator: torch.Generator | None = None) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Unroll over the keys. Returns the logits per key and the decisions ``[batch, keys]``.

        The decisions are ``actions`` when given (to score them), else sampled from the
        policy (``how="sample"``) or its most probable choice (``how="greedy"``).
        """
        h = torch.zeros(batch, self.hidden)
        inp = self._input(torch.zeros(batch, dtype=torch.long))
        all_logits, chosen = [], []
        for k, head in enumerate(self.heads):
            h = self.cell(inp, h)
            logits = head(h)
            if actions is not None:
                a = actions[:, k]
            elif how == "greedy":
                a = logits.argmax(dim=-1)
            else:
                a = torch.multinomial(torch.softmax(logits.detach(), dim=-1), 1, generator=generator).squeeze(1)
            all_logits.append(logits)
            chosen.append(a)
            inp = self._input(a + self.offsets[k] + 1)
        return all_logits, torch.stack(chosen, dim=1)

    def _input(self, tokens: torch.Tensor) -> torch.Tensor:
        if self.embed is None:  # the article's controller: the input is always zero
            return torch.zeros(len(tokens), 1)
        return self.embed(tokens)


class REINFORCE(Strategy):
    """A policy-gradient NAS controller.

    Args:
        batch_size: architectures per controller update (None: 1 in article mode, the
            article's; 4 in default mode).
        lr: Adam learning rate of the controller (None: the article's 0.01 in article mode,
            0.005 in default mode).
        hidden: RNN hidden size (the article's is 64).
        entropy_weight, baseline_decay, reward_bound, max_grad_norm: default mode only.
    """

    name = "rl"
    mode_defaults = {"article": {"batch_size": 1, "lr": 0.01}, "default": {"batch_size": 4, "lr": 0.005}}

    def __init__(self, mode: str = "default", batch_size: int | None = None, lr: float | None = None,
                 hidden: int = 64, entropy_weight: float = 0.1, baseline_decay: float = 0.8,
                 reward_bound: float = 7.0, max_grad_norm: float = 1.0) -> None:
        super().__init__(mode)
        self.batch_size = None if batch_size is None else check_int("batch_size", batch_size, 1, MAX_PROPOSALS)
        self.lr = None if lr is None else check_float("lr", lr, 0.0, 10.0)
        self.hidden = check_int("hidden", hidden, 1, MAX_HIDDEN)
        self.entropy_weight = check_float("entropy_weight", entropy_weight, 0.0, 100.0)
        self.baseline_decay = check_float("baseline_decay", baseline_decay, 0.0, 1.0, high_open=True)
        self.reward_bound = check_float("reward_bound", reward_bound, 0.0, 1000.0)
        self.max_grad_norm = check_float("max_grad_norm", max_grad_norm, 0.0, 1e6)

    def setup(self, space: SearchSpace, seed: int, evaluator: Any = None, budget: int | None = None) -> None:
        super().setup(space, seed, evaluator, budget)
        self.per_update = self.setting("batch_size")  # architectures per controller update
        self.generator = torch.Generator().manual_seed(int(self.rng.integers(2**62)))
        sizes = [len(space.choices[k]) for k in space.keys]
        self.controller = Controller(sizes, self.hidden, feed_choices=self.mode == "default")
        self.controller.reset_parameters(self.generator)
        self.optimizer = torch.optim.Adam(self.controller.parameters(), lr=self.setting("lr"))
        self.baseline: float | None = None
        self.updates = 0
        self.asked = torch.zeros(0, len(sizes), dtype=torch.long)
        self.record(rewards=[], skipped=False)

    def ask(self) -> list[Arch]:
        with torch.no_grad(), one_thread():
            _, self.asked = self.controller.run(self.per_update, generator=self.generator)
        return [self.space.decode(row.tolist()) for row in self.asked]

    def reward(self, trial: Trial) -> float:
        """Default mode's bounded reward: −log(loss) clipped to ±R; a failure gets −R."""
        if not trial.ok:
            return -self.reward_bound
        return float(min(max(-math.log(max(trial.val_loss, 1e-300)), -self.reward_bound), self.reward_bound))

    def tell(self, trials: list[Trial]) -> None:
        with one_thread():
            self.update(trials)

    def update(self, trials: list[Trial]) -> None:
        """One REINFORCE step on the controller from the trials of the last ask."""
        actions = self.asked[: len(trials)]
        if self.mode == "article":
            keep = [i for i, t in enumerate(trials) if t.ok]  # a diverged episode is skipped
            rewards = [-trials[i].val_loss for i in keep]
            if not keep:
                self.updates += 1
                self.record(rewards=[], skipped=True)
                return
            logp, _ = self.log_prob(actions[keep])
            loss = (logp * -torch.tensor(rewards)).sum()  # the article's policy loss, no baseline
        else:
            if not trials:
                return
            rewards = [self.reward(t) for t in trials]
            if self.baseline is None:
                self.baseline = sum(rewards) / len(rewards)
            advantage = torch.tensor(rewards) - self.baseline
            logp, entropy = self.log_prob(actions)
            loss = -(advantage * logp).mean() - self.entropy_weight * entropy.mean()
        self.optimizer.zero_grad()
        loss.backward()
        if not all(torch.isfinite(p.grad).all() for p in self.controller.parameters() if p.grad is not None):
            self.updates += 1  # a finite but astronomically large loss overflowed: skip, never step on inf/NaN
            self.record(rewards=rewards, skipped=True)
            return
        if self.mode == "default":
            nn.utils.clip_grad_norm_(self.controller.parameters(), self.max_grad_norm)
            mean = sum(rewards) / len(rewards)
            self.baseline = self.baseline_decay * self.baseline + (1 - self.baseline_decay) * mean
        self.optimizer.step()
        self.updates += 1
        self.record(rewards=rewards, skipped=False)

    def log_prob(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """log p(architecture) and the policy's entropy (summed over keys), per row of ``actions``."""
        logits, _ = self.controller.run(len(actions), actions=actions)
        logp = torch.zeros(len(actions))
        entropy = torch.zeros(len(actions))
        for k, key_logits in enumerate(logits):
            log_probs = torch.log_softmax(key_logits, dim=-1)
            logp = logp + log_probs.gather(1, actions[:, k:k + 1]).squeeze(1)
            entropy = entropy - (log_probs.exp() * log_probs).sum(dim=-1)
        return logp, entropy

    @torch.no_grad()
    def probabilities(self) -> dict[str, list[float]]:
        """Per key, the probability of each choice (along the most probable path)."""
        with one_thread():
            logits, _ = self.controller.run(1, how="greedy")
        return {key: torch.softmax(l[0], dim=-1).tolist() for key, l in zip(self.space.keys, logits)}

    @torch.no_grad()
    def marginals(self, samples: int = 2000, seed: int = 0) -> dict[str, list[float]]:
        """Per key, how often each choice is *sampled*: the policy's marginals, estimated.

        :meth:`probabilities` (and the trace) give each key's distribution *given* the most
        probable choices of the keys before it; when the RNN is fed its previous choice
        (default mode) the marginals can differ. Uses its own generator: the search's
        random stream is not touched.
        """
        samples = check_int("samples", samples, 1, 10**6)
        with one_thread():
            _, actions = self.controller.run(samples, generator=torch.Generator().manual_seed(seed))
        return {key: (torch.bincount(actions[:, k], minlength=len(self.space.choices[key])).double() / samples).tolist()
                for k, key in enumerate(self.space.keys)}

    def record(self, rewards: list[float], skipped: bool) -> None:
        self.trace.append(RLEntry(kind="rl", update=self.updates, probs=self.probabilities(),
                                  rewards=list(rewards), baseline=self.baseline, skipped=skipped))
