"""Weight sharing (nasbook/oneshot/weight_sharing.py): slices of one supernet, trained and scored."""
import numpy as np
import pytest
import torch

from nasbook import NasbookError, SearchSpace
from nasbook.spaces.mlp import MLP
from nasbook.oneshot.weight_sharing import OneShotNet, inherited_scores, train_supernet
from nasbook.experiments.proxies import rank_correlation

SPACE = SearchSpace({"num_hidden_layers": [1, 2], "hidden_layer_size": [8, 16],
                     "activation_function": ["ReLU", "Tanh"]})


def test_a_subnet_is_the_mlp_with_the_sliced_weights():
    net = OneShotNet(SPACE, in_features=3, out_features=2, seed=0)
    arch = {"num_hidden_layers": 2, "hidden_layer_size": 8, "activation_function": "Tanh"}
    mlp = MLP({**arch, "dropout_rate": 0.0}, 3, 2).eval()
    with torch.no_grad():
        for small, big in zip(mlp.hidden, net.hidden):
            small.weight.copy_(big.weight[:8, : small.in_features]); small.bias.copy_(big.bias[:8])
        mlp.head.weight.copy_(net.heads[1].weight[:, :8]); mlp.head.bias.copy_(net.heads[1].bias)
    x = torch.randn(5, 3)
    assert torch.allclose(net(x, arch), mlp(x), atol=1e-6)


def test_training_is_seeded_and_scores_every_architecture():
    archs = list(SPACE.enumerate())
    a = train_supernet(SPACE, steps=60, seed=1, device="cpu")
    b = train_supernet(SPACE, steps=60, seed=1, device="cpu")
    sa, sb = inherited_scores(a, archs), inherited_scores(b, archs)
    assert sa == sb and len(sa) == len(archs) and np.all(np.isfinite(sa))
    assert a.steps == 60 and a.seconds > 0
    untrained = inherited_scores(OneShotNet(SPACE, 1, 1, seed=1), archs)
    assert np.mean(sa) < np.mean(untrained)  # training the shared weights helped the subnets
    assert -1 <= rank_correlation(sa, untrained) <= 1


def test_space_without_structure_keys_is_refused():
    with pytest.raises(NasbookError, match="space"):
        OneShotNet({"learning_rate": [0.1, 0.01]}, 1, 1)
