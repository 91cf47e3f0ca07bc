"""Spaces are plain named choices; a model family turns their architectures into networks."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import nasbook
from nasbook import Evaluator, NasbookError, SearchSpace, Task
from nasbook.evaluation import Protocol
from nasbook.spaces.family import ModelFamily, family_for, make_family
from nasbook.spaces.mlp import MLP, MLP_FAMILY

PLAIN = {"colour": ["red", "green", "blue"], "shade": ["light", "dark"]}  # no shipped family has these keys


def test_a_space_of_unknown_keys_constructs_as_plain_choices():
    space = SearchSpace({"colour": ["red", "green", "blue"]})
    assert space.size == 3 and space.family is None
    assert space.complete({"colour": "red"}) == {"colour": "red"}  # nothing to fill
    arch = space.sample(np.random.default_rng(0))
    assert space.validate(arch) == arch


def test_the_mlp_family_is_found_from_the_keys_and_fills_its_defaults():
    space = SearchSpace({"num_hidden_layers": [1, 2]})
    assert space.family is MLP_FAMILY and family_for(["colour"]) is None
    assert family_for(["edge_1_0"]).name == "cell"  # a cell's edges give the cell family
    full = space.complete({"num_hidden_layers": 2})
    assert full == {**MLP_FAMILY.defaults, "num_hidden_layers": 2}
    assert make_family("mlp") is MLP_FAMILY
    with pytest.raises(NasbookError, match=r"family='cnn' is not allowed; a ModelFamily instance or one of 'mlp', 'cell'"):
        make_family("cnn")


@pytest.mark.parametrize("choices, words", [
    ({"k": {1, 2}}, ["space['k']={1, 2}", "a list of choices", "no fixed order"]),
    ({"k": {"a": 1}}, ["space['k']={'a': 1}", "a list of choices"]),
    ({"k": [1.0, float("nan")]}, ["space['k']=nan", "JSON"]),
    ({"k": [[1, 2]]}, ["space['k']=[1, 2]", "strings, numbers"]),
    ({3: [1]}, ["space key=3", "a non-empty string"]),
    ({"k": ["a", "a"]}, ["distinct choices", "'a' appears twice"]),
])
def test_plain_spaces_refuse_choices_that_cannot_be_repeated_or_logged(choices, words):
    with pytest.raises(NasbookError) as err:
        SearchSpace(choices)
    for word in words:
        assert word in str(err.value), str(err.value)


def test_choices_are_matched_with_their_types_and_numpy_scalars_become_python():
    space = SearchSpace({"flag": [True, False], "n": [1, 2]})
    assert space.size == 4
    with pytest.raises(NasbookError, match=r"arch\['n'\]=True is not allowed; one of \[1, 2\]"):
        space.validate({"flag": True, "n": True})
    with pytest.raises(NasbookError, match=r"arch\['n'\]=2.0 is not allowed"):
        space.validate({"flag": True, "n": 2.0})
    arch = space.validate({"flag": np.bool_(False), "n": np.int64(2)})
    assert arch == {"flag": False, "n": 2} and type(arch["n"]) is int
    json.dumps(arch)  # a run log can store it
    mlp = SearchSpace({"num_hidden_layers": [np.int64(1), 2]})
    assert [type(v) for v in mlp.choices["num_hidden_layers"]] == [int, int]


def test_the_training_evaluator_refuses_a_space_its_family_cannot_build_before_training():
    with pytest.raises(NasbookError, match=r"space key='colour' is not allowed; a key of the mlp family"):
        nasbook.search("random", space=PLAIN, budget=1, progress=False)


def test_tasks_take_images_and_the_mlp_flattens_them():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 1, 8, 8)), rng.integers(0, 3, size=40)
    task = Task.from_arrays("images", X[:30], y[:30], X[30:], y[30:], loss="cross_entropy")
    assert task.input_shape == (1, 8, 8) and task.in_features == 64 and "(1, 8, 8)" in task.describe()
    trial = Evaluator(task=task, protocol=Protocol("p", epochs=2, batch_size=16), device="cpu").evaluate(
        {"num_hidden_layers": 1, "hidden_layer_size": 8})
    assert trial.ok and trial.params == 64 * 8 + 8 + 8 * 3 + 3
    flat = MLP_FAMILY.build(MLP_FAMILY.complete({}), task, seed=0)
    assert isinstance(flat, MLP) and flat(torch.zeros(2, 1, 8, 8)).shape == (2, 3)


def docs_example() -> str:
    """The family a learner writes in docs/spaces.md (the first python block)."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "spaces.md").read_text()
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


def test_the_family_in_the_docs_searches_end_to_end():
    scope: dict = {}
    exec(docs_example(), scope)
    space = scope["space"]
    assert isinstance(space.family, ModelFamily) and space.family.name == "linear"
    result = scope["result"]
    assert result.evaluations == 4 and result.best is not None and result.best.ok
    again = nasbook.search("random", space=space, budget=4, seed=0, progress=False,
                           evaluator=Evaluator(family=space.family, protocol=Protocol("p", epochs=2, batch_size=64)))
    assert [t.val_loss for t in again.trials] == [t.val_loss for t in result.trials]  # seeded: the same numbers
