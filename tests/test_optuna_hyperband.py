"""The Optuna peer with Hyperband: TPE samples, HyperbandPruner prunes, every fidelity the
evaluator records is reported; seeded, within budget, registered, optional."""
import json
import sys

import numpy as np
import pytest

from nasbook import NasbookError, search
from nasbook.cli import main
from nasbook.evaluation.base import BaseEvaluator
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.strategies import STRATEGIES, make_strategy
from nasbook.tabular import TabularEvaluator
from nasbook.trial import Trial

optuna = pytest.importorskip("optuna")  # an optional dependency; the last test covers its absence
from nasbook.strategies.optuna_hyperband import OptunaHyperband  # noqa: E402


def test_it_reports_every_recorded_epoch_and_the_pruner_stops_some_on_the_seed_table():
    strategy = OptunaHyperband()
    result = search(strategy, evaluator=TabularEvaluator(), budget=30, seed=0, progress=False)
    study = strategy.study
    assert strategy.fidelities == (1, 2, 5, 10) and isinstance(study.pruner, optuna.pruners.HyperbandPruner)
    states = [t.state.name for t in study.trials]
    assert "PRUNED" in states and "COMPLETE" in states
    for frozen in study.trials:  # what each Optuna trial reported: the checkpoints in order, up to its stop
        steps = sorted(frozen.intermediate_values)
        assert steps == [1, 2, 5, 10][:len(steps)], steps
        if frozen.state.name == "COMPLETE":
            assert steps == [1, 2, 5, 10] and frozen.value == frozen.intermediate_values[10]
    fresh = [t for t in result.trials if not t.cached]
    assert all(t.continued_from == {1: 0, 2: 1, 5: 2, 10: 5}[t.epochs] for t in fresh)  # each step continues
    assert sum(t.epochs == 10 for t in result.trials) == states.count("COMPLETE")
    assert result.best.epochs == 10


def sgd_diverges() -> ToyEvaluator:
    return ToyEvaluator(diverge=lambda a: a["optimizer"] == "SGD")


@pytest.mark.parametrize("make", [TabularEvaluator, sgd_diverges])
def test_the_budget_is_respected_and_runs_are_seeded(make):
    for budget in (1, 7, 30):
        result = search("optuna-hyperband", evaluator=make(), budget=budget, seed=2, progress=False)
        assert result.spent <= budget + 1e-9 and result.spent > budget - 1  # what is left cannot pay a step
    history = lambda r: [(t.arch, t.epochs, t.val_loss) for t in r.trials]  # noqa: E731
    same, again = (search("optuna-hyperband", evaluator=make(), budget=30, seed=2, progress=False)
                   for _ in range(2))
    other = search("optuna-hyperband", evaluator=make(), budget=30, seed=3, progress=False)
    assert history(same) == history(again) and history(other) != history(same)


def test_on_the_toy_a_failure_is_told_as_failed_and_min_epochs_sets_the_first_report():
    strategy = OptunaHyperband(eta=2, min_epochs=3)
    result = search(strategy, evaluator=sgd_diverges(), budget=12, seed=1, progress=False)
    assert strategy.fidelities == tuple(range(3, 11)) and min(t.epochs for t in result.trials) == 3
    failed = [t for t in strategy.study.trials if t.state.name == "FAIL"]
    assert failed and result.failures >= len(failed)
    assert strategy.study.pruner._reduction_factor == 2 and np.isfinite(result.best_val_loss)


def test_it_refuses_an_evaluator_without_fidelities_and_bad_parameters():
    class Plain(BaseEvaluator):
        def compute(self, work, should_stop):
            return (Trial(arch=a, val_loss=1.0, seed=s) for a, s in work)

    with pytest.raises(NasbookError, match="optuna-hyperband.*has no fidelities"):
        search("optuna-hyperband", evaluator=Plain(), budget=3, progress=False)
    with pytest.raises(NasbookError, match=r"min_epochs=3.*\[1, 2, 5, 10\]"):
        search(OptunaHyperband(min_epochs=3), evaluator=TabularEvaluator(), budget=3, progress=False)
    with pytest.raises(NasbookError, match="eta"):
        make_strategy("optuna-hyperband", eta=1)


def test_it_is_registered_resumes_and_runs_from_the_command_line(tmp_path, capsys):
    assert STRATEGIES["optuna-hyperband"] is OptunaHyperband and OptunaHyperband.multi_fidelity
    kwargs = dict(budget=6, seed=5, progress=False)
    whole = search("optuna-hyperband", evaluator=TabularEvaluator(), **kwargs)
    seen = []
    search("optuna-hyperband", evaluator=TabularEvaluator(), log=tmp_path / "r.jsonl",
           callback=lambda t, s: seen.append(t), stop=lambda: len(seen) >= len(whole.trials) // 2, **kwargs)
    resumed = search("optuna-hyperband", evaluator=TabularEvaluator(), log=tmp_path / "r.jsonl", resume=True,
                     **kwargs)
    fields = lambda r: [(t.arch, t.val_loss, t.epochs, t.continued_from) for t in r.trials]  # noqa: E731
    assert resumed.resumed == len(whole.trials) // 2 and fields(resumed) == fields(whole)
    assert main(["search", "--strategy", "optuna-hyperband", "--budget", "1", "--protocol", "article",
                 "--device", "cpu", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["strategy"] == "optuna-hyperband" and summary["evaluations"] >= 1


def test_it_says_when_optuna_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # makes `import optuna` raise ImportError
    with pytest.raises(NasbookError, match="optuna-hyperband.*pip install"):
        search("optuna-hyperband", evaluator=TabularEvaluator(), budget=2, progress=False)
    from nasbook.experiments.showdown import available

    names, missing = available(["random", "optuna-hyperband"])
    assert names == ["random"] and "Optuna is not installed" in missing["optuna-hyperband"]
