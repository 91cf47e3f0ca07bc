"""An evaluator that looks results up in the tabular benchmark instead of training.

It is an evaluator like any other (:class:`~nasbook.evaluation.base.BaseEvaluator`:
``evaluate``, ``evaluate_many``, ``task``, ``protocol``, ``device``), so any strategy runs on it
unchanged — a 100-evaluation search takes milliseconds instead of minutes.

Two things keep the lookup honest:

* **Training noise.** The table holds several training seeds per architecture. Each
  query draws one of them from a generator seeded by (search seed, architecture), as if
  the network were trained again from that seed (only seeds the table trained for that
  architecture are drawn, so a partially built table works too). Like the real evaluator,
  asking for the same architecture again in the same search returns the same trial, marked
  ``cached`` (it costs a budget slot but no compute); another search seed may draw
  another training seed, so repeated searches see the noise a real user would.
* **Any recorded epoch** (fidelity, :mod:`nasbook.fidelity`): a request for ``k`` epochs
  reads the run's losses after epoch ``k`` (one of :meth:`TabularEvaluator.fidelities`, the
  table's checkpoints). A promoted candidate *continues*: the table's runs are whole
  learning curves, so the trial at ``k`` of a run seen at ``j`` is what continuing it gives
  (``continued_from=j``, charged and timed for the ``k - j`` extra epochs only), exactly as
  the real :class:`~nasbook.evaluation.training.Evaluator` continues a training it keeps.
* **A partial table** (a build still under way) answers the architectures it trained; any
  other is a ``failed`` trial ("not trained in this partial table": it costs a budget slot and
  no simulated time, like a network that failed to train), so a search never picks it.
* **A simulated clock.** Each fresh lookup advances :attr:`TabularEvaluator.clock` by the
  training time recorded in the table. A trial's ``seconds`` is that recorded time and
  ``extras["simulated_clock"]`` the clock after it, so strategies can be compared at equal
  simulated compute. (``trial.elapsed``, set by the search loop, stays wall-clock time.)
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Hashable, Iterator, Mapping

import numpy as np
import torch

from nasbook.evaluation.base import BaseEvaluator, FidelityWork, Work
from nasbook.trial import Trial
from nasbook.tabular.table import DEFAULT_PATH, BenchTable, load_table


class TabularEvaluator(BaseEvaluator):
    """Look architectures up in a :class:`BenchTable` (default: the one shipped with nasbook)."""

    def __init__(self, table: "BenchTable | str | Path | None" = None) -> None:
        super().__init__(cache=True)  # a repeat in one search is a cache hit, as with training
        self.table = table if isinstance(table, BenchTable) else load_table(table or DEFAULT_PATH)
        self.space = self.table.space
        self.task = self.table.task  # DARTS trains its supernet on it (made once per table)
        self.protocol = self.table.protocol
        self.device = torch.device("cpu")
        self.clock = 0.0  # simulated seconds of training spent so far
        self.lookups = 0  # fresh (uncached) lookups

    def describe(self) -> str:
        return (f"tabular benchmark of {self.table.size} architectures on task {self.table.task_name!r}, "
                f"protocol {self.protocol.name!r} ({self.protocol.epochs} epochs, batch "
                f"{self.protocol.batch_size or 'full'}), {len(self.table.seeds)} training seeds each; "
                "results are looked up, not trained.")

    def seed_index(self, arch_index: int, seed: int) -> int:
        """Which of the table's training seeds a query of (architecture, search seed) sees: one
        of the seeds trained for that architecture (all of them in a complete table; a partial
        table may hold only some), drawn by a generator seeded by both."""
        trained = np.flatnonzero(self.table.done_runs[arch_index])
        rng = np.random.default_rng([seed, arch_index, 20190])
        return int(trained[rng.integers(len(trained))])

    def check_arch(self, arch: Any) -> dict[str, Any]:
        return self.space.validate(arch)

    def cache_key(self, arch: dict[str, Any], seed: int) -> Hashable:
        return self.space.index(arch), seed

    def compute(self, work: Work, should_stop: Callable[[], bool]) -> Iterator[Trial]:
        return (self.look_up(arch, seed) for arch, seed in work)

    def fidelities(self) -> tuple[int, ...]:
        """The epochs the table recorded validation losses at (its checkpoints)."""
        return tuple(self.table.protocol.checkpoints)

    def compute_at(self, work: FidelityWork, should_stop: Callable[[], bool]) -> Iterator[Trial]:
        return (self.look_up(arch, seed, epochs, start) for arch, seed, epochs, start in work)

    def look_up(self, arch: dict[str, Any], seed: int, epochs: int | None = None, start: int = 0) -> Trial:
        """The recorded trial of ``arch`` for the training seed this search seed draws (stopped
        after ``epochs``, continued from ``start``); the simulated clock advances by the
        recorded training time of the epochs it trained."""
        if not self.table.built[self.space.index(arch)]:
            self.lookups += 1
            return Trial(arch=dict(arch), val_loss=None, status="failed", reason="not trained in this partial table",
                         seed=seed, epochs=epochs, continued_from=start,
                         extras={"query_seed": seed, "simulated_clock": self.clock})
        j = self.seed_index(self.table.index(arch), seed)
        trial = self.table.trial(arch, j, epochs=epochs)
        if epochs is not None:
            before = self.table.trial(arch, j, epochs=start) if start else None
            trial.epochs, trial.continued_from = epochs, start
            if before is not None:
                trial.seconds, trial.steps = max(0.0, trial.seconds - before.seconds), max(0, trial.steps - before.steps)
        self.clock += trial.seconds
        self.lookups += 1
        trial.extras.update(query_seed=seed, simulated_clock=self.clock)
        return trial

    def cache_hit(self, hit: Trial, arch: Mapping[str, Any]) -> Trial:
        """A repeat costs no simulated time: its clock reading is the clock now."""
        copy = super().cache_hit(hit, arch)
        copy.extras["simulated_clock"] = self.clock
        return copy

    def remember(self, trial: Trial) -> None:
        """Count a trial replayed from a run log (a resumed search) as looked up: a later
        repeat is then a cache hit and the simulated clock continues, as without the crash.
        Its cache key holds the search seed it was asked with (``extras["query_seed"]``);
        ``trial.seed`` is the table's training seed that search seed drew."""
        plain = self.cache_key(self.check_arch(trial.arch), trial.extras.get("query_seed", trial.seed))
        self._reached_by(trial, plain)
        key = self.fidelity_key(plain, trial.epochs)
        if not trial.cached and key not in self.cache:
            self.cache[key] = trial
            self.clock += trial.seconds
            self.lookups += 1
