"""Resume a search from its run log, as if it had never stopped.

A search is a deterministic function of its seed: the strategy draws every random number
from ``self.rng`` (seeded by the search seed), and every training run uses the search seed.
So a killed search can be rebuilt without saving any strategy state: run the same loop
again with the evaluator wrapped in a :class:`ResumingEvaluator`. Whenever the strategy
proposes an architecture, the wrapper hands back its trial from the log instead of
training it. The strategy is told exactly what it was told the first time, so its state
(an RL controller's weights, an EA's population, a random generator) ends up exactly where
it was, and once the log runs out the wrapper trains *live*.

    search("evolution", budget=50, seed=0, log="run.jsonl", resume=True)

What is checked, so that a resumed run can only ever equal the uninterrupted one:

* the log's header must describe the same run (strategy, mode, parameters, seed, budget,
  space, task, protocol, evaluator); a difference is refused, naming the field;
* every served proposal must be the architecture the log holds next; a *divergence*
  (the strategy now proposes something else) is refused, naming the trial;
* a half-written last line (the process was killed mid-write) is reported and cut off
  before anything new is appended; a damaged line elsewhere is refused by
  :func:`~nasbook.loop.runlog.read_log`.

A log written before nasbook 0.2 still resumes: its mode ``"seed"`` reads ``"article"``,
and its ``params`` (which then held some state beside the constructor's parameters, with
the mode's defaults filled in) are compared on the constructor's parameters alone.

``resume=True`` on a log that does not exist yet simply starts it, so the same notebook
cell or command works the first time and after every crash.
"""
from __future__ import annotations

import json
import os
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from nasbook.evaluation.base import BaseEvaluator, WrappingEvaluator, fidelity_of
from nasbook.fidelity import cost
from nasbook.loop.budget import TOLERANCE
from nasbook.evaluation.protocols import ALIASES as PROTOCOL_ALIASES
from nasbook.loop.runlog import HEADER_BYTES, existing_kind, json_safe, not_a_run_log, read_bytes, read_log
from nasbook.strategies.base import MODE_ALIASES, Strategy
from nasbook.trial import Trial
from nasbook.validation import NasbookError, fail

# Header fields that must match for the log to belong to this run (device and version may differ).
MUST_MATCH = ("strategy", "mode", "seed", "budget", "space", "task", "task_seed", "task_data",
              "protocol", "evaluator", "params")  # params last: it may repeat the budget


@dataclass
class EarlierRun:
    """The trials a run log holds, checked against this run, and what reading it noticed."""

    path: Path
    trials: list[Trial]
    notes: list[str] = field(default_factory=list)

    @property
    def elapsed(self) -> float:
        """The earlier run's clock at its last trial (a resumed run's clock goes on from there)."""
        return self.trials[-1].elapsed if self.trials else 0.0


class ResumingEvaluator(WrappingEvaluator):
    """Serves an earlier run's logged trials in the order the loop asks, then trains live.

    It wraps the live ``evaluator`` (everything else is that evaluator's). A served
    trial is given back to the live evaluator (``remember``, so its cache answers a
    later repeat) and reported through ``on_logged`` instead of ``on_trial``: it is on disk
    already, and keeps the time it was trained at.
    """

    def __init__(self, evaluator: BaseEvaluator, earlier: EarlierRun, on_logged: Callable[[Trial], None]) -> None:
        super().__init__(evaluator)
        self.path, self.on_logged = earlier.path, on_logged
        self.queue: deque[Trial] = deque(earlier.trials)
        self.total = len(earlier.trials)

    def evaluate_many(self, archs: list[dict[str, Any]], seed: int = 0, on_trial: Callable | None = None,
                      should_stop: Callable | None = None, epochs: list[int | None] | None = None) -> list[Trial]:
        """The trials of one ``ask()``, taken from the log as far as it goes, in the order of ``archs``.

        A batch the log covers only in part (the crash came mid-batch) is evaluated *whole*
        again: the evaluator trains a batch's same-shape networks together, and float
        rounding depends on that company, so only the whole batch reproduces the
        uninterrupted run bit for bit. The logged trials are still the ones reported and
        told; the cost is retraining at most one batch.
        """
        logged = self.take(archs, epochs)
        fidelity = fidelity_of(epochs)
        if not logged:  # the log has run out: train live
            return self.inner.evaluate_many(archs, seed, on_trial=on_trial, should_stop=should_stop, **fidelity)
        if len(logged) == len(archs):
            for trial in logged:
                self.serve(trial)
            return logged
        position = iter(range(len(archs)))

        def delivered(trial: Trial) -> None:  # the evaluator reports in ask order
            i = next(position)
            if i < len(logged):
                self.serve(logged[i])  # retrained only for company: the log's trial counts
            elif on_trial is not None:
                on_trial(trial)

        live = self.inner.evaluate_many(archs, seed, on_trial=delivered, should_stop=should_stop, **fidelity)
        return logged[:len(live)] + live[len(logged):]

    def take(self, archs: list[dict[str, Any]], epochs: list[int | None] | None = None) -> list[Trial]:
        """The logged trials that answer the first of ``archs`` (at their ``epochs``); refuse a divergence."""
        fidelities = self.inner.fidelities()
        full = fidelities[-1] if fidelities else None
        wanted = [(arch, full if e is None else e) for arch, e in zip(archs, epochs or [None] * len(archs))]

        def answers(trial: Trial, request: tuple[dict[str, Any], int | None]) -> bool:
            return trial.arch == request[0] and (full if trial.epochs is None else trial.epochs) == request[1]

        logged: list[Trial] = []
        while self.queue and len(logged) < len(archs) and answers(self.queue[0], wanted[len(logged)]):
            logged.append(self.queue.popleft())
        if self.queue and len(logged) < len(archs):
            step, trial = self.total - len(self.queue), self.queue[0]
            at = "" if full is None else f" at {wanted[len(logged)][1]} epochs"
            was = "" if full is None else f" at {full if trial.epochs is None else trial.epochs} epochs"
            raise NasbookError(
                f"cannot resume from {self.path}: logged trial {step} is {trial.arch}{was}, but the "
                f"strategy now proposes {archs[len(logged)]}{at}; the log came from a different run, or "
                f"the strategy is not deterministic for a given seed")
        return logged

    def serve(self, trial: Trial) -> None:
        self.inner.remember(trial)
        self.on_logged(trial)


def open_earlier_run(path: "str | os.PathLike[str]", header: dict[str, Any],
                     strategy: Strategy, same_data: tuple[str, ...] = (),
                     full_epochs: int | None = None) -> EarlierRun | None:
    """Check the log at ``path`` against this run's ``header`` and prepare it for appending.

    ``same_data`` lists other fingerprints of this run's task data (nasbook 0.2.0 also hashed
    the test split, which a search never sees): a log that names one of them matches.
    ``full_epochs`` (the evaluator's full training) prices trials logged at a fidelity.

    Returns None when there is nothing to resume (no file, or an empty one): the caller then
    starts a fresh log.
    """
    path = Path(path)
    kind = existing_kind(path)  # reads at most the first line (a huge file is not read whole)
    if kind == "not a run log":
        raise not_a_run_log(path)
    if kind == "nothing" and (not path.exists() or b"\n" not in read_bytes(path, HEADER_BYTES)):
        return None  # nothing logged yet (or only a half-written header): start afresh
    logged, trials, notes = read_log(path)
    old = is_old(logged.get("params"), strategy)
    logged, expected = in_todays_terms(logged, strategy), as_stored(header)
    if old:  # written before nasbook 0.2, with the mode's defaults filled in
        expected["params"] = as_stored({k: strategy.setting(k) for k in strategy.params()})
    if logged.get("task_data") is not None and logged.get("task_data") in same_data:
        logged["task_data"] = expected.get("task_data")  # the same data, hashed the 0.2.0 way
    for key in MUST_MATCH:
        if logged.get(key) != expected.get(key):
            raise NasbookError(f"cannot resume from {path}: it was written with {key}="
                               f"{logged.get(key)!r}, this run has {key}={expected.get(key)!r}; use the "
                               f"same settings, or a new log path to start a new search")
    if sum(cost(trial, full_epochs) for trial in trials) > header["budget"] + TOLERANCE:
        raise NasbookError(f"{path}: the log holds {len(trials)} trials, more than budget={header['budget']} "
                           f"allows")
    for key in ("device", "nasbook"):
        if logged.get(key) != expected.get(key):
            notes.append(f"{path}: the log was written with {key}={logged.get(key)!r}, this run uses "
                         f"{expected.get(key)!r}; replay is exact, new trials may differ slightly")
    if cut_half_line(path):
        notes.append(f"{path}: the half-written last line was removed before appending")
    return EarlierRun(path, trials, notes)


def as_stored(value: Any) -> Any:
    """``value`` as the log stores it (JSON), to compare like with like."""
    return json.loads(json.dumps(json_safe(value), default=str))


def is_old(params: Any, strategy: Strategy) -> bool:
    """True for ``params`` written before nasbook 0.2: they hold names the constructor has not."""
    return isinstance(params, dict) and not set(params) <= set(strategy.params())


def in_todays_terms(header: dict[str, Any], strategy: Strategy) -> dict[str, Any]:
    """A header as nasbook writes it today: mode ``"seed"`` is ``"article"``, and so is the
    protocol called ``"seed"``; an old header's ``params`` keep only the constructor's
    parameters (compared with their resolved values)."""
    header = dict(header, mode=MODE_ALIASES.get(header.get("mode"), header.get("mode")))
    protocol = header.get("protocol")
    if isinstance(protocol, dict) and protocol.get("name") in PROTOCOL_ALIASES:
        header["protocol"] = dict(protocol, name=PROTOCOL_ALIASES[protocol["name"]])
    params = header.get("params")
    if is_old(params, strategy):
        header["params"] = {k: v for k, v in params.items() if k in strategy.params()}
        if "mode" in header["params"]:
            header["params"]["mode"] = MODE_ALIASES.get(params["mode"], params["mode"])
    return header


def cut_half_line(path: Path) -> bool:
    """Drop a half-written last line (no newline, not valid JSON), so appends start clean.

    The file is changed in place, never rewritten: truncated after its last newline, or
    given the newline a complete last line lacks, so no crash can lose the lines before.
    Returns True if a line was dropped.
    """
    data = read_bytes(path)
    if not data or data.endswith(b"\n"):
        return False
    start = data.rfind(b"\n") + 1
    try:
        json.loads(data[start:])
        complete = True  # the line was complete but for its newline
    except ValueError:
        complete = False
    try:
        with open(path, "r+b") as f:
            if complete:
                f.seek(0, os.SEEK_END)
                f.write(b"\n")
            else:
                f.truncate(start)
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        raise fail("log", str(path), f"a run log nasbook can append to ({err.strerror})") from None
    return not complete
