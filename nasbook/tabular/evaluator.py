"""An evaluator that looks results up in the tabular benchmark instead of training.

It has the interface of :class:`~nasbook.evaluation.training.Evaluator` (``evaluate``,
``evaluate_many``, ``task``, ``protocol``, ``device``), so any strategy runs on it
unchanged — a 100-evaluation search takes milliseconds instead of minutes.

Two things keep the lookup honest:

* **Training noise.** The table holds several training seeds per architecture. Each
  query draws one of them from a generator seeded by (search seed, architecture), as if
  the network were trained again from that seed. Like the real evaluator, asking for
  the same architecture again in the same search returns the same trial, marked
  ``cached`` (it costs a budget slot but no compute); another search seed may draw
  another training seed, so repeated searches see the noise a real user would.
* **A simulated clock.** Each fresh lookup advances :attr:`TabularEvaluator.clock` by the
  training time recorded in the table. A trial's ``seconds`` is that recorded time and
  ``extras["simulated_clock"]`` the clock after it, so strategies can be compared at equal
  simulated compute. (``trial.elapsed``, set by the search loop, stays wall-clock time.)
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch

from nasbook.tasks import make_task
from nasbook.evaluation.toy import one_by_one
from nasbook.trial import Trial
from nasbook.validation import check_int
from nasbook.tabular.table import DEFAULT_PATH, BenchTable, load_table


class TabularEvaluator:
    """Look architectures up in a :class:`BenchTable` (default: the one shipped with nasbook)."""

    def __init__(self, table: "BenchTable | str | Path | None" = None) -> None:
        self.table = table if isinstance(table, BenchTable) else load_table(table or DEFAULT_PATH)
        self.space = self.table.space
        self.task = make_task(self.table.task_name)  # DARTS trains its supernet on it
        self.protocol = self.table.protocol
        self.device = torch.device("cpu")
        self.clock = 0.0  # simulated seconds of training spent so far
        self.lookups = 0  # fresh (uncached) lookups
        self._seen: dict[tuple[int, int], Trial] = {}

    def describe(self) -> str:
        return (f"tabular benchmark of {self.table.size} architectures on task {self.table.task_name!r}, "
                f"protocol {self.protocol.name!r} ({self.protocol.epochs} epochs, batch "
                f"{self.protocol.batch_size or 'full'}), {len(self.table.seeds)} training seeds each; "
                "results are looked up, not trained.")

    def seed_index(self, arch_index: int, seed: int) -> int:
        """Which of the table's training seeds a query of (architecture, search seed) sees."""
        rng = np.random.default_rng([seed, arch_index, 20190])
        return int(rng.integers(len(self.table.seeds)))

    def evaluate(self, arch: Mapping[str, Any], seed: int = 0) -> Trial:
        """The recorded trial of ``arch`` for the training seed this search seed draws."""
        seed = check_int("seed", seed, minimum=0)
        arch = self.space.validate(arch)
        i = self.table.index(arch)
        key = (i, seed)
        if key in self._seen:
            hit = self._seen[key]
            return dataclasses.replace(hit, cached=True, seconds=0.0, steps=0,
                                       extras={**hit.extras, "trained_seconds": hit.seconds,
                                               "simulated_clock": self.clock})
        trial = self.table.trial(arch, self.seed_index(i, seed))
        self.clock += trial.seconds
        self.lookups += 1
        trial.extras.update(query_seed=seed, simulated_clock=self.clock)
        self._seen[key] = trial
        return dataclasses.replace(trial, extras=dict(trial.extras))

    def remember(self, trial: Trial) -> None:
        """Count a trial replayed from a run log (a resumed search) as looked up: a later
        repeat is then a cache hit and the simulated clock continues, as without the crash."""
        key = (self.table.index(self.space.validate(trial.arch)), trial.extras.get("query_seed", trial.seed))
        if not trial.cached and key not in self._seen:
            self._seen[key] = trial
            self.clock += trial.seconds
            self.lookups += 1

    def evaluate_many(self, archs: Sequence[Mapping[str, Any]], seed: int = 0,
                      on_trial: Callable[[Trial], None] | None = None,
                      should_stop: Callable[[], bool] | None = None) -> list[Trial]:
        """Evaluate several architectures in order; stops early when ``should_stop()`` is true."""
        return one_by_one(self.evaluate, archs, seed, on_trial, should_stop)
