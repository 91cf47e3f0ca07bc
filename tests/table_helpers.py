"""A hand-made BenchTable for tests: known losses, no training (tests/test_marginals.py, test_proxies.py)."""
import numpy as np

from nasbook.tabular import BENCH_PROTOCOL, BenchTable
from nasbook.tabular.build import metadata
from nasbook.spaces.space import SearchSpace

TINY = {"num_hidden_layers": [1, 2], "hidden_layer_size": [8, 16], "activation_function": ["ReLU"],
        "learning_rate": [0.1, 0.01], "optimizer": ["Adam"], "dropout_rate": [0.0]}


def fake_table(val_curve, diverged=None, space=TINY):
    """A table whose val_curve (archs, seeds, checkpoints) is given; ``diverged`` (archs, seeds) marks failures."""
    val_curve = np.asarray(val_curve, dtype=float)
    n, seeds, _ = val_curve.shape
    status = np.zeros((n, seeds), dtype=np.int64) if diverged is None else np.asarray(diverged).astype(np.int64)
    val_curve = np.where(status[..., None] == 0, val_curve, np.nan)
    arrays = {"val_curve": val_curve, "train_curve": np.ones((n, seeds, 10)), "status": status,
              "seconds": np.ones((n, seeds)), "steps": np.full((n, seeds), 10), "params": np.arange(n) + 10,
              "latency": np.ones(n), "done": np.ones(n, dtype=bool)}
    return BenchTable(arrays, metadata(SearchSpace(space), "synthetic", BENCH_PROTOCOL, tuple(range(seeds))))
