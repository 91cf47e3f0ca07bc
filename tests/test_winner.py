"""Take the winner away: result.best_model() is plain torch.nn, trained it scores the search's
validation loss, and result.export() writes source that runs in a fresh process with torch only."""
import ast
import json
import subprocess
import sys

import pytest
import torch

import nasbook
from nasbook.evaluation.protocols import Protocol, loss_function
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.spaces.family import ModelFamily
from nasbook.spaces.mlp import MLP_FAMILY
from nasbook.validation import NasbookError

SHORT = Protocol("short", epochs=3, batch_size=32)
SPACE = {"num_hidden_layers": [1, 2], "hidden_layer_size": [8, 16], "dropout_rate": [0.4],
         "activation_function": ["Tanh", "LeakyReLU"], "optimizer": ["SGD", "RMSprop"],
         "learning_rate": [0.01]}


@pytest.fixture(scope="module")
def result():
    return nasbook.search("random", space=SPACE, budget=4, seed=5, protocol=SHORT, device="cpu", progress=False)


def only_torch_nn(model: torch.nn.Module) -> bool:
    return all(type(m).__module__.startswith("torch.nn.") for m in model.modules())


def val_loss(model: torch.nn.Module, task) -> float:
    model.eval()
    with torch.no_grad():
        return float(loss_function(task)(model(task.X_val), task.y_val))


def test_the_trained_winner_is_plain_torch_and_scores_the_searchs_validation_loss(result):
    model = result.best_model()
    assert only_torch_nn(model) and isinstance(model, torch.nn.Sequential)
    assert any(isinstance(m, torch.nn.Dropout) for m in model.modules())  # dropout 0.4 is in every arch
    assert sum(p.numel() for p in model.parameters()) == result.best.params
    assert val_loss(model, result.setting.task) == result.best.val_loss  # the same training: bit for bit


def test_an_untrained_winner_starts_from_the_searchs_weights(result):
    task, arch = result.setting.task, MLP_FAMILY.complete(result.best.arch)
    fresh = result.best_model(train=False)
    assert only_torch_nn(fresh)
    assert val_loss(fresh, task) == val_loss(MLP_FAMILY.build(arch, task, result.best.seed), task)


def test_a_search_that_trained_no_network_needs_a_task():
    toy = nasbook.search("random", budget=3, evaluator=ToyEvaluator(), progress=False)
    with pytest.raises(NasbookError, match="pass task="):
        toy.best_model()
    with pytest.raises(NasbookError, match="pass task="):
        toy.export("model.py")
    assert only_torch_nn(toy.best_model(task="synthetic", train=False))
    with pytest.raises(NasbookError, match="train='yes'"):
        toy.best_model(task="synthetic", train="yes")


def test_a_family_that_cannot_export_says_so():
    class Bare(ModelFamily):
        name = "bare"

        def check_value(self, key, value, field):
            return value

        def build(self, arch, task, seed=0):
            return torch.nn.Identity()

    with pytest.raises(NasbookError, match="the bare family cannot export"):
        Bare().plain_module({}, None)
    with pytest.raises(NasbookError, match="the bare family cannot write"):
        Bare().source({}, None)


def test_the_exported_file_trains_in_a_fresh_process_with_torch_only(result, tmp_path):
    path = result.export(tmp_path / "model.py")
    imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse(path.read_text()))
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module)])}
    assert imported <= {"torch"} | set(sys.stdlib_module_names)
    script = (
        "import importlib.util, json, torch\n"
        f"spec = importlib.util.spec_from_file_location('model', {str(path)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "torch.manual_seed(0)\n"
        "model = m.build_model()\n"
        "X = torch.randn(64, 1); y = 2 * X + 0.1 * torch.randn(64, 1)\n"
        "losses = m.train(model, X, y, epochs=30)\n"
        "print(json.dumps({'params': sum(p.numel() for p in model.parameters()), 'losses': losses}))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["params"] == result.best.params
    assert out["losses"][-1] < out["losses"][0]
    assert f"torch.optim.{result.best.arch['optimizer']}(" in path.read_text()


def test_export_refuses_a_name_that_is_not_a_python_file(result):
    with pytest.raises(NasbookError, match=r"path='model.txt' is not allowed; a file name ending in .py"):
        result.export("model.txt")
