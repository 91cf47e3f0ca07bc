"""Successive halving, Hyperband, BOHB and ASHA: budget, promotions, determinism, resume."""
import numpy as np
import pytest

import nasbook
from nasbook import NasbookError, Proposal, Strategy, search
from nasbook.evaluation.base import BaseEvaluator
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.fidelity import cost
from nasbook.strategies.successive_halving import bracket_cost, most_that_fit, rung_epochs
from nasbook.tabular import TabularEvaluator
from nasbook.trial import Trial

NAMES = ["sh", "hyperband", "bohb", "asha"]


def spent(result, evaluator):
    return sum(cost(t, evaluator.fidelities()[-1]) for t in result.trials)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("make", [ToyEvaluator, TabularEvaluator])
def test_the_budget_is_never_exceeded_and_runs_are_seeded(name, make):
    for budget in (1, 7, 30):
        ev = make()
        result = search(name, evaluator=ev, budget=budget, seed=2, progress=False)
        assert spent(result, ev) <= budget + 1e-9
        assert any(t.epochs == ev.fidelities()[-1] for t in result.trials) or budget == 1
    again = search(name, evaluator=make(), budget=30, seed=2, progress=False)
    other = search(name, evaluator=make(), budget=30, seed=3, progress=False)
    history = lambda r: [(t.arch, t.epochs, t.val_loss) for t in r.trials]  # noqa: E731
    assert history(again) == history(result) and history(other) != history(result)


def test_rungs_and_bracket_sizes():
    assert rung_epochs(tuple(range(1, 28)), 1, 3) == [1, 3, 9, 27]
    assert rung_epochs((1, 2, 5, 10), 1, 2) == [1, 2, 5, 10]
    assert rung_epochs(tuple(range(1, 21)), 2, 3) == [2, 6, 20]
    assert bracket_cost(27, [1, 3, 9, 27], 3, 27) == pytest.approx(4.0)  # 27x1 + 9x3 + 3x9 + 1x27 epochs
    assert most_that_fit([1, 3, 9, 27], 3, 27, 4.0) == 27


class Crafted(BaseEvaluator):
    """Loss = the arch's index in the space at full fidelity; at fewer epochs the order is REVERSED
    for indices below 4 (a slow starter), so promotions can be checked against known losses."""

    def __init__(self, space):
        super().__init__(cache=True)
        self.space = nasbook.SearchSpace(space)

    def check_arch(self, arch):
        return self.space.validate(arch)

    def fidelities(self):
        return (1, 3, 9)

    def loss(self, arch, epochs):
        i = self.space.index(arch)
        return float(i if epochs == 9 or i >= 4 else 4 - i)

    def compute(self, work, should_stop):
        return (Trial(arch=a, val_loss=self.loss(a, 9), seed=s) for a, s in work)

    def compute_at(self, work, should_stop):
        return (Trial(arch=a, val_loss=self.loss(a, e), seed=s, epochs=e, continued_from=start)
                for a, s, e, start in work)


SPACE = {"a": list(range(9)), "b": [0, 1, 2]}  # 27 architectures


def test_successive_halving_promotes_exactly_the_best_third_of_each_rung():
    ev = Crafted(SPACE)
    result = search("sh", evaluator=ev, space=SPACE, budget=3, seed=0, progress=False)
    rungs = [e for e in result.trace if e["bracket"] == 0]
    assert [e["epochs"] for e in rungs] == [1, 3, 9]
    for entry in rungs[:-1]:
        ranked = sorted(entry["trials"], key=lambda m: m["score"])
        assert entry["promoted"] == [m["arch"] for m in ranked[:len(ranked) // 3]]
    trials_at = {k: [t for t in result.trials if t.epochs == k] for k in (1, 3, 9)}
    assert all(t.continued_from == 1 for t in trials_at[3]) and all(t.continued_from == 3 for t in trials_at[9])


def test_hyperband_hedges_from_the_lowest_rung_to_full_fidelity():
    result = search("hyperband", evaluator=Crafted(SPACE), space=SPACE, budget=12, seed=0, progress=False)
    starts = {}
    for e in result.trace:
        starts.setdefault(e["bracket"], e["epochs"])
    assert [starts[b] for b in sorted(starts)][:3] == [1, 3, 9]
    # the full-fidelity bracket sees the true order: a slow starter (index 0) can only win there or via rungs
    assert result.best_val_loss == min(t.val_loss for t in result.trials if t.epochs == 9)


def test_asha_promotes_without_waiting_and_each_arch_once_per_rung():
    result = search(nasbook.strategies.ASHA(batch_size=2), evaluator=Crafted(SPACE), space=SPACE, budget=6,
                    seed=1, progress=False)
    promoted = [(e["rung"], tuple(sorted(e["promoted"][0].items()))) for e in result.trace]
    assert len(promoted) == len(set(promoted)) > 0
    first_promotion = next(i for i, t in enumerate(result.trials) if t.epochs == 3)
    assert first_promotion < sum(t.epochs == 1 for t in result.trials)  # before rung 0 stopped growing


def test_bohb_samples_from_its_model_once_it_has_enough_trials():
    bohb = nasbook.strategies.BOHB(random_fraction=0.0)
    search(bohb, evaluator=TabularEvaluator(), budget=20, seed=0, progress=False)
    good, bad = bohb.model()
    assert all(np.isclose(p.sum(), 1) for p in good + bad)
    assert len(good) == len(bohb.space.keys)
    draws = [bohb.new_arch() for _ in range(20)]
    assert all(bohb.space.validate(a) == a for a in draws)
    liked = [int(np.argmax(p)) for p in good]  # the good density's favourite choice per key
    picked = [sum(bohb.space.encode(a)[k] == liked[k] for a in draws) for k in range(len(liked))]
    assert sum(picked) > len(draws) * len(liked) / 3  # draws lean towards what did well


@pytest.mark.parametrize("name", NAMES)
def test_resuming_mid_run_equals_the_uninterrupted_run(tmp_path, name):
    kwargs = dict(budget=8, seed=5, progress=False)
    whole = search(name, evaluator=TabularEvaluator(), **kwargs)
    seen = []
    search(name, evaluator=TabularEvaluator(), log=tmp_path / "r.jsonl", callback=lambda t, s: seen.append(t),
           stop=lambda: len(seen) >= len(whole.trials) // 2, **kwargs)
    resumed = search(name, evaluator=TabularEvaluator(), log=tmp_path / "r.jsonl", resume=True, **kwargs)
    fields = lambda r: [(t.arch, t.val_loss, t.epochs, t.continued_from) for t in r.trials]  # noqa: E731
    assert resumed.resumed == len(whole.trials) // 2 and fields(resumed) == fields(whole)
    assert resumed.trace == whole.trace


def test_they_refuse_an_evaluator_without_fidelities_and_a_min_epochs_it_lacks():
    class Plain(BaseEvaluator):
        def compute(self, work, should_stop):
            return (Trial(arch=a, val_loss=1.0, seed=s) for a, s in work)

    with pytest.raises(NasbookError, match="has no fidelities"):
        search("hyperband", evaluator=Plain(), budget=3, progress=False)
    with pytest.raises(NasbookError, match=r"min_epochs=3.*\[1, 2, 5, 10\]"):
        search(nasbook.strategies.SuccessiveHalving(min_epochs=3), evaluator=TabularEvaluator(), budget=3,
               progress=False)


def test_a_real_hyperband_search_trains_at_a_fidelity_and_continues():
    short = nasbook.Protocol("default", epochs=4, batch_size=64)
    space = {k: v[:2] for k, v in nasbook.ARTICLE_SPACE.items()}
    result = search("hyperband", space=space, protocol=short, budget=3, seed=0, device="cpu", progress=False)
    assert sum(cost(t, 4) for t in result.trials) <= 3 + 1e-9
    assert any(t.continued_from > 0 for t in result.trials) and any(t.epochs == 4 for t in result.trials)


class Halving(Strategy):
    """A student's two-rung successive halving: 6 architectures at the fewest epochs, the best 2 to full."""

    multi_fidelity = True

    def setup(self, space, seed, evaluator=None, budget=None):
        super().setup(space, seed, evaluator, budget)
        self.rung = []

    def ask(self):
        if self.rung:
            return [Proposal(t.arch) for t in self.rung]  # epochs=None: full fidelity
        low = self.evaluator.fidelities()[0]
        return [Proposal(self.space.sample(self.rng), epochs=low) for _ in range(6)]

    def tell(self, trials):
        if trials and trials[0].epochs == self.evaluator.fidelities()[0]:
            self.rung = sorted(trials, key=lambda t: t.score)[:2]
        else:
            self.rung = []


@pytest.mark.parametrize("cls", [Halving, nasbook.strategies.Hyperband])
def test_check_strategy_accepts_multi_fidelity_strategies(cls):
    report = nasbook.check_strategy(cls, benchmark="toy", seeds=6, budget=20, verbose=False)
    assert all(report[name].status != "fail" for name in ("interface", "proposals", "budget", "failures",
                                                         "determinism")), report
    assert report["budget"].numbers["loop_evaluations"] > 0


def test_asha_runs_its_batches_on_an_executor():
    from concurrent.futures import ThreadPoolExecutor

    short = nasbook.Protocol("default", epochs=3, batch_size=64)
    space = {k: v[:2] for k, v in nasbook.ARTICLE_SPACE.items()}
    kwargs = dict(space=space, protocol=short, budget=3, seed=0, device="cpu", progress=False)
    with ThreadPoolExecutor(2) as pool:
        parallel = search(nasbook.strategies.ASHA(batch_size=2), executor=pool, **kwargs)
    here = search(nasbook.strategies.ASHA(batch_size=2), **kwargs)
    assert parallel.spent <= 3 + 1e-9 and len(parallel.trials) > 3
    promoted = [t for t in parallel.trials if t.epochs > 1]
    assert promoted and all(t.continued_from == 0 for t in promoted)  # a worker keeps nothing: retrained
    assert [t.val_loss for t in parallel.trials][:4] == [t.val_loss for t in here.trials][:4]
