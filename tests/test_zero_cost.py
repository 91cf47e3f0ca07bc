"""Zero-cost proxies on tiny networks of both families: values that can be worked out by hand."""
import copy
import math

import pytest
import torch
from torch import nn

from nasbook.experiments.zero_cost import (PROXIES, activation_codes, flops, grad_norm, naswot, naswot_kernel,
                                           param_count, proxy_scores, snip, synflow)
from nasbook.spaces.cell import CELL_FAMILY, EDGE_KEYS
from nasbook.spaces.mlp import MLP_FAMILY
from nasbook.tasks import make_task


@pytest.fixture(scope="module")
def images():
    task = make_task("digits_images")
    return task, (task.X_train[:32], task.y_train[:32])


def cell(op, task, seed=0):
    return CELL_FAMILY.build({key: op for key in EDGE_KEYS}, task, seed)


def test_a_cell_of_none_edges_scores_nothing(images):
    task, batch = images
    empty = cell("none", task)  # the output does not depend on the image
    assert synflow(empty, batch) == grad_norm(empty, batch) == snip(empty, batch) == 0.0
    assert naswot(empty, batch) == -math.inf  # every image has the same activation code
    assert param_count(empty) == param_count(cell("skip_connect", task)) == 178
    assert flops(empty, batch) == 8 * 8 * 9 * 8 + 8 * 10  # the stem's 3x3 convolution and the head
    for name in ("synflow", "naswot", "grad_norm", "snip", "flops", "params"):
        assert PROXIES[name](cell("conv_3x3", task), batch, 0) > PROXIES[name](empty, batch, 0)


def test_synflow_is_data_independent_and_no_proxy_changes_the_model(images):
    task, (X, y) = images
    model = cell("conv_3x3", task).train()
    before = [p.detach().clone() for p in model.parameters()]
    assert synflow(model, (X, y)) == synflow(model, (torch.randn_like(X), y)) > 0
    first = proxy_scores(model, (X, y), seed=0)
    assert proxy_scores(model, (X, y), seed=0) == first  # deterministic
    assert all(torch.equal(p, q) for p, q in zip(before, model.parameters())) and model.training
    assert all(p.grad is None for p in model.parameters())


def test_the_naswot_kernel_is_units_minus_hamming_distance():
    codes = torch.tensor([[1, 0, 1, 1], [0, 0, 1, 0], [1, 1, 1, 1]], dtype=torch.float64)
    hamming = (codes[:, None, :] != codes[None, :, :]).sum(-1)
    assert torch.equal(naswot_kernel(codes), (4 - hamming).double())


def test_naswot_by_hand_on_a_tiny_mlp():
    task = make_task("digits")
    model = MLP_FAMILY.build(MLP_FAMILY.complete({"hidden_layer_size": 6, "activation_function": "Tanh"}), task, 0)
    X = task.X_train[:5]
    codes = (model.hidden[0](X) > 0).double()  # Tanh's input, unit by unit
    assert torch.equal(activation_codes(model, X), codes)
    expected = torch.linalg.slogdet(naswot_kernel(codes))[1].item()
    assert naswot(model, (X, task.y_train[:5])) == expected


def test_snip_and_grad_norm_by_hand_on_one_linear_layer():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2))
    X, y = torch.randn(4, 3), torch.tensor([0, 1, 1, 0])
    nn.functional.cross_entropy(model(X), y).backward()
    weight, grad = model[0].weight.detach(), model[0].weight.grad
    assert snip(model, (X, y)) == pytest.approx(float((weight * grad).abs().sum()))
    assert grad_norm(model, (X, y)) == pytest.approx(float(grad.norm()))
    assert flops(model, (X, y)) == 6 and param_count(model) == 8


def test_gradient_proxies_use_the_batchs_statistics_and_leave_the_model_alone():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5), nn.Linear(4, 2)).eval()
    X, y = torch.randn(8, 3) * 3 + 1, torch.tensor([0, 1] * 4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    reference = copy.deepcopy(model)
    reference[1].train()  # batch norm on the batch's statistics, dropout off: as the reference code scores
    nn.functional.cross_entropy(reference(X), y).backward()
    expected = sum(float(m.weight.grad.norm()) for m in (reference[0], reference[3]))
    assert grad_norm(model, (X, y)) == pytest.approx(expected) == grad_norm(model, (X, y))  # deterministic
    assert not model.training and all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert model[0].weight.grad is None


def test_synflow_of_a_two_layer_linear_chain():
    model = nn.Sequential(nn.Linear(2, 3, bias=False), nn.Linear(3, 1, bias=False))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.0]]))
        model[1].weight.copy_(torch.tensor([[2.0, -1.0, 1.0]]))
    # R = |w2| |W1| 1 = 2*3 + 1*1.5 + 1*1 = 8.5; each layer's Σ θ ∂R/∂θ is R itself
    assert synflow(model, (torch.zeros(1, 2), torch.zeros(1, 1))) == pytest.approx(2 * 8.5)


def test_the_proxies_run_on_an_mlp_with_dropout(images):
    task = make_task("digits")
    model = MLP_FAMILY.build(MLP_FAMILY.complete({"num_hidden_layers": 2, "dropout_rate": 0.4}), task, 0)
    batch = (task.X_train[:32], task.y_train[:32])
    scores = proxy_scores(model, batch)
    assert scores == proxy_scores(model, batch) and all(math.isfinite(v) for v in scores.values())
    assert scores["flops"] == 64 * 64 + 64 * 64 + 64 * 10
