"""Why the default protocol: the same architectures trained under `article` and `default`.

For a handful of architectures of the article's space, train each under both protocols
with several seeds and print the validation MSE (mean ± std over seeds) and the seconds per
evaluation. The point: under the article's 10 full-batch steps most networks are barely
trained, so the spread between seeds is comparable to the gap between architectures.

    python benchmarks/protocols.py [--seeds 3]
"""
from __future__ import annotations

import argparse
import statistics

from nasbook import Evaluator

ARCHS = [
    dict(num_hidden_layers=1, hidden_layer_size=32, activation_function="ReLU", learning_rate=0.01, optimizer="Adam", dropout_rate=0.0),
    dict(num_hidden_layers=2, hidden_layer_size=64, activation_function="Tanh", learning_rate=0.01, optimizer="Adam", dropout_rate=0.0),
    dict(num_hidden_layers=3, hidden_layer_size=128, activation_function="LeakyReLU", learning_rate=0.001, optimizer="Adam", dropout_rate=0.2),
    dict(num_hidden_layers=2, hidden_layer_size=256, activation_function="ReLU", learning_rate=0.1, optimizer="SGD", dropout_rate=0.0),
    dict(num_hidden_layers=4, hidden_layer_size=64, activation_function="Tanh", learning_rate=0.1, optimizer="RMSprop", dropout_rate=0.2),
    dict(num_hidden_layers=5, hidden_layer_size=512, activation_function="Tanh", learning_rate=0.1, optimizer="SGD", dropout_rate=0.2),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    evaluators = {p: Evaluator(protocol=p, device="cpu", cache=False) for p in ("article", "default")}
    print(f"{'architecture':<44} {'article protocol: MSE':>22} {'s/eval':>7} {'default protocol: MSE':>24} {'s/eval':>7}")
    for arch in ARCHS:
        name = "{num_hidden_layers}x{hidden_layer_size} {activation_function} {optimizer} lr={learning_rate} p={dropout_rate}".format(**arch)
        row = f"{name:<44}"
        for ev in evaluators.values():
            trials = [ev.evaluate(arch, seed=s) for s in range(args.seeds)]
            losses = [t.score for t in trials]
            mean = statistics.mean(losses)
            std = statistics.stdev(losses) if len(losses) > 1 else 0.0
            secs = statistics.mean(t.seconds for t in trials)
            row += f" {mean:>12.4g} ± {std:<8.3g} {secs:>7.3f}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
