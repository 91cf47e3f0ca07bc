"""Fidelity in the strategy API: Proposal(arch, epochs=k), cost k/E, continuing a promoted training."""
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

import nasbook
from nasbook import Evaluator, NasbookError, Proposal, Strategy, search
from nasbook.evaluation import Protocol
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.fidelity import cost, fidelity_label
from nasbook.loop.runlog import read_log
from nasbook.tabular import TabularEvaluator
from nasbook.trial import Trial

ARCH = dict(num_hidden_layers=2, hidden_layer_size=32, activation_function="ReLU", learning_rate=0.01,
            optimizer="Adam", dropout_rate=0.2)  # dropout: its masks must continue too
SHORT = Protocol("default", epochs=6, batch_size=64, checkpoints=(2, 4, 6))


class Ladder(Strategy):
    """Each ask: a new architecture at the fewest epochs, then the same one at more, then a plain dict."""

    multi_fidelity = True

    def ask(self):
        arch, f = self.space.sample(self.rng), self.evaluator.fidelities()
        return [Proposal(arch, epochs=f[0]), Proposal(arch, epochs=f[len(f) // 2]), arch]

    def tell(self, trials):
        self.told = getattr(self, "told", 0) + len(trials)


def test_a_continued_training_equals_training_straight_there_bit_for_bit():
    ev = Evaluator(protocol=SHORT, device="cpu")
    low, = ev.evaluate_many([ARCH], 3, epochs=[2])
    mid, = ev.evaluate_many([ARCH], 3, epochs=[5])
    top, = ev.evaluate_many([ARCH], 3, epochs=[6])
    straight, = Evaluator(protocol=SHORT, device="cpu").evaluate_many([ARCH], 3, epochs=[5])
    full = Evaluator(protocol=SHORT, device="cpu").evaluate(ARCH, 3)
    assert (low.continued_from, mid.continued_from, top.continued_from) == (0, 2, 5)
    assert (mid.val_loss, mid.train_curve, mid.val_curve) == (straight.val_loss, straight.train_curve,
                                                              straight.val_curve)
    assert (top.val_loss, top.train_curve, top.val_curve) == (full.val_loss, full.train_curve, full.val_curve)
    assert low.steps + mid.steps + top.steps == full.steps  # only the extra epochs were trained
    assert full.epochs is None and top.epochs == 6


def test_fewer_epochs_than_kept_and_executors_retrain_and_are_charged_in_full():
    ev = Evaluator(protocol=SHORT, device="cpu")
    ev.evaluate_many([ARCH], 1, epochs=[4])
    again, = ev.evaluate_many([ARCH], 1, epochs=[2])  # cannot go back: a fresh training
    assert again.continued_from == 0 and cost(again, 6) == pytest.approx(2 / 6)
    more, = ev.evaluate_many([ARCH], 1, epochs=[5])  # the 4-epoch training was kept
    assert more.continued_from == 4 and cost(more, 6) == pytest.approx(1 / 6)
    with ThreadPoolExecutor(1) as pool:
        remote = Evaluator(protocol=SHORT, device="cpu").using(pool)
        remote.evaluate_many([ARCH], 1, epochs=[2])
        promoted, = remote.evaluate_many([ARCH], 1, epochs=[5])
    assert promoted.continued_from == 0 and promoted.val_loss == more.val_loss  # retrained: same numbers


def test_cost_is_counted_in_evaluation_equivalents():
    assert cost(Trial(arch={}, val_loss=1.0), 20) == 1
    assert cost(Trial(arch={}, val_loss=1.0, epochs=5), 20) == 0.25
    assert cost(Trial(arch={}, val_loss=1.0, epochs=10, continued_from=5), 20) == 0.25
    assert cost(Trial(arch={}, val_loss=1.0, epochs=10, continued_from=5, cached=True), 20) == 0.5
    assert fidelity_label(Trial(arch={}, val_loss=1.0, epochs=10, continued_from=5)) == "10 ep (from 5)"


@pytest.mark.parametrize("evaluator", [ToyEvaluator, TabularEvaluator])
def test_a_search_spends_its_budget_in_evaluation_equivalents(evaluator):
    ev = evaluator()
    result = search(Ladder(), evaluator=ev, budget=5, seed=0, progress=False)
    full = ev.fidelities()[-1]
    spent = sum(cost(t, full) for t in result.trials)
    assert spent <= 5 + 1e-9 and spent > 5 - 1 / full - 1e-9
    assert len(result.trials) > 5  # cheaper trials: more of them
    low, mid, top = result.trials[:3]
    assert (low.epochs, mid.continued_from, top.epochs, top.continued_from) == (ev.fidelities()[0], low.epochs,
                                                                                full, mid.epochs)


def test_the_table_answers_its_recorded_epochs_and_refuses_others():
    ev = TabularEvaluator()
    arch = ev.space.sample(__import__("numpy").random.default_rng(0))
    five, = ev.evaluate_many([arch], 0, epochs=[5])
    assert five.val_loss == five.val_curve["5"] and len(five.train_curve) == 5 and five.epochs == 5
    full = ev.evaluate(arch, 0)
    assert full.val_curve["5"] == five.val_loss  # the same run, stopped earlier
    with pytest.raises(NasbookError, match=r"epochs=3.*\[1, 2, 5, 10\]"):
        ev.evaluate_many([arch], 0, epochs=[3])


def test_an_evaluator_without_fidelities_refuses_a_proposal_with_epochs():
    class Plain(nasbook.BaseEvaluator):
        def compute(self, work, should_stop):
            return (Trial(arch=a, val_loss=1.0, seed=s) for a, s in work)

    with pytest.raises(NasbookError, match="full fidelity only"):
        search(Ladder(), evaluator=_WithFidelitiesForSetup(Plain()), budget=2, progress=False)


class _WithFidelitiesForSetup(nasbook.evaluation.base.WrappingEvaluator):
    """Tells the strategy there are fidelities (so Ladder can ask), while the inner evaluator has none."""

    def fidelities(self):
        return (1, 2)

    def evaluate_many(self, archs, seed=0, on_trial=None, should_stop=None, epochs=None):
        return self.inner.evaluate_many(archs, seed, on_trial=on_trial, should_stop=should_stop,
                                        **({} if epochs is None else {"epochs": epochs}))


def test_full_fidelity_trials_are_written_as_before_and_old_logs_read_as_full(tmp_path):
    plain = search("random", evaluator=ToyEvaluator(), budget=3, log=tmp_path / "a.jsonl", progress=False)
    lines = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()[1:]]
    assert all("epochs" not in line and "continued_from" not in line for line in lines)
    assert all(t.epochs is None for t in read_log(tmp_path / "a.jsonl")[1])
    assert "epochs" not in plain.to_frame().columns
    multi = search(Ladder(), evaluator=ToyEvaluator(), budget=2, log=tmp_path / "b.jsonl", progress=False)
    logged = read_log(tmp_path / "b.jsonl")[1]
    assert [(t.epochs, t.continued_from) for t in logged] == [(t.epochs, t.continued_from) for t in multi.trials]
    frame = multi.to_frame()
    assert list(frame["epochs"][:3]) == [1, 6, 10] and frame["fidelity"][1] == "6 ep (from 1)"


@pytest.mark.parametrize("evaluator", [lambda: ToyEvaluator(), lambda: Evaluator(protocol=SHORT, device="cpu")])
def test_a_resumed_fidelity_search_equals_the_uninterrupted_one(tmp_path, evaluator):
    space = {k: v[:2] for k, v in nasbook.ARTICLE_SPACE.items()}
    kwargs = dict(space=space, budget=2, seed=4, progress=False)
    whole = search(Ladder(), evaluator=evaluator(), **kwargs)
    seen = []
    stop = lambda: len(seen) >= 4  # noqa: E731  (stops mid-ask: a promotion is next)
    search(Ladder(), evaluator=evaluator(), log=tmp_path / "r.jsonl", callback=lambda t, s: seen.append(t),
           stop=stop, **kwargs)
    resumed = search(Ladder(), evaluator=evaluator(), log=tmp_path / "r.jsonl", resume=True, **kwargs)
    fields = lambda r: [(t.arch, t.val_loss, t.epochs, t.continued_from) for t in r.trials]  # noqa: E731
    assert resumed.resumed == 4 and fields(resumed) == fields(whole)


@pytest.mark.parametrize("epochs, message", [("5", r"epochs='5'; ToyEvaluator can train to epochs 1\.\.10"),
                                             (11, r"epochs=11; ToyEvaluator can train to epochs 1\.\.10"),
                                             (0, r"epochs=0")])
def test_a_proposal_with_epochs_the_evaluator_lacks_is_refused_before_training(epochs, message):
    class Asks(Ladder):
        def ask(self):
            return [Proposal(self.space.sample(self.rng), epochs=epochs)]

    toy = ToyEvaluator()
    with pytest.raises(NasbookError, match=message):
        search(Asks(), evaluator=toy, budget=2, progress=False)
    assert toy.calls == 0
