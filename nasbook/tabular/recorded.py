"""Recorded DARTS runs: train the supernets once, replay their proposals in the showdown.

DARTS cannot be looked up — it trains a supernet, which costs seconds to a minute per run.
But what it *proposes* depends only on the seed, the budget, the task and the protocol,
never on the scores it is told (its ``tell`` learns nothing: the supernet already decided).
So :func:`record` runs each real DARTS search once (supernet and all) and keeps the
sequence of architectures it asked for plus the compute it was charged; :class:`RecordedRun`
asks for the same sequence again (and charges the same compute in its ``prepare`` phase). Scoring those architectures through the
:class:`TabularEvaluator` then gives exactly the trials of the real run, in milliseconds.

    python benchmarks/showdown.py --record-darts      # rewrites nasbook/data/darts_synthetic.json

Runs recorded before nasbook 0.2 name the article's mode ``"seed"``; they are read as ``"article"``.

**On another table of the same space.** The recording was made under the seed-protocol table's
protocol (the article's inner loop: its supernets trained full-batch). Its proposals are
architectures of the article's space, so any table of that space and task — the
learning-curve table too — can *score* them (:func:`scorable`), and the charge stays fair:
DARTS plans its supernet as a share of the budget in evaluation-equivalents under any
protocol (``budget - 1`` in article mode, half in default mode), so the recorded charge is
what a run under the other protocol would be charged. What the replay is *not* is DARTS run
under that other protocol (its supernet trained on mini-batches): :func:`replay_note` says
so wherever a showdown replays across protocols, and ``--record-darts`` records anew.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from nasbook.evaluation.base import BaseEvaluator, Work
from nasbook.loop.outer import search
from nasbook.tasks import make_task
from nasbook.spaces.space import Arch
from nasbook.loop.budget import Cost
from nasbook.strategies.base import Strategy, check_mode
from nasbook.trial import Trial
from nasbook.tabular.table import BenchTable

RECORD_PATH = Path(__file__).resolve().parent.parent / "data" / "darts_synthetic.json"


class ProposalRecorder(BaseEvaluator):
    """A stand-in evaluator for recording: the table's task and protocol, no scores.

    DARTS reads the task, protocol and device to train its supernet and ignores the scores
    of what it proposes, so every proposal gets a placeholder trial (``val_loss=0``).
    Nothing is cached: a repeated proposal is recorded as asked.
    """

    def __init__(self, table: BenchTable) -> None:
        super().__init__(cache=False)
        self.task, self.protocol, self.device = make_task(table.task_name), table.protocol, torch.device("cpu")

    def compute(self, work: Work, should_stop: Callable[[], bool]) -> Iterator[Trial]:
        return (Trial(arch=dict(arch), val_loss=0.0, seed=seed) for arch, seed in work)


def record_one(mode: str, budget: int, seed: int, table: BenchTable) -> dict[str, Any]:
    """Run real DARTS once on the table's task and protocol; keep what it asked for."""
    start = time.perf_counter()
    result = search("darts", mode=mode, space=table.space, budget=budget, seed=seed,
                    evaluator=ProposalRecorder(table), progress=False)
    return {"mode": result.mode, "budget": budget, "seed": seed, "charged": result.charged_evaluations,
            "extra_steps": result.extra_steps, "proposals": [table.space.index(t.arch) for t in result.trials],
            "seconds": round(time.perf_counter() - start, 3)}


def key(mode: str, budget: int, seed: int) -> str:
    """``"article/10/3"``: a recorded run's name (the old mode name ``"seed"`` reads ``"article"``)."""
    return f"{check_mode(mode)}/{budget}/{seed}"


def load_records(path: "str | Path" = RECORD_PATH) -> dict[str, dict[str, Any]]:
    """Recorded runs by ``"mode/budget/seed"`` (empty when no file was recorded)."""
    path = Path(path)
    if not path.exists():
        return {}
    runs = [{**r, "mode": check_mode(r["mode"])} for r in json.loads(path.read_text())["runs"]]
    return {key(r["mode"], r["budget"], r["seed"]): r for r in runs}


def recorded_protocol(path: "str | Path" = RECORD_PATH) -> dict[str, Any] | None:
    """The protocol the runs at ``path`` were recorded under (None when nothing is recorded)."""
    path = Path(path)
    return json.loads(path.read_text()).get("protocol") if path.exists() else None


def scorable(table: BenchTable, path: "str | Path" = RECORD_PATH) -> bool:
    """True when ``table`` can score the recorded proposals at ``path``: recorded on the
    article's space and task (synthetic), which ``table`` must have too (else its proposals
    mean nothing), under any protocol (:func:`replay_note`)."""
    from nasbook.spaces.space import SearchSpace

    return Path(path).exists() and table.space == SearchSpace() and table.task_name == "synthetic"


def replay_note(table: BenchTable, path: "str | Path" = RECORD_PATH) -> str:
    """``""`` when the recording was made under ``table``'s protocol; otherwise the sentence a
    report must carry: whose supernets these were, and what the table judges."""
    made, here = recorded_protocol(path), table.meta["protocol"]
    if made is None or made == here:
        return ""
    return (f"DARTS replays runs recorded under protocol {made['name']!r} ({made['epochs']} epochs, batch "
            f"{made['batch_size'] or 'full'}: its supernets trained there); this table scores the architectures "
            f"they proposed under protocol {here['name']!r} ({here['epochs']} epochs, batch "
            f"{here['batch_size'] or 'full'}), charged the recorded share of the budget")


class RecordedRun(Strategy):
    """Ask for a recorded DARTS run's architectures, in order; charge what the real run was charged."""

    name = "darts"
    plans_with_budget = True  # recorded once per budget, as DARTS plans with it

    def __init__(self, run: dict[str, Any], mode: str = "default") -> None:
        super().__init__(mode)
        self.run = run

    def setup(self, space: Any, seed: int, evaluator: Any = None, budget: int | None = None) -> None:
        super().setup(space, seed, evaluator, budget)
        self.queue = [space.decode(_unravel(i, space)) for i in self.run["proposals"]]

    def prepare(self) -> Cost:
        """The real run's supernet, already paid for: charge what it cost."""
        return Cost(evaluations=float(self.run["charged"]), steps=int(self.run["extra_steps"]))

    def ask(self) -> list[Arch]:
        return [self.queue.pop(0) if self.queue else self.space.decode(_unravel(self.run["proposals"][-1], self.space))]

    def tell(self, trials: list[Trial]) -> None:
        pass


def _unravel(index: int, space: Any) -> tuple[int, ...]:
    import numpy as np

    return tuple(int(i) for i in np.unravel_index(int(index), [len(v) for v in space.choices.values()]))
