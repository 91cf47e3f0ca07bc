"""The evaluator interface: one template (check, cache, compute, report in order) for every evaluator."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import nasbook
from nasbook import BaseEvaluator, Evaluator, NasbookError, Protocol, Trial
from nasbook.assignments.guard import Watch, WatchedEvaluator
from nasbook.evaluation.executors import plan_jobs, run_in_order
from nasbook.evaluation.protocols import PROTOCOLS, make_protocol
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.loop.outer import run_header
from nasbook.strategies import RandomSearch
from nasbook.tabular import TabularEvaluator
from nasbook.tabular.recorded import ProposalRecorder

SPACE = {"num_hidden_layers": [1, 2, 3], "hidden_layer_size": [8, 16]}
SHORT = Protocol("short", epochs=2)


class Width(BaseEvaluator):
    """The smallest evaluator: only the compute step. Its "loss" is the layer width."""

    def __init__(self) -> None:
        super().__init__()
        self.computed = []

    def compute(self, work, should_stop):
        for arch, seed in work:
            self.computed.append((arch["num_hidden_layers"], arch["hidden_layer_size"], seed))
            yield Trial(arch=arch, val_loss=float(arch["hidden_layer_size"]), seed=seed, seconds=1.5)


def test_a_subclass_that_writes_only_compute_runs_a_search():
    evaluator = Width()
    result = nasbook.search("random", space=SPACE, budget=12, seed=0, evaluator=evaluator, progress=False)
    assert result.evaluations == 12 and result.best_val_loss == 8.0
    assert len(evaluator.computed) == len(set(evaluator.computed)) == 12 - result.cache_hits  # repeats not recomputed
    assert isinstance(evaluator, BaseEvaluator) and evaluator.task is None and str(evaluator.device) == "cpu"
    assert evaluator.describe().startswith("Width: The smallest evaluator")


def test_cache_hits_are_copies_at_no_cost_and_duplicates_in_one_call_are_computed_once():
    evaluator = Width()
    a, b = {"num_hidden_layers": 1, "hidden_layer_size": 8}, {"num_hidden_layers": 2, "hidden_layer_size": 16}
    trials = evaluator.evaluate_many([a, b, a, dict(a), b], seed=[0, 0, 0, 1, 0])
    assert evaluator.computed == [(1, 8, 0), (2, 16, 0), (1, 8, 1)]  # (a, 0) and (b, 0) once each
    assert [t.cached for t in trials] == [False, False, True, False, True]
    hit = trials[2]
    assert hit.val_loss == trials[0].val_loss and hit.seconds == 0 and hit.extras["trained_seconds"] == 1.5
    assert hit is not trials[0] and hit.arch == a
    again = evaluator.evaluate(b)
    assert again.cached and len(evaluator.computed) == len(evaluator.cache) == 3
    plain = Trial(arch=a, val_loss=1.0, seconds=2.0, steps=7, extras={"x": 1})
    copy = plain.as_cached({"num_hidden_layers": 1})
    assert (copy.cached, copy.seconds, copy.steps, copy.arch) == (True, 0.0, 0, {"num_hidden_layers": 1})
    assert copy.extras == {"x": 1, "trained_seconds": 2.0} and plain.extras == {"x": 1}


def test_every_arch_and_seed_is_checked_before_any_compute():
    evaluator = ToyEvaluator(SPACE)
    with pytest.raises(NasbookError, match="hidden_layer_size"):
        evaluator.evaluate_many([{"num_hidden_layers": 1, "hidden_layer_size": 8},
                                 {"num_hidden_layers": 1, "hidden_layer_size": 9}])
    with pytest.raises(NasbookError, match="seed=-1"):
        evaluator.evaluate_many([{"num_hidden_layers": 1, "hidden_layer_size": 8}], seed=-1)
    with pytest.raises(NasbookError, match="2 seeds"):
        evaluator.evaluate_many([{"num_hidden_layers": 1, "hidden_layer_size": 8}], seed=[0, 1])
    assert evaluator.calls == 0


def test_the_toy_does_not_cache_by_default_and_counts_every_call():
    arch = {"num_hidden_layers": 1, "hidden_layer_size": 8}
    toy = ToyEvaluator(SPACE)
    assert [t.cached for t in toy.evaluate_many([arch, arch])] == [False, False] and toy.calls == 2
    cached = ToyEvaluator(SPACE, cache=True)
    assert [t.cached for t in cached.evaluate_many([arch, arch])] == [False, True] and cached.calls == 1


def test_stop_returns_what_finished_and_closes_the_compute_step():
    closed = []

    class Closing(Width):
        def compute(self, work, should_stop):
            try:
                yield from super().compute(work, should_stop)
            finally:
                closed.append(len(self.computed))

    evaluator, seen = Closing(), []
    archs = [{"num_hidden_layers": n, "hidden_layer_size": 8} for n in (1, 2, 3)]
    trials = evaluator.evaluate_many(archs, on_trial=seen.append, should_stop=lambda: len(seen) >= 2)
    assert len(trials) == 2 and seen == trials and closed == [2]


def test_remember_makes_a_logged_trial_a_cache_hit():
    evaluator = Width()
    arch = {"num_hidden_layers": 1, "hidden_layer_size": 8}
    evaluator.remember(Trial(arch=arch, val_loss=0.5, seed=3))
    evaluator.remember(Trial(arch=arch, val_loss=0.7, seed=4, extras={"worker_error": True}))  # says nothing
    assert evaluator.evaluate(arch, seed=3).cached and evaluator.evaluate(arch, seed=3).val_loss == 0.5
    assert not evaluator.evaluate(arch, seed=4).cached


def test_plan_jobs_groups_caps_and_orders_by_first_item():
    items = ["a1", "b1", "a2", "a3", "c1", "b2", "a4"]
    jobs = plan_jobs(items, group=lambda item: item[0], most=lambda key: 2 if key == "a" else 5)
    assert jobs == [[0, 2], [1, 5], [3, 6], [4]]


def test_run_in_order_delivers_in_item_order_when_jobs_finish_out_of_order():
    items = list(range(6))
    jobs = [[0, 3], [1], [2, 4], [5]]
    finished = []

    def work(job):  # the first jobs take longest
        time.sleep(0.05 * (6 - job[0]))
        finished.append(job[0])
        return [10 * i for i in job]

    with ThreadPoolExecutor(4) as pool:
        delivered = list(run_in_order(items, jobs, work, pool, lambda: False))
    assert delivered == [0, 10, 20, 30, 40, 50] and finished != sorted(finished)
    with ThreadPoolExecutor(1) as pool:  # a failed job: its exception is each item's result
        failing = list(run_in_order(items[:2], [[0, 1]], lambda job: 1 / 0, pool, lambda: False))
    assert len(failing) == 2 and all(isinstance(r, ZeroDivisionError) for r in failing)


class SlowFirst(Evaluator):
    """Trains the first-asked architectures slowest, so their jobs finish last (it changes
    train(), so it trains one by one: batched stays False on a CPU)."""

    finished = []
    lock = threading.Lock()

    def train(self, arch, seed):
        trial = super().train(arch, seed)
        time.sleep(0.3 * (3 - arch["num_hidden_layers"]))
        with self.lock:
            self.finished.append(arch["num_hidden_layers"])
        return trial


def test_an_executor_whose_jobs_finish_out_of_order_still_reports_in_ask_order():
    archs = [{"num_hidden_layers": n, "hidden_layer_size": 8} for n in (1, 2, 3)]
    serial = SlowFirst(protocol=SHORT, device="cpu").evaluate_many(archs)
    SlowFirst.finished.clear()
    seen = []
    with ThreadPoolExecutor(3) as pool:
        parallel = SlowFirst(protocol=SHORT, device="cpu", executor=pool).evaluate_many(archs, on_trial=seen.append)
    assert SlowFirst.finished[-1] == 1  # the first-asked job really finished last
    assert [t.arch for t in seen] == archs and seen == parallel
    assert [t.val_loss for t in parallel] == [t.val_loss for t in serial]


def test_using_an_executor():
    ev = Evaluator(protocol=SHORT, device="cpu")
    with ThreadPoolExecutor(2) as pool:
        twin = ev.using(pool)
        assert twin is not ev and twin.executor is pool and ev.executor is None and twin.cache is ev.cache
        arch = {"num_hidden_layers": 1, "hidden_layer_size": 8}
        assert not twin.evaluate(arch).cached and ev.evaluate(arch).cached  # one cache for both
        toy, width = ToyEvaluator(SPACE), Width()
        assert toy.using(pool) is toy and width.using(pool) is width  # instant: nothing to send away
        watched = WatchedEvaluator(ev, Watch())
        assert watched.using(pool).inner.executor is pool and WatchedEvaluator(toy, Watch()).using(pool).inner is toy
    with pytest.raises(NasbookError, match="executor=4"):
        Evaluator(executor=4)
    with pytest.raises(NasbookError, match="concurrent.futures.Executor"):
        ev.using("pool")


def test_run_header_is_what_the_run_log_records():
    from nasbook.spaces.space import SearchSpace

    table = TabularEvaluator()
    evaluators = [Evaluator(protocol=SHORT, device="cpu"), ToyEvaluator(SPACE), table, Width(),
                  ProposalRecorder(table.table), WatchedEvaluator(ToyEvaluator(SPACE), Watch())]
    strategy = RandomSearch()
    strategy.setup(SearchSpace(SPACE), 0)
    for ev in evaluators:
        header = run_header(strategy, SearchSpace(SPACE), ev, 5, 0)
        assert ev.run_header() == {k: header[k] for k in ("task", "task_seed", "task_data", "protocol",
                                                         "evaluator", "device")}


def test_every_evaluator_is_a_base_evaluator():
    table = TabularEvaluator()
    for ev in (Evaluator(device="cpu"), ToyEvaluator(), table, ProposalRecorder(table.table),
               WatchedEvaluator(ToyEvaluator(), Watch())):
        assert isinstance(ev, BaseEvaluator)


def test_the_article_protocol_keeps_its_old_name_as_an_alias():
    assert make_protocol("seed") is make_protocol("article") is PROTOCOLS["article"]
    assert PROTOCOLS["article"].name == "article" and "seed" not in PROTOCOLS
    assert Evaluator(protocol="seed", device="cpu").protocol.epochs == 10
    with pytest.raises(NasbookError, match="'article', 'default'"):
        make_protocol("fast")


def test_a_compute_step_that_skips_work_is_a_clear_error():
    class Lazy(Width):
        def compute(self, work, should_stop):
            return iter(())

    with pytest.raises(TypeError, match=r"Lazy.compute\(\) must yield one Trial per work item"):
        Lazy().evaluate({"num_hidden_layers": 1, "hidden_layer_size": 8})
