"""The inner loop: reproducible, cached, and safe when training blows up."""
import math

import pytest

from nasbook import Evaluator, NasbookError, Protocol, SearchSpace

ARCH = {"num_hidden_layers": 2, "hidden_layer_size": 32, "activation_function": "Tanh",
        "learning_rate": 0.01, "optimizer": "Adam", "dropout_rate": 0.2}
DIVERGES = {"num_hidden_layers": 1, "hidden_layer_size": 64, "activation_function": "ReLU",
            "learning_rate": 0.1, "optimizer": "SGD", "dropout_rate": 0.0}


@pytest.mark.parametrize("protocol", ["seed", "default"])
def test_same_arch_seed_protocol_device_gives_identical_loss(protocol):
    a = Evaluator(protocol=protocol, device="cpu", cache=False).evaluate(ARCH, seed=3)
    b = Evaluator(protocol=protocol, device="cpu", cache=False).evaluate(ARCH, seed=3)
    c = Evaluator(protocol=protocol, device="cpu", cache=False).evaluate(ARCH, seed=4)
    assert a.ok and a.val_loss == b.val_loss and a.train_curve == b.train_curve
    assert c.val_loss != a.val_loss


def test_trial_record_contents():
    trial = Evaluator(protocol="default", device="cpu").evaluate(ARCH, seed=0)
    assert trial.status == "ok" and math.isfinite(trial.val_loss)
    assert len(trial.train_curve) == 20 and set(trial.val_curve) == {"5", "10", "20"}
    assert trial.params == (1 * 32 + 32) + (32 * 32 + 32) + (32 + 1)
    assert trial.steps == 20 * 13 and trial.seconds > 0


def test_seed_protocol_is_full_batch_for_ten_epochs():
    trial = Evaluator(protocol="seed", device="cpu").evaluate(ARCH)
    assert trial.steps == 10 and len(trial.train_curve) == 10


def test_cache_hit_returns_the_stored_result_at_no_cost():
    ev = Evaluator(protocol="seed", device="cpu")
    first = ev.evaluate(ARCH, seed=0)
    again = ev.evaluate(dict(ARCH), seed=0)
    other_seed = ev.evaluate(ARCH, seed=1)
    assert not first.cached and again.cached and not other_seed.cached
    assert again.val_loss == first.val_loss and again.seconds == 0 and again.steps == 0
    assert len(ev.cache) == 2


def test_diverging_architecture_is_a_scored_failure_not_a_crash():
    trial = Evaluator(protocol="seed", device="cpu").evaluate(DIVERGES, seed=0)
    assert trial.status == "diverged" and trial.val_loss is None
    assert trial.score == math.inf and "training loss became" in trial.reason


def test_exception_inside_training_becomes_a_failed_trial(monkeypatch):
    ev = Evaluator(protocol="seed", device="cpu")
    monkeypatch.setattr(ev, "train", lambda arch, seed: 1 / 0)
    trial = ev.evaluate(ARCH)
    assert trial.status == "failed" and "ZeroDivisionError" in trial.reason and trial.score == math.inf


def test_architectures_from_smaller_spaces_use_defaults_for_missing_keys():
    space = SearchSpace({"num_hidden_layers": [1, 2], "hidden_layer_size": [16]})
    trial = Evaluator(protocol="seed", device="cpu").evaluate({"num_hidden_layers": 2, "hidden_layer_size": 16})
    assert trial.ok and trial.arch == {"num_hidden_layers": 2, "hidden_layer_size": 16}
    assert space.size == 2


def test_classification_task_trains():
    trial = Evaluator(task="digits", protocol="seed", device="cpu").evaluate(ARCH)
    assert trial.ok and trial.val_loss < 2.5  # below log(10) ≈ 2.30 + slack after 10 full-batch steps


@pytest.mark.parametrize("kwargs, words", [
    (dict(protocol="fast"), ["protocol='fast'", "'seed'", "'default'"]),
    (dict(device="gpu0"), ["device='gpu0'", "'cpu'"]),
    (dict(task="cifar"), ["task='cifar'", "'synthetic'"]),
])
def test_bad_evaluator_settings(kwargs, words):
    with pytest.raises(NasbookError) as err:
        Evaluator(**kwargs)
    for word in words:
        assert word in str(err.value)


def test_bad_architecture_values_are_refused_before_training():
    ev = Evaluator(protocol="seed", device="cpu")
    with pytest.raises(NasbookError, match=r"arch\['optimizer'\]='Adagrad'"):
        ev.evaluate({**ARCH, "optimizer": "Adagrad"})
    with pytest.raises(NasbookError, match="seed=-1"):
        ev.evaluate(ARCH, seed=-1)
    with pytest.raises(NasbookError, match="protocol.epochs=0"):
        Protocol("p", epochs=0)
