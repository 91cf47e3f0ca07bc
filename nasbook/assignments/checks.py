"""The six checks of :func:`nasbook.check_strategy`, one function each.

Each takes the :class:`~nasbook.assignments.checker.Context` and its title and returns a
:class:`~nasbook.assignments.report.Check`. A check reports the failures it understands
itself (with a message and a fix); anything else that stops it (a crash in student code,
a time-out) is turned into a failed check by :func:`~nasbook.assignments.checker.run_check`.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from nasbook.loop.outer import search
from nasbook.spaces.space import SearchSpace
from nasbook.strategies import RandomSearch, Strategy
from nasbook.evaluation.base import fidelity_of
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.fidelity import Proposal, as_request
from nasbook.experiments import stats
from nasbook.validation import NasbookError
from nasbook.assignments.checker import SPACE_FIX, Context, describe_crash
from nasbook.assignments.guard import StudentError, Watch, WatchedEvaluator, safe_repr
from nasbook.assignments.report import Check

# A small, unusual space: 12 architectures, two keys of the article's space missing, one key
# with a single choice. A strategy that hard-codes the article's space, or waits for an
# architecture it has not seen, fails here.
SMALL_SPACE = {"num_hidden_layers": [1, 2, 3], "hidden_layer_size": [16, 32],
               "activation_function": ["Tanh", "ReLU"], "optimizer": ["SGD"]}


def interface(ctx: Context, title: str) -> Check:
    """The class builds, ``setup`` makes ``self.rng``, ``ask`` returns dicts, ``tell`` takes trials."""
    cls, name = ctx.cls, "interface"

    def bad(message: str, fix: str) -> Check:
        return Check(name, title, "fail", message, fix)

    if isinstance(cls, Strategy):
        return bad(f"check_strategy got an instance ({type(cls).__name__}(...)), not a class.",
                   f"Pass the class itself: nasbook.check_strategy({type(cls).__name__}); constructor "
                   "arguments go in params={...}.")
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        return bad(f"{cls!r} is not a subclass of nasbook.Strategy.",
                   "Write `class MyStrategy(nasbook.Strategy):` and implement ask() and tell().")
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing:
        return bad(f"{cls.__name__} does not define {' and '.join(m + '()' for m in missing)}.",
                   "Add `def ask(self):` (returns a list of architecture dicts) and "
                   "`def tell(self, trials):` (learns from the finished trials) to your class.")
    watch = Watch(ctx.file, ctx.time_limit)
    try:
        strategy = ctx.new(watch)
    except StudentError as error:
        return bad(f"Building {ctx.call} failed: {error}.",
                   "The constructor only stores parameters: `def __init__(self, mode='default', ...)`, "
                   "call `super().__init__(mode)` first; pass values with check_strategy(..., params={...}).")
    if not isinstance(getattr(strategy, "mode", None), str):
        return bad("The new object has no self.mode: __init__ did not call super().__init__(mode).",
                   "Start your __init__ with `super().__init__(mode)`.")
    space = SearchSpace()
    evaluator = WatchedEvaluator(ToyEvaluator(space), watch)
    try:
        strategy.setup(space, 0, evaluator)
    except StudentError as error:
        return bad(f"{error}.", "Start your setup() with `super().setup(space, seed, evaluator)`, then "
                   "create the search state (current architecture, best score, ...).")
    has_rng = isinstance(getattr(strategy, "rng", None), np.random.Generator)
    if not has_rng or getattr(strategy, "space", None) is not space:
        return bad("After setup() the strategy has no self.rng (or no self.space): the base class's "
                   "setup() was not called.",
                   "Start your setup() with `super().setup(space, seed, evaluator)`: it stores self.space "
                   "and makes self.rng from the seed.")
    try:
        archs = strategy.ask()
    except StudentError as error:
        return bad(*describe_crash(error, watch, None))
    archs = [archs] if isinstance(archs, (Mapping, Proposal)) else archs
    if not isinstance(archs, (list, tuple)) or not archs or not all(isinstance(a, (Mapping, Proposal))
                                                                    for a in archs):
        return bad(f"ask() returned {safe_repr(archs)}; it must return a non-empty list of architecture "
                   "dicts (or nasbook.Proposal(arch, epochs=k) for a shorter training).",
                   "Return a list, e.g. `return [self.space.sample(self.rng)]` (not a generator, not None).")
    trials = []
    for arch, epochs in map(as_request, archs):
        try:
            toy = ToyEvaluator(space)
            trials += toy.evaluate_many([space.validate(arch)], 0, **fidelity_of(None if epochs is None else [epochs]))
        except NasbookError:
            break  # outside the space (the next check says so), or epochs the toy cannot train (the loop says so)
    if trials:
        try:
            strategy.tell(trials)
        except StudentError as error:
            return bad(*describe_crash(error, watch, None))
    told = f"tell() accepted {len(trials)} trial(s)" if trials else "tell() not tried (see the next check)"
    return Check(name, title, "pass", f"{ctx.call} builds; setup() makes self.rng; "
                 f"ask() proposed {len(archs)} architecture(s); {told}.")


def proposals(ctx: Context, title: str) -> Check:
    """Every proposal is inside the space: the article's space and a small, unusual one."""
    small = SearchSpace(SMALL_SPACE)
    count = 0
    for space, label, seed, budget in ((SearchSpace(), "the article's space (3,600 architectures)", 0, 60),
                                       (small, f"a small test space {SMALL_SPACE}", 1, 2 * small.size)):
        try:
            result, watch, _ = ctx.run(seed, budget, space=space)
        except NasbookError as error:
            asked = ctx.watch.asked if ctx.watch else []
            if asked and not asked[-1]:  # an empty list (or not a list at all)
                return Check("proposals", title, "fail", f"On {label}, ask() call {len(asked)} gave no "
                             f"proposal: {error}.", "The loop asks until the budget is spent, even when "
                             "every architecture has been tried: return a repeat (it costs a budget slot "
                             "but no training) or a random sample, never an empty list.")
            return Check("proposals", title, "fail", f"On {label}, ask() call {len(asked)} proposed something "
                         f"outside the space: {error}.", SPACE_FIX)
        except StudentError as error:
            what, fix = describe_crash(error, ctx.watch, None)
            return Check("proposals", title, "fail", f"On {label}: {what}",
                         fix + " Your strategy must work on any SearchSpace, with any keys and any "
                         "number of choices (even one).")
        count += sum(len(a) for a in watch.asked)
    return Check("proposals", title, "pass", f"{count} proposals, all inside the space, on the article's "
                 f"space and on a {small.size}-architecture test space (searched with a budget twice its size).",
                 numbers={"proposals": count})


def budget(ctx: Context, title: str) -> Check:
    """The loop's count of evaluations is the truth: no self-evaluation, no negative charge."""
    budget = 37  # prime: batch strategies get their last batch cut
    result, watch, strategy = ctx.run(0, budget)
    charged = result.charged_evaluations
    own, used = watch.own_evaluations, result.evaluations + watch.own_evaluations
    numbers = {"budget": budget, "loop_evaluations": result.evaluations, "own_evaluations": own,
               "charged_evaluations": charged}
    if own:
        return Check("budget", title, "fail", f"{watch.own_evaluation_method}() evaluated {own} architecture(s) "
                     f"itself through self.evaluator. The loop cannot count those, so a budget of {budget} "
                     f"bought {used} evaluations.",
                     "Never call self.evaluator yourself: return the architectures you want scored from ask() "
                     "and read their scores in tell(trials). (Only a strategy that trains networks itself, "
                     "like DARTS, does so in prepare() and returns that compute as its Cost.)", numbers)
    if watch.bad_charge is not None:
        return Check("budget", title, "fail", f"prepare() returned {safe_repr(watch.bad_charge)}. "
                     "The loop subtracts its cost from the budget: a negative number buys evaluations the "
                     "budget does not allow, and a value that is not a number stops the loop.",
                     "Do not override prepare() (the base class returns Cost(), nothing spent) unless your "
                     "strategy spends compute outside the evaluator; then return that compute as "
                     "Cost(evaluations=x) with a number x >= 0.", numbers)
    if result.spent > budget + 1e-9:  # evaluations (k/E each at a fidelity) + charged
        return Check("budget", title, "fail", f"{result.spent - charged:g} evaluations + {charged:g} charged exceed "
                     f"the budget of {budget}.", "Return from prepare() only the compute it spent.", numbers)
    cut = watch.cut_batch
    note = f"; its last batch was cut to fit ({cut[0]} proposed, {cut[1]} told) and tell() coped" if cut else ""
    shorter = (f" ({result.spent - charged:g} evaluation-equivalents: some trained for fewer epochs)"
               if any(t.epochs is not None for t in result.trials) else "")
    return Check("budget", title, "pass", f"Budget {budget}: the loop ran {result.evaluations} evaluations{shorter}, "
                 f"the strategy charged {charged:g} more and evaluated nothing itself{note}.", numbers=numbers)


DRAWN_TO_FAILURES = 0.15  # this much more failing with failures than with bad losses: failures look good
FAILURE_SEEDS = range(4)
BAD_LOSS = 100.0  # worse than any toy loss (at most about 10)


def _fails(space: SearchSpace, arch: dict[str, Any]) -> bool:
    """lr 0.1 and every fourth architecture: about 4 in 10 of the article's space."""
    return arch["learning_rate"] == 0.1 or space.index(arch) % 4 == 0


class _BadInsteadOfFailed(ToyEvaluator):
    """The toy where the architectures of :func:`_fails` succeed with the worst loss of all
    instead of diverging: the same ranking by ``trial.score``, other ``val_loss`` values."""

    def loss(self, arch: Any) -> float:
        return BAD_LOSS if _fails(self.space, arch) else super().loss(arch)


def failures(ctx: Context, title: str) -> Check:
    """Diverged trials (about 4 in 10 architectures diverge, then every one) must not crash it,
    nor attract it.

    Attraction is measured by comparing behaviour: the same seeds once with those architectures
    diverging (score inf, val_loss None) and once with them succeeding with the worst loss of
    all. Ranked by ``trial.score`` the two are the same ranking, so a correct strategy tries
    about as many of them both times; one that learns from ``val_loss`` (None:
    ``val_loss or 0`` makes a failure perfect, NaN wins ``np.argmin``) tries far more of them
    when they fail.
    """
    space = SearchSpace()
    fix = ("A diverged or failed trial has val_loss None and score inf: rank by trial.score (a float), never "
           "trial.val_loss, and do not assume a success ever arrives (keep proposing, e.g. mutations of the "
           "last proposal or random samples).")
    diverging = lambda: ToyEvaluator(space, diverge=lambda a: _fails(space, a))  # noqa: E731
    runs = [(seed, 48, diverging(), "while some trials diverged") for seed in FAILURE_SEEDS]
    runs.append((1, 12, ToyEvaluator(space, diverge=lambda a: True), "while every trial diverged"))
    failed = tried = 0
    for seed, budget, evaluator, label in runs:
        try:
            result, watch, _ = ctx.run(seed, budget, space=space, evaluator=evaluator)
        except StudentError as error:
            what, _ = describe_crash(error, ctx.watch, None)
            return Check("failures", title, "fail", f"It crashed {label}: {what}", fix)
        if seed == 0 and budget == 48:
            n_failed, n_trials, best = result.failures, len(result.trials), result.best_val_loss
        if budget == 48:
            failed, tried = failed + result.failures, tried + len(result.trials)
    bad = bad_tried = 0
    for seed in FAILURE_SEEDS:
        result, _, _ = ctx.run(seed, 48, space=space, evaluator=_BadInsteadOfFailed(space))
        bad += sum(_fails(space, t.arch) for t in result.trials)
        bad_tried += len(result.trials)
    rate, bad_rate = failed / max(tried, 1), bad / max(bad_tried, 1)
    numbers = {"failures": n_failed, "failure_rate": rate, "bad_loss_rate": bad_rate}
    seeds = f"{len(FAILURE_SEEDS)} seeds, budget 48"
    if rate > bad_rate + DRAWN_TO_FAILURES:
        return Check("failures", title, "fail", f"It survived, but it is drawn to failed trials: {rate:.0%} of "
                     f"its trials failed ({seeds}, about 4 in 10 architectures diverge), while with the same "
                     f"architectures succeeding with the worst loss of all it tried them only {bad_rate:.0%} of "
                     "the time. By trial.score the two are the same ranking, so it must be learning from "
                     "trial.val_loss, which is None for every failure (`trial.val_loss or 0` makes a failure "
                     "look perfect; in a float array it is NaN, and np.argmin picks a NaN first).", fix, numbers)
    return Check("failures", title, "pass", f"{n_failed} of {n_trials} trials diverged, then all 12 of another run: "
                 f"it kept going both times (best score {best:.4g}); over {seeds} {rate:.0%} of its trials "
                 f"failed, and {bad_rate:.0%} went to the same architectures when they scored worst instead.",
                 numbers=numbers)


def history(result: Any) -> list[tuple[Any, ...]]:
    return [(t.arch, t.status, t.val_loss) for t in result.trials]


def first_difference(a: list[Any], b: list[Any]) -> str:
    i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    show = lambda h: h[i][0] if i < len(h) else "nothing"  # noqa: E731
    return f"from trial {i} on: the first run tried {show(a)}, the second {show(b)}"


def determinism(ctx: Context, title: str) -> Check:
    """Same seed -> same history (fresh object or reused one); other seeds -> other histories."""
    first, watch, strategy = ctx.run(0, 24)
    second, _, _ = ctx.run(0, 24)
    if history(first) != history(second):
        return Check("determinism", title, "fail", "Two searches with seed 0 went differently, "
                     f"{first_difference(history(first), history(second))}.",
                     "Draw every random choice from self.rng (setup() makes it from the seed): "
                     "self.rng.random(), self.rng.integers(n), self.space.sample(self.rng) — never "
                     "np.random.*, the random module, or np.random.default_rng() without the seed.")
    again, _, _ = ctx.run(0, 24, reuse=(strategy, watch))
    if history(first) != history(again):
        return Check("determinism", title, "fail", "The same object searched twice with seed 0 went "
                     f"differently the second time, {first_difference(history(first), history(again))}.",
                     "Create all search state in setup() (after super().setup(...)), not in __init__ and "
                     "not at class level: the loop calls setup() at the start of every search.")
    others = [history(ctx.run(seed, 24)[0]) for seed in (1, 2)]
    if all(h == history(first) for h in others):
        return Check("determinism", title, "fail", "Seeds 0, 1 and 2 gave exactly the same history: the "
                     "strategy ignores the seed it is given.",
                     "Use self.rng (the loop seeds it from the search's seed) instead of a generator with "
                     "a fixed seed such as np.random.default_rng(42).")
    return Check("determinism", title, "pass", "Seed 0 gave the same 24 trials three times (new objects and "
                 "a reused one); seeds 1 and 2 gave other histories.")


def _stats(values: list[float]) -> tuple[float, float, float]:
    """Median (numpy's, as in the ratio) and quartiles (nearest observed values)."""
    q1, q3 = (float(np.percentile(values, q, method="nearest")) for q in (25, 75))
    return float(np.median(values)), q1, q3


def performance_verdict(mine: list[float], theirs: list[float], alpha: float = 0.05,
                        opponent: str = "random search") -> dict[str, Any]:
    """The verdict on per-seed regrets (same seeds) against ``opponent``, and its numbers.

    "better" needs both a significant paired test (Wilcoxon signed-rank, two-sided, p < alpha)
    and a bootstrap interval of the median-regret ratio (mine / the opponent's) entirely below 1;
    "worse" the mirror (p < alpha, interval entirely above 1); anything else is "about as good".
    When the opponent's median regret is 0 the ratio is undefined: then only "worse" (a
    significant test and a higher median) or "about as good" can be said.
    """
    test = stats.paired_test(mine, theirs)
    ratio = stats.ratio_interval(mine, theirs, level=1 - alpha, seed=0)
    significant = test.informative >= stats.MIN_PAIRS and test.p < alpha
    (med, _, _), (rmed, _, _) = _stats(mine), _stats(theirs)
    if significant and (ratio.high < 1 if math.isfinite(ratio.high) else False):
        verdict = f"better than {opponent}"
    elif significant and (ratio.low > 1 if math.isfinite(ratio.low) else med > rmed):
        verdict = f"worse than {opponent}"
    else:
        verdict = f"about as good as {opponent} (no clear difference)"
    if test.informative < stats.MIN_PAIRS:
        verdict += (f"; only {test.informative} seed(s) differ, and with fewer than {stats.MIN_PAIRS} the "
                    "test cannot decide: run more seeds")
    return {"verdict": verdict, "p": test.p, "ratio": ratio.estimate,
            "ratio_interval": [ratio.low, ratio.high], "ratio_method": f"{ratio.level:.0%} {ratio.method}"}


def performance(ctx: Context, title: str) -> Check:
    """Median regret over ``ctx.seeds`` seeds against random search, with a verdict."""
    bench, seeds, budget = ctx.benchmark, ctx.seeds, ctx.budget
    mine, theirs, own, repeats, trials = [], [], 0, 0, 0
    for seed in range(seeds):
        result, watch, _ = ctx.run(seed, budget, space=bench.space, evaluator=bench.make_evaluator())
        own += watch.own_evaluations
        trials += len(result.trials)
        repeats += len(result.trials) - len({(bench.space.index(t.arch), t.epochs) for t in result.trials})
        mine.append(bench.regret(result))
        baseline = search(RandomSearch(), space=bench.space, evaluator=bench.make_evaluator(),
                          budget=budget, seed=seed, progress=False)
        theirs.append(bench.regret(baseline))
    if own:
        return Check("performance", title, "skip", "Skipped: the strategy evaluated architectures itself "
                     "(see 'budget'), so a comparison at equal budget would be unfair.")
    wins = sum(m < t for m, t in zip(mine, theirs))
    losses = sum(m > t for m, t in zip(mine, theirs))
    (med, q1, q3), (rmed, rq1, rq3) = _stats(mine), _stats(theirs)
    judged = performance_verdict(mine, theirs)
    verdict = judged["verdict"]
    status = "fail" if verdict.startswith("worse") else "pass"
    numbers = {"benchmark": bench.name, "seeds": seeds, "budget": budget, "median_regret": med,
               "iqr_regret": [q1, q3], "random_median_regret": rmed, "random_iqr_regret": [rq1, rq3],
               "wins": wins, "losses": losses, "ties": seeds - wins - losses, **judged,
               "regrets": mine, "random_regrets": theirs, "repeat_fraction": repeats / max(trials, 1)}
    low, high = judged["ratio_interval"]
    ratio = (f"{judged['ratio']:.2f} of random search's ({judged['ratio_method']} interval {low:.2f} to "
             f"{high:.2f})" if math.isfinite(judged["ratio"]) else
             "not defined as a ratio (random search's median regret is 0)")
    message = (f"Verdict: {verdict}. Median regret {med:.4g} (IQR {q1:.4g} to {q3:.4g}) against random "
               f"search's {rmed:.4g} (IQR {rq1:.4g} to {rq3:.4g}), over {seeds} seeds with a budget of "
               f"{budget} on the {bench.name} benchmark: a median regret {ratio}. Lower regret on {wins} "
               f"seeds, higher on {losses}, equal on {seeds - wins - losses} (paired Wilcoxon signed-rank "
               f"test: p = {judged['p']:.2g}). 'Better' needs p < 0.05 and the whole interval below 1; "
               "'worse' p < 0.05 and the whole interval above 1.")
    if any(math.isinf(r) for r in mine + theirs):
        message += " A search that never finished a trial has regret inf: it counts as worse than any other."
    if numbers["repeat_fraction"] > 0.25:
        message += (f" Note: {numbers['repeat_fraction']:.0%} of its proposals repeated an architecture the "
                    "same search had already evaluated; each repeat costs a budget slot and teaches nothing new.")
    fix = ""
    if status == "fail":
        fix = ("Lower scores are better: an improvement is `trial.score < self.best_score`. Check that ask() "
               "really uses what tell() learned, and print a few trials of nasbook.search(MyStrategy(), "
               "evaluator=nasbook.evaluation.toy.ToyEvaluator(), budget=20, progress=False).trials to see what it proposes.")
    return Check("performance", title, status, message, fix, numbers)


CHECKS: list[tuple[str, str, Any]] = [
    ("interface", "Interface: builds, sets up, asks and tells", interface),
    ("proposals", "Every proposal is inside the search space", proposals),
    ("budget", "The budget is respected", budget),
    ("failures", "Survives diverged and failed trials", failures),
    ("determinism", "Same seed, same history", determinism),
    ("performance", "Performance against random search", performance),
]
