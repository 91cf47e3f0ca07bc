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
