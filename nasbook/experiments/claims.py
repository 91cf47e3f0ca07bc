"""The article's "Best when" claims, each with the experiment that actually tests it.

A claim is a sentence of the article plus what would decide it here. Three kinds:

* **compared over seeds**: a pair of per-seed samples ``(a, b)`` — the claim says ``a``
  tends to be lower — judged by :func:`nasbook.experiments.stats.judge` (Wilcoxon, bootstrap
  interval, **Holm** across every such claim of the set);
* **measured**: a deterministic measurement (peak memory), with no sampling noise to test:
  FOR or AGAINST by the measured ratio, INCONCLUSIVE within :data:`TOLERANCE` of 1;
* **not testable here**: the claim says why (what nasbook would need to test it), instead
  of quietly testing another claim.

The experiments (:func:`gather`): the showdown on a table (regret at its full budget; the
held-out test loss of every pick), the same strategies on sub-spaces of growing size
(:mod:`.subspaces`: the pick's quantile in its space, minus random search's — the
*edge over random*), and peak memory (:mod:`.memory`). Every comparator is named here,
before any data: random search, hill-climbing (``local``), the article's own EA, and
Optuna's TPE sampler with its default settings.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from nasbook.experiments import heldout, memory, subspaces
from nasbook.experiments.showdown import SHOWDOWN, showdown
from nasbook.experiments.stats import AGAINST, FOR, INCONCLUSIVE, Verdict, judge
from nasbook.tabular.table import BenchTable

TOLERANCE = 0.10  # a measured ratio within 10 % of 1 is "about the same": INCONCLUSIVE


@dataclass
class Evidence:
    """What the experiments found; the claims read it."""

    table: BenchTable
    showdown: dict[str, Any]                       # :func:`showdown` output
    test: dict[str, np.ndarray]                    # name -> test loss of each seed's pick
    sizes: dict[str, dict[str, np.ndarray]]        # size -> name -> pick quantile per seed
    size_budget: int
    memory: dict[str, dict[str, Any]] = field(default_factory=dict)  # "supernet"/"network" -> peak

    def regret(self, name: str) -> np.ndarray:
        """Each seed's regret at the showdown's full budget (NaN: not run)."""
        curves = self.showdown["curves"].get(name)
        return np.full(self.showdown["seeds"], np.nan) if curves is None else curves[:, -1]

    def test_loss(self, name: str) -> np.ndarray:
        return self.test.get(name, np.full(self.showdown["seeds"], np.nan))

    def edge(self, name: str, size: str) -> np.ndarray:
        """Pick quantile minus random search's, per seed, on the ``size`` space (negative: better)."""
        runs = self.sizes.get(size, {})
        if name not in runs or "random" not in runs:
            return np.full(1, np.nan)
        return runs[name] - runs["random"]


Pair = Callable[[Evidence], "tuple[np.ndarray, np.ndarray]"]


@dataclass(frozen=True)
class Claim:
    """One claim: its text, the experiment that tests it, and how (one of the three kinds)."""

    who: str
    text: str
    experiment: str
    pair: Pair | None = None                           # compared over seeds: (a, b), "a lower"
    measure: Callable[[Evidence], Verdict] | None = None  # measured
    not_testable: str = ""                             # why not, when neither
    strategies: tuple[str, str] | None = None          # the showdown pair, for the test-loss check

    @property
    def kind(self) -> str:
        return "compared" if self.pair else "measured" if self.measure else "not testable"


@dataclass(frozen=True)
class Finding:
    """A claim with its verdict (None when not testable or not run), the same comparison on
    held-out test loss where there is one, and a note."""

    claim: Claim
    verdict: Verdict | None
    on_test: Verdict | None = None
    note: str = ""


def regret_at_budget(a: str, b: str) -> Pair:
    return lambda ev: (ev.regret(a), ev.regret(b))


def edge_larger_on(name: str, favoured: str, other: str) -> Pair:
    return lambda ev: (ev.edge(name, favoured), ev.edge(name, other))


def memory_verdict(ev: Evidence) -> Verdict:
    """Supernet epoch's peak over the largest network's: FOR below 1 - TOLERANCE, AGAINST above 1 + TOLERANCE."""
    supernet, network = ev.memory["supernet"], ev.memory["network"]
    ratio = supernet["bytes"] / max(network["bytes"], 1)
    outcome = FOR if ratio < 1 - TOLERANCE else AGAINST if ratio > 1 + TOLERANCE else INCONCLUSIVE
    note = (f"Measured, not sampled: {supernet['bytes'] / 2**20:.1f} MiB for one supernet epoch vs "
            f"{network['bytes'] / 2**20:.1f} MiB for the largest network ({supernet['method']}).")
    return Verdict("DARTS needs less memory than training one network", outcome, ratio, ratio, ratio,
                   math.nan, math.nan, 1, note=note)


CLAIMS: tuple[Claim, ...] = (
    Claim("RL", "best for complex, discrete, non-differentiable spaces",
          "rl/default vs random search: regret at the showdown's full budget on the table's space "
          "(discrete; learning rate and optimiser are not differentiable)",
          pair=regret_at_budget("rl/default", "random"), strategies=("rl/default", "random")),
    Claim("RL", "best when a large dataset is available to train the controller",
          "RL's edge over random search on tasks of growing size",
          not_testable="not testable here because the tabular benchmark holds one task (synthetic, 800 "
                       "training rows); it needs tables of this space on tasks of several sizes. "
                       "'RL improves with the search budget' would be a different claim."),
    Claim("RL", "can put several objectives into its reward",
          "a multi-objective showdown", not_testable="not testable here because the showdown has one "
          "objective (validation loss); notebook 08 searches loss and size with evolution."),
    Claim("EA", "best for broad spaces",
          "evolution/default's edge over random search (pick quantile minus random's) on the broad "
          "space (3,600) vs the small one (75), same seeds and budget",
          pair=edge_larger_on("evolution/default", "broad", "small")),
    Claim("EA", "less likely to get stuck in local optima",
          "evolution/default vs hill-climbing with restarts (local): regret at the full budget",
          pair=regret_at_budget("evolution/default", "local"), strategies=("evolution/default", "local")),
    Claim("EA", "done right beats the article's EA (nasbook's claim)",
          "evolution/default vs evolution/article: regret at the full budget",
          pair=regret_at_budget("evolution/default", "evolution/article"),
          strategies=("evolution/default", "evolution/article")),
    Claim("EA", "parallel evaluation on clusters", "wall-clock time on a cluster",
          not_testable="not testable here because nothing runs on a cluster: a generation of the article's EA "
                       "is 10 independent trainings by construction, but their wall time is not measured."),
    Claim("DARTS", "best when compute is critical",
          "darts/default vs random search at the same compute (the supernet charged in "
          "evaluation-equivalents): regret at the full budget",
          pair=regret_at_budget("darts/default", "random"), strategies=("darts/default", "random")),
    Claim("DARTS", "best for small, well-defined spaces",
          "darts/default's edge over random search on the small space (75: only the keys DARTS relaxes "
          "vary) vs the broad one (3,600), same seeds and budget",
          pair=edge_larger_on("darts/default", "small", "broad")),
    Claim("DARTS", "the most memory-efficient",
          "peak memory of one supernet epoch vs one epoch of the space's largest network",
          measure=memory_verdict),
    Claim("DARTS", "returns a single architecture", "-",
          not_testable="true by construction (one discretised network), so there is nothing to test."),
    Claim("peer", "the article's winner done right (evolution/default) beats a standard tuner",
          "evolution/default vs Optuna TPE with default settings (fixed before the data): regret at the full budget",
          pair=regret_at_budget("evolution/default", "optuna-tpe"), strategies=("evolution/default", "optuna-tpe")),
)


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop seeds where either side did not run (NaN)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    keep = ~(np.isnan(a) | np.isnan(b)) if a.shape == b.shape else np.zeros(0, bool)
    return a[keep], b[keep]


def weigh(evidence: Evidence, claims: Iterable[Claim] = CLAIMS, alpha: float = 0.05) -> list[Finding]:
    """A :class:`Finding` per claim; compared claims Holm-adjusted together (and, separately,
    their test-loss versions together)."""
    claims = list(claims)
    label = {c: f"{c.who}: {c.text}" for c in claims}
    pairs = {c: _paired(*c.pair(evidence)) for c in claims if c.pair}
    ran = {c: ab for c, ab in pairs.items() if ab[0].size}
    verdicts = dict(zip(ran, judge({label[c]: ab for c, ab in ran.items()}, alpha=alpha))) if ran else {}
    tests = {c: _paired(evidence.test_loss(c.strategies[0]), evidence.test_loss(c.strategies[1]))
             for c in ran if c.strategies}
    tests = {c: ab for c, ab in tests.items() if ab[0].size}
    on_test = dict(zip(tests, judge({label[c] + " (test loss)": ab for c, ab in tests.items()}, alpha=alpha))) \
        if tests else {}
    findings = []
    for c in claims:
        if c.pair:
            note = "" if c in ran else "not run here: " + _why_missing(c, evidence)
            findings.append(Finding(c, verdicts.get(c), on_test.get(c), note))
        elif c.measure:
            findings.append(Finding(c, c.measure(evidence) if evidence.memory else None, None,
                                    "" if evidence.memory else "not measured in this run"))
        else:
            findings.append(Finding(c, None, None, c.not_testable))
    return findings


def _why_missing(claim: Claim, evidence: Evidence) -> str:
    missing = evidence.showdown.get("missing", {})
    names = claim.strategies or ()
    return ("; ".join(f"{n}: {missing[n]}" for n in names if n in missing)
            or "no seed has both runs (a strategy left out of this run, or DARTS without a recording for this table)")


def gather(table: BenchTable, seeds: int = 30, budget: int = 100, size_seeds: int = 12, size_budget: int = 25,
           names: Iterable[str] = SHOWDOWN, workers: int = 1, measure_memory: bool = True,
           sizes: Mapping[str, Mapping[str, Any]] = subspaces.SIZES) -> Evidence:
    """Run every experiment the claims need, on ``table`` (any tabular benchmark of an MLP space).

    DARTS replays the recordings shipped in nasbook/data where ``table`` can score them
    (:func:`nasbook.tabular.recorded.scorable`: the article's space and task, any protocol;
    the showdown's ``"notes"`` say when they were recorded under another); elsewhere its runs
    are left out, not trained (minutes).
    """
    out = showdown(names, seeds=seeds, budget=budget, table=table, workers=workers, train_missing=False)
    test = heldout.pick_test_losses(out, table)
    sizes = subspaces.size_experiment(table, seeds=size_seeds, budget=size_budget, workers=workers, sizes=sizes)
    peaks = ({what: memory.peak_bytes(what, table.task_name, batch_size=table.protocol.batch_size)
              for what in memory.WHAT} if measure_memory else {})
    return Evidence(table, out, test, sizes, size_budget, peaks)
