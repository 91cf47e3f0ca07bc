"""The TabularEvaluator on a partially built table: it draws only training seeds the table
trained for each architecture, deterministically, and a complete table draws as it always did."""
import numpy as np

import nasbook
from nasbook.evaluation.protocols import Protocol
from nasbook.spaces.space import SearchSpace
from nasbook.tabular import BenchTable, TabularEvaluator
from nasbook.tabular.build import metadata

SPACE = {"num_hidden_layers": [1, 2], "hidden_layer_size": [8, 16], "activation_function": ["ReLU"],
         "learning_rate": [0.1, 0.01], "optimizer": ["Adam"], "dropout_rate": [0.0]}
PROTOCOL = Protocol("default", epochs=3, batch_size=64, checkpoints=(1, 2, 3))


def partial_table(done: np.ndarray) -> BenchTable:
    """8 architectures x 3 seeds whose ``done`` (archs, seeds) says which runs were trained;
    run (i, j) has validation loss 10 * i + j + epoch / 10 (so a trial names its run)."""
    n, seeds = done.shape
    val = 10.0 * np.arange(n)[:, None, None] + np.arange(seeds)[None, :, None] + np.array([0.1, 0.2, 0.3])
    val = np.where(done[..., None], val, np.nan)
    arrays = {"val_curve": val, "train_curve": np.where(done[..., None], 1.0, np.nan) * np.ones((n, seeds, 3)),
              "status": np.zeros((n, seeds), dtype=np.int8), "seconds": np.ones((n, seeds)),
              "epoch_seconds": np.ones((n, seeds)), "steps": np.full((n, seeds), 3),
              "params": np.arange(n) + 10, "latency": np.ones(n), "done": done}
    return BenchTable(arrays, metadata(SearchSpace(SPACE), "synthetic", PROTOCOL, (0, 1, 2)))


def test_only_trained_seeds_are_drawn_on_a_partial_table():
    done = np.zeros((8, 3), dtype=bool)
    done[:, 1] = True  # every architecture has seed position 1 ...
    done[::2, 2] = True  # ... half of them position 2 as well
    table = partial_table(done)
    evaluator = TabularEvaluator(table)
    for i, arch in enumerate(table.space.enumerate()):
        drawn = {evaluator.seed_index(i, seed) for seed in range(40)}
        assert drawn == set(np.flatnonzero(done[i]).tolist()), arch
    result, again = (nasbook.search("random", budget=12, seed=0, space=table.space,
                                    evaluator=TabularEvaluator(table), progress=False) for _ in range(2))
    assert len(result.trials) == 12 and all(t.ok for t in result.trials)
    assert [t.val_loss for t in result.trials] == [t.val_loss for t in again.trials]  # deterministic
    assert all(t.seed in (1, 2) for t in result.trials)


def test_a_partial_table_answers_every_fidelity_of_the_seeds_it_trained():
    done = np.zeros((8, 3), dtype=bool)
    done[:, 0] = True
    table = partial_table(done)
    result = nasbook.search("hyperband", budget=3, seed=1, space=table.space,
                            evaluator=TabularEvaluator(table), progress=False)
    assert result.trials and all(t.seed == 0 for t in result.trials)


def test_a_complete_table_draws_as_before():
    table = partial_table(np.ones((8, 3), dtype=bool))
    evaluator = TabularEvaluator(table)
    for i in range(8):
        for seed in range(10):  # the draw before partial tables existed
            assert evaluator.seed_index(i, seed) == int(np.random.default_rng([seed, i, 20190]).integers(3))
