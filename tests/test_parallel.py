"""Population-parallel training equals one-by-one training (nasbook.evaluation.stacked, stacked_optim)."""
import itertools

import pytest
import torch

import nasbook
from nasbook import Evaluator
from nasbook.evaluation.training import Protocol
from nasbook.evaluation.stacked import train_population
from nasbook.evaluation.stacked_optim import ORDER, StackedOptimizer

DIVERGING = {"num_hidden_layers": 1, "hidden_layer_size": 64, "activation_function": "ReLU",
             "learning_rate": 0.1, "optimizer": "SGD", "dropout_rate": 0.0}
SHORT = Protocol("short", epochs=3, batch_size=None, checkpoints=(2,))
MINI = Protocol("mini", epochs=2, batch_size=128, checkpoints=(1, 2))


def arch(**changes):
    return {"num_hidden_layers": 2, "hidden_layer_size": 16, "activation_function": "Tanh",
            "learning_rate": 0.01, "optimizer": "Adam", "dropout_rate": 0.0, **changes}


def mixed_group():
    """Every optimiser, two learning rates, with and without dropout, several seeds."""
    combos = itertools.product(ORDER, [0.01, 0.001], [0.0, 0.4])
    archs = [arch(optimizer=o, learning_rate=lr, dropout_rate=d) for o, lr, d in combos]
    return archs, [i % 3 for i in range(len(archs))]


def assert_same(reference, batched, tol=1e-3):
    for r, b in zip(reference, batched):
        assert (r.status, r.steps, r.params, r.seed) == (b.status, b.steps, b.params, b.seed)
        assert r.val_curve.keys() == b.val_curve.keys()
        if r.ok:
            assert abs(r.val_loss - b.val_loss) <= tol, (r.arch, r.val_loss, b.val_loss)
            for x, y in zip(r.train_curve + list(r.val_curve.values()),
                            b.train_curve + list(b.val_curve.values())):
                assert abs(x - y) <= tol


@pytest.mark.parametrize("protocol,task", [(SHORT, "synthetic"), (MINI, "synthetic"), (SHORT, "digits")])
def test_population_equals_one_by_one(protocol, task):
    ev = Evaluator(task=task, protocol=protocol, device="cpu", cache=False, batched=True)
    archs, seeds = mixed_group()
    if task == "digits":  # 64 inputs, 10 classes: a slower task, half the group is enough
        archs, seeds = archs[::2], seeds[::2]
    reference = [ev.train(a, s) for a, s in zip(archs, seeds)]
    batched = train_population(archs, seeds, ev.task, ev.protocol, ev.device)
    assert [t.arch for t in batched] == archs  # back in the order given
    assert all(t.extras["population"] == len(archs) for t in batched)
    assert_same(reference, batched)


def test_divergence_stays_with_its_member():
    ev = Evaluator(protocol="seed", device="cpu", cache=False, batched=True)
    healthy = dict(DIVERGING, learning_rate=0.001)
    archs = [healthy, DIVERGING, dict(healthy, optimizer="Adam")]
    batched = train_population(archs, [0, 0, 0], ev.task, ev.protocol, ev.device)
    assert [t.status for t in batched] == ["ok", "diverged", "ok"]
    assert batched[1].val_loss is None and batched[1].score == float("inf")
    assert_same([ev.train(a, 0) for a in archs], batched)


def test_a_group_whose_members_all_diverge_in_the_same_epoch_is_recorded_not_a_crash():
    # found while building the learning-curve table: emptying the stack indexed with a float tensor
    ev = Evaluator(protocol="seed", device="cpu", cache=False, batched=True)
    archs = [DIVERGING, dict(DIVERGING, dropout_rate=0.2)]
    batched = train_population(archs, [0, 1], ev.task, ev.protocol, ev.device)
    assert [t.status for t in batched] == ["diverged", "diverged"]
    assert_same([ev.train(a, s) for a, s in zip(archs, [0, 1])], batched)


@pytest.mark.parametrize("kind", ORDER)
def test_stacked_optimizers_follow_torch_optim(kind):
    torch.manual_seed(0)
    lrs = [0.1, 0.003]
    start = torch.randn(2, 3, 4)
    stacked = start.clone().requires_grad_()
    opt = StackedOptimizer([kind, kind], lrs)
    singles = [start[i].clone().requires_grad_() for i in range(2)]
    torch_opts = [nasbook.spaces.mlp.OPTIMIZER_CLASSES[kind]([p], lr=lr) for p, lr in zip(singles, lrs)]
    for step in range(5):
        grads = torch.randn(2, 3, 4)
        stacked.grad = grads.clone()
        opt.step([stacked])
        for p, o, g in zip(singles, torch_opts, grads):
            p.grad = g.clone()
            o.step()
    for i in range(2):
        assert torch.allclose(stacked[i].detach(), singles[i].detach(), atol=1e-6, rtol=1e-6)


def test_stacked_optimizer_keep_drops_members_and_state():
    opt = StackedOptimizer(["Adam", "SGD", "RMSprop"], [0.1, 0.2, 0.3])
    p = torch.ones(3, 2, requires_grad=True)
    p.grad = torch.ones(3, 2)
    opt.step([p])
    opt.keep([0, 2])
    assert opt.kinds == ["Adam", "RMSprop"] and opt.lrs == [0.1, 0.3]
    assert opt.state[0]["Adam"]["exp_avg"].shape == (1, 2)
    assert opt.state[0]["RMSprop"]["square_avg"].shape == (1, 2)
    with pytest.raises(ValueError):
        StackedOptimizer(["SGD", "Adam"], [0.1, 0.1])


def test_evaluate_many_batches_and_keeps_cache_semantics():
    archs, _ = mixed_group()
    batched = Evaluator(protocol="seed", device="cpu", batched=True)
    seen = []
    trials = batched.evaluate_many(archs + [DIVERGING, archs[0]], seed=0, on_trial=seen.append)
    assert seen == trials and [t.arch for t in trials] == archs + [DIVERGING, archs[0]]
    assert trials[0].extras["population"] == len(archs)
    assert trials[-1].cached and not trials[0].cached  # asked twice: second is a cache hit
    assert trials[-2].status == "diverged" and "population" not in trials[-2].extras  # alone: reference path
    again = batched.evaluate_many(archs, seed=0)
    assert all(t.cached for t in again) and [t.val_loss for t in again] == [t.val_loss for t in trials[:-2]]
    plain = Evaluator(protocol="seed", device="cpu", batched=False).evaluate_many(archs, seed=0)
    assert all("population" not in t.extras for t in plain)
    assert_same(plain, trials)


def test_several_seeds_of_one_arch_and_stop():
    ev = Evaluator(protocol=SHORT, device="cpu", batched=True)
    trials = ev.evaluate_many([arch()] * 3, seed=[0, 1, 2])
    assert [t.seed for t in trials] == [0, 1, 2] and len({t.val_loss for t in trials}) == 3
    assert trials[0].val_loss == pytest.approx(ev.evaluate(arch(), 0).val_loss)
    seen = []
    stopped = Evaluator(protocol=SHORT, device="cpu", batched=True).evaluate_many(
        [arch(learning_rate=lr) for lr in (0.1, 0.01, 0.001)], on_trial=seen.append,
        should_stop=lambda: len(seen) >= 2)
    assert len(stopped) == 2 and seen == stopped
    with pytest.raises(nasbook.NasbookError, match="seed"):
        ev.evaluate_many([arch()] * 2, seed=[0])


def test_batched_search_is_deterministic():
    space = {"num_hidden_layers": [1], "hidden_layer_size": [8], "learning_rate": [0.1, 0.01, 0.001]}
    runs = [nasbook.search(nasbook.strategies.RandomSearch(batch_size=4), space=space, budget=8, seed=3,
                           evaluator=Evaluator(protocol=SHORT, device="cpu", batched=True), progress=False)
            for _ in range(2)]
    assert [t.val_loss for t in runs[0].trials] == [t.val_loss for t in runs[1].trials]
    assert any(t.extras.get("population", 1) > 1 for t in runs[0].trials)


def test_a_group_that_cannot_stack_is_trained_one_by_one(monkeypatch):
    def out_of_memory(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(nasbook.evaluation.training, "train_population", out_of_memory)
    archs, seeds = mixed_group()
    trials = Evaluator(protocol=SHORT, device="cpu", batched=True).evaluate_many(archs[:3], seed=seeds[:3])
    assert all(t.ok and "population" not in t.extras for t in trials)


def test_groups_are_split_to_cap_memory():
    ev = Evaluator(protocol=SHORT, device="cpu", batched=True)
    ev.population_floats = 800 * 16 * 2 * 4  # room for 4 members of the 2x16 architecture
    archs, seeds = mixed_group()
    trials = ev.evaluate_many(archs[:10], seed=seeds[:10])
    assert [t.extras["population"] for t in trials] == [4] * 8 + [2] * 2


def test_batching_is_on_by_default_only_on_a_gpu():
    assert Evaluator(device="cpu").batched is False
    assert Evaluator(device="cpu", batched=True).batched is True
