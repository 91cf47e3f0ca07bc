"""The loop's contract with strategies: setup gets the budget, prepare() is charged, params are
the constructor's, the article's mode is "article" ("seed" still reads so), old logs resume."""
from __future__ import annotations

import json
import re
import math
import shutil
from pathlib import Path

import pytest
import torch

import nasbook
from nasbook import NasbookError, read_log, search
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.loop.budget import Budget, Cost
from nasbook.strategies import DARTS, REINFORCE, Evolution, RandomSearch, Strategy
from nasbook.tabular import TabularEvaluator, load_table
from nasbook.tabular.recorded import RECORD_PATH, load_records

DATA = Path(__file__).resolve().parent / "data"


class Recorded(RandomSearch):
    """Random search that notes what the loop called, in order."""

    def setup(self, space, seed, evaluator=None, budget=None):
        super().setup(space, seed, evaluator, budget)
        self.calls = [("setup", budget)]

    def prepare(self):
        self.calls.append(("prepare", None))
        return Cost(evaluations=2.5, steps=7)

    def ask(self):
        self.calls.append(("ask", None))
        return super().ask()


class OldStyleSetup(RandomSearch):
    """A student's strategy written before setup took a budget."""

    def setup(self, space, seed, evaluator=None):
        super().setup(space, seed, evaluator)
        self.ready = True


def test_setup_gets_the_budget_and_prepare_is_charged_once_before_the_first_ask():
    strategy = Recorded()
    result = search(strategy, evaluator=ToyEvaluator(), budget=10, seed=0, progress=False)
    assert strategy.calls[:3] == [("setup", 10), ("prepare", None), ("ask", None)]
    assert strategy.calls.count(("prepare", None)) == 1 and strategy.budget == 10
    assert result.evaluations == 7 and result.charged_evaluations == 2.5  # floor(10 - 2.5) evaluations
    assert result.total_steps == sum(t.steps for t in result.trials) + 7 and result.summary()["charged_evaluations"] == 2.5


def test_a_setup_without_budget_still_works():
    strategy = OldStyleSetup()
    result = search(strategy, evaluator=ToyEvaluator(), budget=5, seed=0, progress=False)
    assert strategy.ready and strategy.budget is None and result.evaluations == 5
    assert result.charged_evaluations == 0.0 and result.extra_steps == 0


@pytest.mark.parametrize("cost, words", [(Cost(evaluations=-1.0), "evaluations=-1.0"),
                                         (Cost(evaluations=math.nan), "evaluations=nan"),
                                         (Cost(steps=-2), "steps=-2"), (3.0, "3.0; it must return a nasbook Cost")])
def test_a_bad_prepare_cost_is_refused(cost, words):
    class Bad(RandomSearch):
        def prepare(self):
            return cost

    with pytest.raises(NasbookError, match=rf"Bad.prepare\(\) returned .*{re.escape(words)}"):
        search(Bad(), evaluator=ToyEvaluator(), budget=5, progress=False)


def test_the_budget_counts_evaluations_and_charged_compute():
    budget = Budget(10)
    budget.charge(Cost(evaluations=2.5, steps=3))
    budget.spend(1)
    assert (budget.total, budget.spent, budget.remaining) == (10, 3.5, 6)
    budget.spend(7)
    assert budget.remaining == 0 and budget.charged == Cost(2.5, 3)


def tiny_evaluator() -> nasbook.Evaluator:
    """64 + 32 rows of a 1-D regression, trained by the article's protocol (10 full-batch steps)."""
    g = torch.Generator().manual_seed(0)
    X = torch.rand(96, 1, generator=g) * 6 - 3
    task = nasbook.Task.from_arrays("tiny", X[:64], torch.sin(2 * X[:64]), X[64:], torch.sin(2 * X[64:]))
    return nasbook.Evaluator(task=task, protocol="seed", device="cpu")


SPACE = {"num_hidden_layers": [1, 2], "hidden_layer_size": [4, 8], "activation_function": ["ReLU", "Tanh"],
         "learning_rate": [0.1, 0.01], "optimizer": ["Adam", "SGD"]}


def test_darts_trains_its_supernet_in_prepare_and_refuses_a_budget_too_small():
    strategy = DARTS(mode="article")
    strategy.setup(nasbook.SearchSpace(SPACE), 0, tiny_evaluator(), budget=6)
    with pytest.raises(NasbookError, match="before prepare"):
        strategy.ask()
    cost = strategy.prepare()
    assert cost == Cost(evaluations=5.0, steps=50) and len(strategy.trace) == 25
    assert strategy.ask() == [strategy.chosen]
    with pytest.raises(NasbookError, match="budget=1 is not allowed; at least 2: DARTS' supernet"):
        search("darts", space=SPACE, evaluator=tiny_evaluator(), budget=1, progress=False)


def test_params_are_the_constructors_and_mode_defaults_resolve_in_setup():
    rl = REINFORCE(hidden=32)
    assert rl.params() == {"mode": "default", "batch_size": None, "lr": None, "hidden": 32, "entropy_weight": 0.1,
                           "baseline_decay": 0.8, "reward_bound": 7.0, "max_grad_norm": 1.0}
    search(rl, evaluator=ToyEvaluator(), budget=8, seed=0, progress=False)
    assert rl.params()["batch_size"] is None and rl.per_update == 4  # state lives beside, not in, params
    assert DARTS(mode="article").setting("alpha_lr") == 1e-3 and DARTS().setting("alpha_lr") == 3e-2
    assert DARTS(alpha_lr=0.5).params()["alpha_lr"] == 0.5
    with pytest.raises(NasbookError, match="alpha_lr=-1"):
        DARTS(alpha_lr=-1)  # values are still checked up front


def test_the_run_log_header_holds_parameters_not_state(tmp_path):
    log = tmp_path / "run.jsonl"
    search("rl", evaluator=ToyEvaluator(), budget=6, seed=0, progress=False, log=log)
    header, _, _ = read_log(log)
    assert header["params"] == REINFORCE().params() and header["mode"] == "default"


def test_article_is_the_mode_and_seed_its_alias():
    for mode in ("article", "seed"):
        result = search("evolution", mode=mode, evaluator=ToyEvaluator(), budget=12, seed=1, progress=False)
        assert result.mode == "article" and Evolution(mode=mode).mode == "article"
    assert [t.arch for t in search("rl", mode="seed", evaluator=ToyEvaluator(), budget=5, progress=False).trials] \
        == [t.arch for t in search("rl", mode="article", evaluator=ToyEvaluator(), budget=5, progress=False).trials]


def test_a_mode_beside_an_instance_is_refused():
    with pytest.raises(NasbookError, match=r"mode='article' is not allowed beside a strategy instance"):
        search(REINFORCE(), mode="article", evaluator=ToyEvaluator(), progress=False)
    assert search(REINFORCE(mode="article"), evaluator=ToyEvaluator(), budget=2, progress=False).mode == "article"


def test_the_shipped_darts_recording_reads_with_article_keys():
    raw = json.loads(RECORD_PATH.read_text())["runs"]
    records = load_records()
    assert len(records) == len(raw) and {r["mode"] for r in records.values()} == {"article", "default"}
    for run in raw:
        mode = {"seed": "article"}.get(run["mode"], run["mode"])
        assert records[f"{mode}/{run['budget']}/{run['seed']}"] == {**run, "mode": mode}  # numbers unchanged


class Custom(Strategy):
    """A learner's strategy whose constructor stores a non-plain value."""

    def __init__(self, mode="default", weights=(1, 2)):
        super().__init__(mode)
        self.weights = weights

    def ask(self):
        return [self.space.sample(self.rng)]

    def tell(self, trials):
        pass


def test_params_keep_plain_values_only():
    assert Custom().params() == {"mode": "default"}


@pytest.mark.parametrize("name, mode, file", [("evolution", "seed", "v0_1_evolution_seed.jsonl"),
                                              ("rl", "default", "v0_1_rl_default.jsonl")])
def test_a_log_written_before_the_change_resumes_to_the_uninterrupted_run(tmp_path, name, mode, file):
    """Fixtures: ``search(name, mode=mode, space=table.space, budget=30, seed=2, evaluator=TabularEvaluator(table),
    log=path)`` run by nasbook 0.1, cut to 15 trials: mode "seed", state in its params."""
    table = load_table()
    log = tmp_path / file
    shutil.copy(DATA / file, log)
    header, logged, _ = read_log(log)
    assert header["nasbook"] == "0.1.0" and "budget" in header["params"] and len(logged) == 15
    full = search(name, mode=mode, space=table.space, budget=30, seed=2, evaluator=TabularEvaluator(table),
                  progress=False)
    resumed = search(name, mode=mode, space=table.space, budget=30, seed=2, evaluator=TabularEvaluator(table),
                     progress=False, log=log, resume=True)
    assert resumed.resumed == 15 and resumed.evaluations == 30
    for a, b in ((full.trials, resumed.trials), (full.trials, read_log(log)[1])):
        assert [(t.arch, t.val_loss, t.status, t.cached) for t in a] == [(t.arch, t.val_loss, t.status, t.cached)
                                                                         for t in b]
    assert resumed.trace == full.trace


def test_an_old_log_with_other_parameters_is_refused(tmp_path):
    table = load_table()
    log = tmp_path / "old.jsonl"
    shutil.copy(DATA / "v0_1_rl_default.jsonl", log)
    with pytest.raises(NasbookError, match=r"cannot resume from .*old.jsonl: it was written with params=.*'lr': 0.005"):
        search(REINFORCE(lr=0.01), space=table.space, budget=30, seed=2, evaluator=TabularEvaluator(table),
               progress=False, log=log, resume=True)
