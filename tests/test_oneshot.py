"""The supernet's single path and weight sharing (nasbook/oneshot/supernet.py, weight_sharing.py)."""
import numpy as np
import pytest
import torch

from nasbook import NasbookError, SearchSpace
from nasbook.spaces.mlp import MLP
from nasbook.oneshot.supernet import SuperNet
from nasbook.oneshot.weight_sharing import inherited_scores, train_supernet
from nasbook.experiments.proxies import rank_correlation

SPACE = SearchSpace({"num_hidden_layers": [1, 3], "hidden_layer_size": [8, 16],
                     "activation_function": ["ReLU", "Tanh"]})
ARCH = {"num_hidden_layers": 3, "hidden_layer_size": 8, "activation_function": "Tanh"}


def test_a_single_path_is_the_mlp_with_the_sliced_weights():
    net = SuperNet.for_space(SPACE, in_features=3, out_features=2, seed=0)
    mlp = MLP({**ARCH, "dropout_rate": 0.0}, 3, 2).eval()
    with torch.no_grad():
        for small, big in zip(mlp.hidden, net.layers):
            small.weight.copy_(big.weight[:8, : small.in_features]); small.bias.copy_(big.bias[:8])
        head = net.exits[net.depths.index(3)]  # the exit after layer 3
        mlp.head.weight.copy_(head.weight[:, :8]); mlp.head.bias.copy_(head.bias)
    x = torch.randn(5, 3)
    assert torch.allclose(net(x, ARCH), mlp(x), atol=1e-6)


def test_a_single_path_is_the_relaxed_net_at_a_corner_of_alpha():
    net = SuperNet.for_space(SPACE, in_features=3, out_features=2, seed=0)
    x = torch.randn(5, 3)
    relaxed_at_uniform = net(x)  # α = 0: every architecture mixed equally
    with torch.no_grad():  # softmax(α) one-hot on Tanh, width 8, depth 3
        net.alpha_activation.fill_(-1e4)[:, net.activation_names.index("Tanh")] = 1e4
        net.alpha_width.fill_(-1e4)[net.widths.index(8)] = 1e4
        net.alpha_depth.fill_(-1e4)[net.depths.index(3)] = 1e4
    assert torch.allclose(net(x), net(x, ARCH), atol=1e-6)
    assert not torch.allclose(relaxed_at_uniform, net(x, ARCH), atol=1e-3)


def test_a_path_outside_the_supernet_is_refused():
    net = SuperNet.for_space(SPACE, 3, 2)
    with pytest.raises(NasbookError, match="num_hidden_layers.*one of 1, 3"):
        net(torch.randn(2, 3), {**ARCH, "num_hidden_layers": 2})


def test_training_is_seeded_and_scores_every_architecture():
    archs = list(SPACE.enumerate())
    a = train_supernet(SPACE, steps=60, seed=1, device="cpu")
    b = train_supernet(SPACE, steps=60, seed=1, device="cpu")
    sa, sb = inherited_scores(a, archs), inherited_scores(b, archs)
    assert sa == sb and len(sa) == len(archs) and np.all(np.isfinite(sa))
    assert a.steps == 60 and a.seconds > 0
    untrained = inherited_scores(SuperNet.for_space(SPACE, 1, 1, seed=1), archs)
    assert np.mean(sa) < np.mean(untrained)  # training the shared weights helped the subnets
    assert -1 <= rank_correlation(sa, untrained) <= 1


def test_space_without_structure_keys_is_refused():
    with pytest.raises(NasbookError, match="space"):
        SuperNet.for_space({"learning_rate": [0.1, 0.01]}, 1, 1)


# -- nasbook/oneshot/diagnostics.py: the second-order gradient against autograd -----------------
def small_trained_supernet(dtype=torch.float64, smooth=False):
    g = torch.Generator().manual_seed(0)
    X = torch.rand(48, 2, generator=g, dtype=dtype) * 4 - 2
    y = torch.sin(X.sum(dim=1, keepdim=True))
    acts = ["Tanh", "Sigmoid"] if smooth else ["ReLU", "Tanh"]
    net = SuperNet(2, 1, acts, [1, 2], [4, 8], seed=0).to(dtype)
    net.init_alphas(1.0, torch.Generator().manual_seed(1))
    opt = torch.optim.Adam(net.weights(), lr=0.02)
    for _ in range(15):
        opt.zero_grad(); torch.nn.functional.mse_loss(net(X[:32]), y[:32]).backward(); opt.step()
    return net, (X[:32], y[:32]), (X[32:], y[32:])


@pytest.mark.parametrize("smooth", [False, True])
def test_finite_difference_matches_double_backward(smooth):
    from nasbook.oneshot.diagnostics import check_second_order

    net, train, val = small_trained_supernet(smooth=smooth)
    before = [w.detach().clone() for w in net.weights()]
    check = check_second_order(net, torch.nn.functional.mse_loss, train, val, xi=0.01)
    assert check.hvp_norm > 0 and check.gradient_norm > 0
    # smooth: the difference is O(ε²)-exact; ReLU: the ±0.01 step crosses kinks, the HVP is off by
    # a few percent, the whole gradient (HVP times ξ) still by well under 1 %
    assert check.hvp_error < (1e-3 if smooth else 0.1) and check.gradient_error < (1e-5 if smooth else 2e-3)
    assert all(torch.equal(a, b) for a, b in zip(before, net.weights()))  # the weights are back
    closer = check_second_order(net, torch.nn.functional.mse_loss, train, val, xi=0.01, radius=1e-5)
    assert closer.hvp_error < 1e-4  # float64, a smaller step: the difference converges to autograd


def test_a_wrong_hessian_term_would_be_caught():
    from nasbook.oneshot.architect import Architect
    from nasbook.oneshot.diagnostics import exact_hvp, relative_error

    net, train, val = small_trained_supernet(smooth=True)  # ReLU's kinks make a step of 0.01 along
    architect = Architect(net, torch.nn.functional.mse_loss, order="second")  # an arbitrary v inexact
    v = [torch.ones_like(w) for w in net.weights()]
    fd = architect.finite_difference_hvp(train, v)
    exact = exact_hvp(net, torch.nn.functional.mse_loss, train, v)
    assert relative_error(fd, exact) < 1e-2
    assert relative_error([2 * h for h in fd], exact) > 0.5  # the check has teeth


def test_dominant_eigenvalue_by_power_iteration_and_the_gap_on_the_same_weights():
    from nasbook.oneshot.diagnostics import dominant_eigenvalue, discretisation_gap

    net, _, val = small_trained_supernet()
    lam = dominant_eigenvalue(net, torch.nn.functional.mse_loss, val, iterations=100)
    grads = torch.autograd.grad(torch.nn.functional.mse_loss(net(val[0]), val[1]), net.arch_parameters(),
                                create_graph=True)
    flat = torch.cat([g.reshape(-1) for g in grads])
    hessian = torch.stack([torch.cat([h.reshape(-1) for h in torch.autograd.grad(flat[i], net.arch_parameters(),
                                                                                   retain_graph=True)])
                           for i in range(len(flat))])
    eig = torch.linalg.eigvalsh((hessian + hessian.T) / 2)
    assert lam == pytest.approx(float(eig[eig.abs().argmax()]), rel=1e-3)
    mixed, single = discretisation_gap(net, torch.nn.functional.mse_loss, val, ARCH | {"num_hidden_layers": 2,
                                                                                     "hidden_layer_size": 8})
    assert mixed > 0 and single > 0 and mixed != single
