"""What the loop does with each finished trial: number it, time it, log it, show it, report it.

The search loop hands every trial to a :class:`Recorder` the moment the evaluator finishes
it. The recorder gives the trial its step and elapsed time, appends it to the run log,
keeps it for the result, moves the progress bar (with the best score so far) and calls the
user's callback (live plots, the dashboard). A trial served from the log of an earlier run
(:mod:`nasbook.loop.resume`) is recorded too, but neither re-timed nor written again.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable

from tqdm.auto import tqdm

from nasbook.loop.runlog import RunLog, no_interrupt
from nasbook.trial import Trial


class Recorder:
    """The finished trials of one search, in the order they finished.

    Args:
        strategy: the search's strategy (its name and mode go into the log and the bar).
        budget: the search's budget (the progress bar's length).
        runlog: where live trials are appended, or None.
        callback: ``callback(trial, strategy)`` after every trial, or None.
        progress: show a progress bar.
        cost: what a trial cost in evaluation-equivalents (the bar moves by it; 1 at full fidelity).

    The loop makes the recorder before it opens the run log, so that :meth:`close` always
    releases the log's lock; :meth:`begin` starts the clock and the progress bar once the log
    is open.
    """

    def __init__(self, strategy: Any, budget: int, runlog: RunLog | None = None,
                 callback: Callable[[Trial, Any], None] | None = None, progress: bool = True,
                 cost: Callable[[Trial], float] = lambda trial: 1) -> None:
        self.strategy, self.runlog, self.callback, self.cost = strategy, runlog, callback, cost
        self.budget, self.progress = budget, progress
        self.trials: list[Trial] = []
        self.resumed = 0  # trials served from the log of an earlier run
        self.best = math.inf  # the best score so far, for the progress bar
        self.start = time.perf_counter()
        self.bar: Any = None

    def begin(self, elapsed: float = 0.0) -> None:
        """Start the clock (``elapsed``: seconds an earlier run this one continues had spent) and the bar."""
        self.start = time.perf_counter() - elapsed
        self.bar = tqdm(total=self.budget, desc=f"{self.strategy.name}/{self.strategy.mode}",
                        disable=not self.progress, leave=True)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start

    def record(self, trial: Trial) -> None:
        """A trial the evaluator has just finished."""
        trial.step, trial.elapsed = len(self.trials), self.seconds
        self.keep(trial, write=True)

    def record_logged(self, trial: Trial) -> None:
        """A trial of an earlier run, served from its log: on disk already, timed back then."""
        trial.step = len(self.trials)
        self.resumed += 1
        self.keep(trial, write=False)

    def keep(self, trial: Trial, write: bool) -> None:
        with no_interrupt():  # the log and the result always hold the same trials
            if write and self.runlog is not None:
                self.runlog.append(trial, strategy=self.strategy.name, mode=self.strategy.mode)
            self.trials.append(trial)
        self.bar.update(self.cost(trial))
        self.best = min(self.best, trial.score)
        self.bar.set_postfix(best=f"{self.best:.4g}" if math.isfinite(self.best) else "-", refresh=False)
        if self.callback is not None:
            self.callback(trial, self.strategy)

    def close(self) -> None:
        """The search has ended: close the progress bar and release the run log's lock."""
        if self.bar is not None:
            self.bar.close()
        if self.runlog is not None:
            self.runlog.close()
