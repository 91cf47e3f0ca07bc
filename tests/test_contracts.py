"""Contracts the search loop checks: evaluators, strategies, callbacks, stop functions, executors.

Each broken contract is refused with a message that names who broke it and what it must do,
before anything trains where that can be known up front (a signature, a shut-down executor,
a forgotten ``super()``), and at the first broken call otherwise, so the loop never spins
for ever and the run log never misses a trial.
"""
from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from nasbook import NasbookError, read_log, search
from nasbook.evaluation.base import BaseEvaluator
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.loop.budget import Cost, check_cost
from nasbook.strategies import RandomSearch
from nasbook.trial import Trial

SPACE = {"num_hidden_layers": [1, 2, 3], "hidden_layer_size": [8, 16]}


def run(**kw):
    kw.setdefault("evaluator", ToyEvaluator(SPACE))
    return search(space=SPACE, budget=kw.pop("budget", 4), seed=kw.pop("seed", 0), progress=False, **kw)


# -- evaluators ---------------------------------------------------------------------------------
class Short(ToyEvaluator):
    """Returns one trial fewer than asked, without being told to stop (the loop would spin)."""

    def evaluate_many(self, archs, seed=0, on_trial=None, should_stop=None):
        return super().evaluate_many(archs[:-1], seed, on_trial=on_trial, should_stop=should_stop)


class Silent(ToyEvaluator):
    """Never calls on_trial (the log and the progress bar would miss every trial)."""

    def evaluate_many(self, archs, seed=0, on_trial=None, should_stop=None):
        return super().evaluate_many(archs, seed)


class Twice(ToyEvaluator):
    """Reports every trial twice."""

    def evaluate_many(self, archs, seed=0, on_trial=None, should_stop=None):
        return super().evaluate_many(archs, seed, on_trial=lambda t: (on_trial(t), on_trial(t)))


class Nothing(ToyEvaluator):
    def evaluate_many(self, archs, seed=0, on_trial=None, should_stop=None):
        return None


class OldSignature(ToyEvaluator):
    def evaluate_many(self, archs, seed=0):
        return super().evaluate_many(archs, seed)


@pytest.mark.parametrize("evaluator, words", [
    (Short, ["Short.evaluate_many returned 0 trials for 1 architectures without being stopped",
             "one per architecture"]),
    (Silent, ["Silent.evaluate_many returned 1 trials but reported 0 through on_trial", "call on_trial(trial) once"]),
    (Twice, ["Twice.evaluate_many returned 1 trials but reported 2 through on_trial"]),
    (Nothing, ["Nothing.evaluate_many returned None", "a list of Trials"]),
])
def test_an_evaluator_that_breaks_its_contract_is_named(evaluator, words):
    with pytest.raises(NasbookError) as caught:
        run(evaluator=evaluator(SPACE))
    for word in words:
        assert word in str(caught.value)


def test_an_evaluator_that_does_not_take_on_trial_is_refused_before_it_evaluates():
    evaluator = OldSignature(SPACE)
    with pytest.raises(NasbookError, match=r"OldSignature.evaluate_many must accept \(archs, seed, on_trial=None, "
                                           r"should_stop=None\)"):
        run(evaluator=evaluator)
    assert evaluator.calls == 0


def test_an_evaluator_stopped_mid_batch_may_return_fewer_trials():
    seen = []
    result = run(strategy=RandomSearch(batch_size=3), callback=lambda t, s: seen.append(t),
                 stop=lambda: len(seen) >= 2, budget=6)
    assert result.interrupted and len(result.trials) == 2


# -- executors ----------------------------------------------------------------------------------
def test_a_shut_down_executor_is_refused_at_the_start_with_any_evaluator():
    pool = ThreadPoolExecutor(1)
    pool.shutdown()
    evaluator = ToyEvaluator(SPACE)  # an instant evaluator ignores executors: still refused
    with pytest.raises(NasbookError) as caught:
        run(evaluator=evaluator, executor=pool)
    message = str(caught.value)
    assert "executor=<concurrent.futures.thread.ThreadPoolExecutor" in message
    assert "an executor that accepts work" in message and "after shutdown" in message
    assert evaluator.calls == 0


def test_a_running_executor_gets_only_a_probe_and_the_search_runs():
    with ThreadPoolExecutor(1) as pool:
        assert len(run(executor=pool).trials) == 4


# -- stop and callback --------------------------------------------------------------------------
@pytest.mark.parametrize("answer", ["yes", 1, None, np.array([True, False])])
def test_stop_must_answer_true_or_false(answer):
    evaluator = ToyEvaluator(SPACE)
    with pytest.raises(NasbookError, match=r"stop\(\) returned .*; it must return True .* or False"):
        run(evaluator=evaluator, stop=lambda: answer)
    assert evaluator.calls == 0  # asked before the first trial


def test_numpy_bools_from_stop_are_fine():
    seen = []
    result = run(callback=lambda t, s: seen.append(t), stop=lambda: np.bool_(len(seen) >= 2))
    assert result.interrupted and len(result.trials) == 2


@pytest.mark.parametrize("callback", [lambda trial: None, lambda: None, lambda a, b, c: None])
def test_a_callback_that_cannot_take_trial_and_strategy_is_refused_before_the_first_trial(callback):
    evaluator = ToyEvaluator(SPACE)
    with pytest.raises(NasbookError, match=r"callback=.* is not allowed; a function callback\(trial, strategy\) or "
                                           r"None: it is called with two arguments"):
        run(evaluator=evaluator, callback=callback)
    assert evaluator.calls == 0


@pytest.mark.parametrize("callback", [print, lambda *args: None, lambda trial, strategy, extra=1: None])
def test_callbacks_that_take_two_arguments_are_fine(callback, capsys):
    assert len(run(callback=callback).trials) == 4


def test_a_callback_that_raises_ends_the_search_and_the_log_keeps_every_finished_trial(tmp_path):
    log = tmp_path / "run.jsonl"

    def explode(trial, strategy):
        if trial.step == 2:
            raise ZeroDivisionError("the plot broke")

    with pytest.raises(ZeroDivisionError, match="the plot broke"):
        run(log=log, callback=explode, budget=6)
    _, trials, _ = read_log(log)
    assert [t.step for t in trials] == [0, 1, 2]  # the trial the callback raised on is logged too
    resumed = run(log=log, resume=True, budget=6)  # the lock was released; the search goes on
    assert resumed.resumed == 3 and len(resumed.trials) == 6


# -- strategies ---------------------------------------------------------------------------------
class NoInit(RandomSearch):
    def __init__(self, batch_size=1):
        self.batch_size = batch_size


class NoSetup(RandomSearch):
    def setup(self, space, seed, evaluator=None, budget=None):
        self.count = 0


def test_a_strategy_that_forgot_super_init_is_told_what_to_add():
    evaluator = ToyEvaluator(SPACE)
    with pytest.raises(NasbookError, match=r"NoInit.__init__ did not call the base class's: add "
                                           r"super\(\).__init__\(mode\) as its first line"):
        run(strategy=NoInit(), evaluator=evaluator)
    assert evaluator.calls == 0


def test_a_strategy_that_forgot_super_setup_is_told_what_to_add():
    evaluator = ToyEvaluator(SPACE)
    with pytest.raises(NasbookError) as caught:
        run(strategy=NoSetup(), evaluator=evaluator)
    message = str(caught.value)
    assert "NoSetup.setup() did not call the base class's: add super().setup(space, seed, evaluator, budget)" in message
    assert "missing: self.space, self.seed, self.rng, self.trace" in message
    assert evaluator.calls == 0


class Charges(RandomSearch):
    def __init__(self, cost=None):
        super().__init__()
        self.cost = cost

    def prepare(self):
        return self.cost


@pytest.mark.parametrize("cost, words", [
    (Cost(-1.0), ["Charges.prepare() returned a cost of evaluations=-1.0", "a number >= 0"]),
    (Cost(math.nan), ["evaluations=nan", "a number >= 0"]),
    (Cost(math.inf), ["evaluations=inf", "a number >= 0"]),
    (Cost(True), ["evaluations=True", "a number >= 0"]),
    (Cost(1.0, steps=-3), ["steps=-3", "an integer >= 0"]),
    (Cost(1.0, steps=2.5), ["steps=2.5", "an integer >= 0"]),
    (3, ["Charges.prepare() returned 3", "Cost(evaluations=..., steps=...)"]),
])
def test_prepare_must_return_a_cost_that_is_a_number_of_evaluations_and_steps(cost, words):
    evaluator = ToyEvaluator(SPACE)
    with pytest.raises(NasbookError) as caught:
        run(strategy=Charges(cost), evaluator=evaluator)
    for word in words:
        assert word in str(caught.value)
    assert evaluator.calls == 0


def test_check_cost_keeps_numpy_numbers_as_plain_ones():
    cost = check_cost(Cost(np.float64(1.5), np.int64(3)))
    assert cost == Cost(1.5, 3) and type(cost.evaluations) is float and type(cost.steps) is int


class Asks(RandomSearch):
    def __init__(self, proposal=None):
        super().__init__()
        self.proposal = proposal

    def ask(self):
        return [dict(self.proposal)]


@pytest.mark.parametrize("proposal, words", [
    ({"num_hidden_layers": 1}, ["Asks.ask()[0]", "missing ['hidden_layer_size']"]),
    ({"num_hidden_layers": 1, "hidden_layer_size": 8, "colour": "red"}, ["unexpected ['colour']"]),
    ({"num_hidden_layers": 1.0, "hidden_layer_size": 8}, ["Asks.ask()[0]['num_hidden_layers']=1.0", "one of [1, 2, 3]"]),
    ({"num_hidden_layers": True, "hidden_layer_size": 8}, ["['num_hidden_layers']=True", "one of [1, 2, 3]"]),
])
def test_proposals_outside_the_space_are_refused_before_they_are_evaluated(proposal, words):
    evaluator = ToyEvaluator(SPACE)
    with pytest.raises(NasbookError) as caught:
        run(strategy=Asks(proposal), evaluator=evaluator)
    for word in words:
        assert word in str(caught.value)
    assert evaluator.calls == 0


def test_numpy_values_in_proposals_are_accepted_and_become_plain_values(tmp_path):
    proposal = {"num_hidden_layers": np.int64(2), "hidden_layer_size": np.int32(16)}
    result = run(strategy=Asks(proposal), log=tmp_path / "run.jsonl", budget=2)
    arch = result.trials[0].arch
    assert arch == {"num_hidden_layers": 2, "hidden_layer_size": 16}
    assert all(type(v) is int for v in arch.values())
    assert read_log(tmp_path / "run.jsonl")[1][0].arch == arch


# -- evaluators as plain objects ------------------------------------------------------------------
class Width(BaseEvaluator):
    def compute(self, work, should_stop):
        for arch, seed in work:
            yield Trial(arch=arch, val_loss=float(arch["hidden_layer_size"]), seed=seed)


def test_a_base_evaluator_subclass_keeps_the_contract():
    assert len(run(evaluator=Width()).trials) == 4


class NoMode(RandomSearch):
    def __init__(self):
        super().__init__()


class OnlyAsk(RandomSearch.__mro__[1]):  # Strategy, without tell
    def ask(self):
        return [{"num_hidden_layers": 1, "hidden_layer_size": 8}]


class OldSetup(RandomSearch):
    def setup(self, space):
        super().setup(space, 0)


@pytest.mark.parametrize("strategy, words", [
    (NoMode, ["strategy=NoMode cannot be built as NoMode(mode='default')", "its parameters are ()",
              "def __init__(self, mode='default', ...): super().__init__(mode)"]),
    (OnlyAsk, ["strategy=OnlyAsk cannot be used yet: it must implement tell"]),
    (OldSetup(), ["OldSetup.setup must accept (space, seed, evaluator=None, budget=None)"]),
])
def test_a_strategy_class_the_loop_cannot_use_is_refused_with_what_it_lacks(strategy, words):
    evaluator = ToyEvaluator(SPACE)
    with pytest.raises(NasbookError) as caught:
        run(strategy=strategy, evaluator=evaluator)
    for word in words:
        assert word in str(caught.value)
    assert evaluator.calls == 0


class Scores(BaseEvaluator):
    def __init__(self, loss):
        super().__init__()
        self.loss = loss

    def compute(self, work, should_stop):
        for arch, seed in work:
            yield Trial(arch=arch, val_loss=self.loss, seed=seed)


@pytest.mark.parametrize("loss", [-0.5, True, np.float64(-1e-9)])
def test_an_impossible_loss_is_refused_before_it_is_logged_or_wins(loss, tmp_path):
    log = tmp_path / "run.jsonl"
    message = (r"Trial.val_loss=True is not allowed; a number \(the validation loss\) or None" if loss is True
               else rf"Scores gave a trial with val_loss={re.escape(repr(loss))} .*a validation loss is a number >= 0")
    with pytest.raises(NasbookError, match=message):  # a bool is refused by Trial itself, the rest by the loop
        run(evaluator=Scores(loss), log=log)
    assert read_log(log)[1] == []  # nothing the reader would refuse was written


def test_numpy_losses_are_fine(tmp_path):
    result = run(evaluator=Scores(np.float32(0.25)), log=tmp_path / "run.jsonl")
    assert result.best_val_loss == 0.25 and len(read_log(tmp_path / "run.jsonl")[1]) == 4


class Reversed(ToyEvaluator):
    def evaluate_many(self, archs, seed=0, on_trial=None, should_stop=None):
        return super().evaluate_many(archs, seed, on_trial=on_trial, should_stop=should_stop)[::-1]


def test_trials_out_of_order_are_refused_before_the_strategy_learns_from_them():
    with pytest.raises(NasbookError, match=r"Reversed.evaluate_many returned the trial of .* for architecture 0, "
                                           r".*in the order asked"):
        run(evaluator=Reversed(SPACE), strategy=RandomSearch(batch_size=4), seed=0)


class Prepares(RandomSearch):
    prepared = 0

    def prepare(self):
        Prepares.prepared += 1
        return Cost()


def test_a_bad_stop_is_refused_before_the_prepare_phase_trains_anything(monkeypatch):
    monkeypatch.setattr(Prepares, "prepared", 0)
    with pytest.raises(NasbookError, match=r"stop\(\) returned 'no'"):
        run(strategy=Prepares(), stop=lambda: "no")
    assert Prepares.prepared == 0
    result = run(strategy=Prepares(), stop=lambda: True)  # stopped before it started: nothing is spent
    assert Prepares.prepared == 0 and result.trials == [] and result.interrupted
