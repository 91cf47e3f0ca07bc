"""The search space: counting, moves that stay inside it, and errors that name the problem."""
import numpy as np
import pytest

from nasbook import ARTICLE_SPACE, NasbookError, SearchSpace


def test_article_space_has_3600_distinct_architectures():
    space = SearchSpace()
    archs = list(space.enumerate())
    assert space.size == len(space) == 3600
    assert len({tuple(a.values()) for a in archs}) == 3600
    assert all(space.validate(a) == a for a in archs[:50])


def test_encode_decode_and_index_round_trip():
    space = SearchSpace()
    for i, arch in enumerate(space.enumerate()):
        if i % 97:
            continue
        assert space.decode(space.encode(arch)) == arch
        assert space.index(arch) == i


def test_sample_and_mutate_stay_in_space_and_mutate_changes_one_key():
    space = SearchSpace()
    rng = np.random.default_rng(0)
    for _ in range(200):
        arch = space.sample(rng)
        assert space.validate(arch) == arch
        child = space.mutate(arch, rng)
        assert space.validate(child) == child
        assert sum(arch[k] != child[k] for k in space.keys) == 1


def test_sampling_is_seeded():
    space = SearchSpace()
    a = [space.sample(np.random.default_rng(3)) for _ in range(5)]
    b = [space.sample(np.random.default_rng(3)) for _ in range(5)]
    assert a == b


def test_neighbours_differ_in_exactly_one_key():
    space = SearchSpace()
    arch = space.decode([0, 1, 2, 3, 0, 1])
    neighbours = space.neighbours(arch)
    assert len(neighbours) == sum(len(v) - 1 for v in ARTICLE_SPACE.values())  # 4+4+2+3+2+3
    assert all(sum(arch[k] != n[k] for k in space.keys) == 1 for n in neighbours)


def test_user_space_from_plain_dict():
    space = SearchSpace({"num_hidden_layers": [1, 2], "activation_function": ["ReLU", "GELU"]})
    assert space.size == 4
    assert space.complete({"num_hidden_layers": 2, "activation_function": "GELU"})["optimizer"] == "Adam"


@pytest.mark.parametrize("choices, words", [
    ({}, ["space", "non-empty"]),
    ({"num_hidden_layers": []}, ["num_hidden_layers", "at least one choice"]),
    ({"num_hidden_layers": [1, 1]}, ["num_hidden_layers", "distinct", "1"]),
    ({"activation_function": ["ReLU", "Swish"]}, ["activation_function", "'Swish'", "Tanh"]),
    ({"optimizer": ["Adagrad"]}, ["optimizer", "'Adagrad'", "RMSprop"]),
    ({"hidden_layer_size": [0, 32]}, ["hidden_layer_size", "0", "from 1 to 16384"]),
    ({"num_hidden_layers": [-2]}, ["num_hidden_layers", "-2", "from 1 to 100"]),
    ({"learning_rate": [1.5]}, ["learning_rate", "1.5", "(0, 1)"]),
    ({"learning_rate": [0.0]}, ["learning_rate", "0.0", "(0, 1)"]),
    ({"dropout_rate": [1.0]}, ["dropout_rate", "1.0", "[0.0, 1.0)"]),
    ({"hidden_layer_size": 64}, ["hidden_layer_size", "64", "list"]),
])
def test_invalid_spaces_name_key_value_and_what_is_allowed(choices, words):
    with pytest.raises(NasbookError) as err:
        SearchSpace(choices)
    for word in words:
        assert word in str(err.value)


def test_a_key_the_family_does_not_know_is_refused_when_the_family_is_named():
    with pytest.raises(NasbookError) as err:
        SearchSpace({"depth": [1, 2]}, family="mlp")
    for word in ("space key", "'depth'", "num_hidden_layers", "mlp"):
        assert word in str(err.value)


def test_validate_architecture_errors():
    space = SearchSpace()
    good = space.decode([0] * 6)
    with pytest.raises(NasbookError, match=r"arch\['hidden_layer_size'\]=100 .*one of \[32, 64"):
        space.validate({**good, "hidden_layer_size": 100})
    with pytest.raises(NasbookError, match=r"missing \['dropout_rate'\]"):
        space.validate({k: v for k, v in good.items() if k != "dropout_rate"})
    with pytest.raises(NasbookError, match=r"unexpected \['colour'\]"):
        space.validate({**good, "colour": "red"})
    with pytest.raises(NasbookError, match=r"indices\['num_hidden_layers'\]=9"):
        space.decode([9, 0, 0, 0, 0, 0])


def test_at_is_the_inverse_of_index_and_refuses_a_position_outside_the_space():
    space = SearchSpace()
    arch = space.sample(np.random.default_rng(0))
    assert space.at(space.index(arch)) == arch
    for i in (0, 1, 17, space.size - 1):
        assert space.index(space.at(i)) == i
    assert space.at(0) == next(space.enumerate())
    with pytest.raises(NasbookError, match="index"):
        space.at(space.size)
