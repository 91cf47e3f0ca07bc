"""DARTS: supernet, architect (first and second order), discretisation, budget conversion."""
import math

import pytest
import torch

import nasbook
from nasbook import Evaluator, NasbookError, Task
from nasbook.oneshot.architect import Architect
from nasbook.strategies import DARTS
from nasbook.oneshot.supernet import SuperNet
from nasbook.evaluation.toy import ToyEvaluator

# a tiny real problem: 64 + 32 rows, networks of 4-8 units; every run takes well under a second
SPACE = {"num_hidden_layers": [1, 2], "hidden_layer_size": [4, 8], "activation_function": ["ReLU", "Tanh"],
         "learning_rate": [0.1, 0.01], "optimizer": ["Adam", "SGD"]}


def tiny_task():
    g = torch.Generator().manual_seed(0)
    X = torch.rand(96, 1, generator=g) * 6 - 3
    y = torch.sin(2 * X) + 0.5 * X
    return Task.from_arrays("tiny", X[:64], y[:64], X[64:], y[64:])


def evaluator(protocol="seed"):
    return Evaluator(task=tiny_task(), protocol=protocol, device="cpu")


def test_needs_an_evaluator_with_a_task():
    with pytest.raises(NasbookError, match=r"evaluator='ToyEvaluator' is not allowed.*task"):
        nasbook.search("darts", evaluator=ToyEvaluator(), budget=5, progress=False)


def test_seed_mode_is_the_article_relaxation_but_stays_in_the_space():
    result = nasbook.search("darts", mode="seed", space=SPACE, evaluator=evaluator(), budget=6, seed=0,
                            progress=False)
    arch = result.best_arch
    nasbook.SearchSpace(SPACE).validate(arch)
    assert arch["num_hidden_layers"] == 2 and arch["hidden_layer_size"] == 4  # deepest, first width
    assert arch["learning_rate"] == 0.01 and arch["optimizer"] == "Adam"  # 0.001 snapped to the nearest choice
    first_layer = result.trace[-1]["alphas"]["activation_function[layer 1]"]
    assert arch["activation_function"] == SPACE["activation_function"][first_layer.index(max(first_layer))]
    assert result.evaluations == 1
    # budget 6 on the seed protocol (10 full-batch steps per evaluation): 5 evaluations' worth of
    # supernet = 50 steps = 25 epochs of (1 weight pass + 1 architecture pass)
    assert len(result.trace) == 25 and result.charged_evaluations == 5.0
    assert result.total_steps == 50 + result.trials[0].steps
    for entry in result.trace:
        assert set(entry["alphas"]) == {"activation_function[layer 1]", "activation_function[layer 2]"}
        assert all(abs(sum(p) - 1) < 1e-5 for p in entry["alphas"].values())


def test_default_mode_discretises_every_key_and_follows_up_within_the_budget():
    result = nasbook.search("darts", space=SPACE, evaluator=evaluator(), budget=8, seed=1, progress=False)
    space = nasbook.SearchSpace(SPACE)
    last = result.trace[-1]["alphas"]
    first = result.trials[0].arch
    for key in ("activation_function", "num_hidden_layers", "hidden_layer_size"):
        assert first[key] == SPACE[key][last[key].index(max(last[key]))]
    assert first["learning_rate"] == 0.01 and first["optimizer"] == "Adam"  # documented defaults, snapped
    assert result.charged_evaluations == 4.0  # half the budget on the supernet
    assert result.evaluations == 4  # the other half: the discretised arch + 3 follow-ups
    assert len({tuple(t.arch.values()) for t in result.trials}) == 4
    for trial in result.trials:
        space.validate(trial.arch)
        assert all(trial.arch[k] == first[k] for k in ("activation_function", "num_hidden_layers",
                                                        "hidden_layer_size"))
    assert result.best_val_loss == min(t.score for t in result.trials)


def test_seeded_runs_are_identical():
    a = nasbook.search("darts", space=SPACE, evaluator=evaluator("default"), budget=3, seed=4, progress=False)
    b = nasbook.search("darts", space=SPACE, evaluator=evaluator("default"), budget=3, seed=4, progress=False)
    assert a.trace == b.trace and [t.arch for t in a.trials] == [t.arch for t in b.trials]
    assert [t.val_loss for t in a.trials] == [t.val_loss for t in b.trials]


def test_resumes_to_exactly_the_uninterrupted_run(tmp_path):
    def run(log=None, stop_at=None, resume=False):
        seen = []
        return nasbook.search("darts", space=SPACE, evaluator=evaluator(), budget=8, seed=2, progress=False,
                              log=log, resume=resume, callback=lambda t, s: seen.append(t),
                              stop=None if stop_at is None else (lambda: len(seen) >= stop_at))

    full = run()
    log = tmp_path / "darts.jsonl"
    assert run(log=log, stop_at=2).evaluations == 2
    resumed = run(log=log, resume=True)
    assert resumed.resumed == 2 and resumed.trace == full.trace
    assert [t.arch for t in resumed.trials] == [t.arch for t in full.trials]
    assert [t.score for t in resumed.trials] == [t.score for t in full.trials]


def test_second_order_costs_more_and_is_charged_for_it():
    first, second = (nasbook.search(DARTS(epochs=3, order=order), space=SPACE, evaluator=evaluator("default"),
                                    budget=2, seed=0, progress=False) for order in ("first", "second"))
    steps = math.ceil(64 / 64)  # one mini-batch per epoch on the tiny task
    assert first.extra_steps == 3 * steps * 2 and second.extra_steps == 3 * steps * 5
    assert second.charged_evaluations == pytest.approx(first.charged_evaluations * 5 / 2)


def small_net():
    net = SuperNet(1, 1, ["ReLU", "Tanh", "Sigmoid"], depths=[1, 2], widths=[3, 6], seed=0)
    net.init_alphas(0.5, torch.Generator().manual_seed(1))
    return net.double()


def batches():
    g = torch.Generator().manual_seed(2)
    X = torch.rand(16, 1, generator=g, dtype=torch.float64)
    Xv = torch.rand(8, 1, generator=g, dtype=torch.float64)
    return (X, torch.sin(3 * X)), (Xv, torch.sin(3 * Xv))


def test_second_order_gradient_matches_the_exact_hessian_vector_product():
    net, (train, val), xi = small_net(), batches(), 0.05
    mse = torch.nn.functional.mse_loss
    alphas, weights = net.arch_parameters(), net.weights()
    # exact: differentiate through the virtual step w' = w - xi * grad_w L_train(w, alpha)
    g_w = torch.autograd.grad(mse(net(train[0]), train[1]), weights, create_graph=True)
    w_prime = {name: p - xi * g for (name, p), g in
               zip([(n, p) for n, p in net.named_parameters() if not n.startswith("alpha")], g_w)}
    params = {**w_prime, **{n: p for n, p in net.named_parameters() if n.startswith("alpha")}}
    val_loss = mse(torch.func.functional_call(net, params, (val[0],)), val[1])
    exact = torch.autograd.grad(val_loss, alphas)
    architect = Architect(net, mse, order="second", xi=xi)
    architect.unrolled_gradient(train, val)
    for alpha, e in zip(alphas, exact):
        assert torch.allclose(alpha.grad, e, rtol=1e-3, atol=1e-7)
    assert architect.net is net and all(torch.equal(w, w0) for w, w0 in zip(net.weights(), weights))


def test_second_order_with_zero_step_is_first_order():
    net, (train, val) = small_net(), batches()
    mse = torch.nn.functional.mse_loss
    Architect(net, mse, order="second", xi=0.0).unrolled_gradient(train, val)
    second = [a.grad.clone() for a in net.arch_parameters()]
    first = torch.autograd.grad(mse(net(val[0]), val[1]), net.arch_parameters())
    assert all(torch.allclose(s, f) for s, f in zip(second, first))


def test_supernet_relaxation_is_exact_at_one_hot_weights():
    net = SuperNet(1, 1, ["ReLU", "Tanh"], depths=[1, 2], widths=[3, 6], seed=0)
    with torch.no_grad():
        net.alpha_activation.copy_(torch.tensor([[-1e4, 1e4]]))  # Tanh
        net.alpha_depth.copy_(torch.tensor([1e4, -1e4]))  # 1 layer
        net.alpha_width.copy_(torch.tensor([1e4, -1e4]))  # 3 units
    x = torch.linspace(-1, 1, 5)[:, None]
    layer, head = net.layers[0], net.exits[0]
    expected = torch.tanh(x @ layer.weight[:3].T + layer.bias[:3]) @ head.weight[:, :3].T + head.bias
    assert torch.allclose(net(x), expected, atol=1e-6)
    assert len(net.arch_parameters()) == 3 and len(net.weights()) == len(list(net.parameters())) - 3


def test_a_diverging_supernet_keeps_finite_weights_and_a_valid_arch():
    task = tiny_task()
    huge = Task.from_arrays("huge", task.X_train, task.y_train * 1e25, task.X_val, task.y_val * 1e25)
    result = nasbook.search("darts", space=SPACE, evaluator=Evaluator(task=huge, protocol="seed", device="cpu"),
                            budget=4, seed=0, progress=False)
    nasbook.SearchSpace(SPACE).validate(result.trials[0].arch)
    assert result.trace[-1]["diverged"] and len(result.trace) == 1  # stopped at the first bad epoch
    for entry in result.trace:
        assert all(math.isfinite(p) for probs in entry["alphas"].values() for p in probs)
    assert result.best is None and result.failures == result.evaluations  # retraining diverges too: no NaN best


def test_bad_parameters_are_refused():
    with pytest.raises(NasbookError, match="order='third'"):
        DARTS(order="third")
    with pytest.raises(NasbookError, match="order='second'"):
        DARTS(mode="seed", order="second")
    with pytest.raises(NasbookError, match="epochs=0"):
        DARTS(epochs=0)


def test_alpha_entropy_is_one_when_uniform_and_zero_when_one_hot():
    import matplotlib
    matplotlib.use("Agg")
    from nasbook.viz.plots import alpha_entropy, plot_alpha_entropy

    trace = [{"kind": "darts", "epoch": 1, "alphas": {"a": [0.5, 0.5], "fixed": [1.0]}},
             {"kind": "darts", "epoch": 2, "alphas": {"a": [1.0, 0.0], "fixed": [1.0]}}]
    epochs, h = alpha_entropy(trace)
    assert epochs == [1, 2] and list(h) == ["a"]  # a one-choice key has nothing to decide
    assert h["a"] == pytest.approx([1.0, 0.0], abs=1e-9)
    assert alpha_entropy([{"kind": "darts", "alphas": {"a": [[0.5, 0.5], [1.0, 0.0]]}}])[1]["a"] == pytest.approx([0.5])
    ax = plot_alpha_entropy(trace)  # ^ one row per layer: the mean over the rows
    assert len(ax.lines) == 1 and ax.get_ylim()[1] > 1
    result = nasbook.search("darts", space=SPACE, evaluator=evaluator(), budget=6, seed=0, progress=False)
    epochs, h = alpha_entropy(result.trace)
    assert epochs and all(0 <= v <= 1 + 1e-9 for values in h.values() for v in values)
