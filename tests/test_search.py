"""The shared search loop and random search, on the toy evaluator and on real training."""
import json
import math
import threading

import pytest

import nasbook
from nasbook import NasbookError, SearchSpace, Strategy, read_log
from nasbook.evaluation.toy import ToyEvaluator


def test_random_search_respects_budget_and_is_seeded():
    toy = ToyEvaluator()
    a = nasbook.search("random", evaluator=toy, budget=30, seed=5, progress=False)
    b = nasbook.search("random", evaluator=ToyEvaluator(), budget=30, seed=5, progress=False)
    assert a.evaluations == 30 == toy.calls
    assert [t.arch for t in a.trials] == [t.arch for t in b.trials]
    assert [t.step for t in a.trials] == list(range(30))
    assert a.best_val_loss == min(t.score for t in a.trials)
    assert a.best_so_far() == sorted(a.best_so_far(), reverse=True)


def test_batch_proposals_are_cut_to_the_budget():
    result = nasbook.search(nasbook.strategies.RandomSearch(batch_size=8), evaluator=ToyEvaluator(),
                            budget=20, progress=False)
    assert result.evaluations == 20


def test_failed_trials_never_become_best():
    toy = ToyEvaluator(diverge=lambda arch: arch["learning_rate"] == 0.1)
    result = nasbook.search("random", evaluator=toy, budget=60, seed=0, progress=False)
    assert result.failures > 0
    assert result.best.ok and math.isfinite(result.best_val_loss)
    assert result.best.arch["learning_rate"] != 0.1


def test_all_failed_search_has_no_best_and_a_clean_summary():
    result = nasbook.search("random", evaluator=ToyEvaluator(diverge=lambda a: True), budget=5, progress=False)
    assert result.best is None and result.best_val_loss == math.inf
    assert result.summary()["best_val_loss"] is None
    json.dumps(result.summary())  # JSON-ready, no NaN/inf


def test_real_search_writes_the_log_as_it_goes(tmp_path):
    log = tmp_path / "run.jsonl"
    lines_seen = []
    result = nasbook.search("random", budget=3, seed=0, protocol="seed", device="cpu", log=log, progress=False,
                            callback=lambda trial, strategy: lines_seen.append(len(log.read_text().splitlines())))
    assert lines_seen == [2, 3, 4]  # header + one line per finished trial, written before the callback
    header, trials, warnings = read_log(log)
    assert header["strategy"] == "random" and header["seed"] == 0 and header["task"] == "synthetic"
    assert [t.arch for t in trials] == [t.arch for t in result.trials] and not warnings
    frame = nasbook.load_trials(log)
    assert list(frame["val_loss"]) == [t.val_loss for t in result.trials]
    assert {"num_hidden_layers", "status", "elapsed"} <= set(frame.columns)


def test_stop_event_ends_the_search_and_keeps_finished_trials():
    stop = threading.Event()
    result = nasbook.search("random", evaluator=ToyEvaluator(), budget=100, progress=False, stop=stop,
                            callback=lambda t, s: stop.set() if t.step == 6 else None)
    assert result.evaluations == 7 and result.interrupted


def test_ctrl_c_returns_the_partial_result():
    def interrupt(trial, strategy):
        if trial.step == 3:
            raise KeyboardInterrupt

    result = nasbook.search("random", evaluator=ToyEvaluator(), budget=100, progress=False, callback=interrupt)
    assert result.evaluations == 4 and result.interrupted


class OutOfSpace(Strategy):
    def ask(self):
        return [{**self.space.sample(self.rng), "hidden_layer_size": 7}]

    def tell(self, trials):
        pass


class Empty(OutOfSpace):
    def ask(self):
        return []


def test_a_strategy_proposing_outside_the_space_gets_a_clear_error():
    with pytest.raises(NasbookError, match=r"OutOfSpace.ask\(\)\[0\]\['hidden_layer_size'\]=7"):
        nasbook.search(OutOfSpace(), evaluator=ToyEvaluator(), budget=3, progress=False)
    with pytest.raises(NasbookError, match="non-empty list"):
        nasbook.search(Empty(), evaluator=ToyEvaluator(), budget=3, progress=False)


def test_custom_space_and_bad_loop_arguments():
    space = SearchSpace({"num_hidden_layers": [1, 2], "hidden_layer_size": [8, 16]})
    result = nasbook.search("random", space=space, evaluator=ToyEvaluator(space), budget=4, progress=False)
    assert all(set(t.arch) == {"num_hidden_layers", "hidden_layer_size"} for t in result.trials)
    with pytest.raises(NasbookError, match="budget=0"):
        nasbook.search("random", evaluator=ToyEvaluator(), budget=0)
    with pytest.raises(NasbookError, match="seed=1.5"):
        nasbook.search("random", evaluator=ToyEvaluator(), seed=1.5)
    with pytest.raises(NasbookError, match="strategy='grid'"):
        nasbook.search("grid", evaluator=ToyEvaluator())
    with pytest.raises(NasbookError, match="mode='careful'"):
        nasbook.search("random", mode="careful", evaluator=ToyEvaluator())
