"""Zero-cost proxies judged on trained cells, and a proxy-warm-started search against a cold one.

    python benchmarks/zero_cost_proxies.py --table nasbook/data/bench_digits_cells.npz [--extra /tmp/cells.json]
    python benchmarks/zero_cost_proxies.py --sample 300 --trained /tmp/cells.json
    python benchmarks/zero_cost_proxies.py --subspace none,conv_1x1,conv_3x3 --trained /tmp/sub.json

The proxy scores are the shipped cache (:mod:`nasbook.experiments.proxy_scores`). The truth is

* ``--table``: the cell table's mean validation loss (every class: seed 0, three seeds on its
  200-class sample; a table still being built answers the cells it has trained, and ``--extra``,
  a file of cells trained here as ``--trained``, fills in cells it has not);
* ``--sample N``: N unique cells drawn with a seeded generator and trained here (the cell
  table's protocol, 4 epochs; training seed 0, one thread), kept in ``--trained`` (JSON, resumable);
* ``--subspace OPS``: every cell whose edges use only OPS, trained here (one cell per
  isomorphism class): a complete small table, on which the warm start can also run.

It prints the correlations (mean and 95 % t interval over the proxy seeds, the whole set and
its top 10 %), each proxy's paired bootstrap difference with params and FLOPs, and, on a table
that covers the space (``table.covers_space``: every cell has a truth), the warm-start verdicts
(:func:`nasbook.experiments.proxy_judge.warm_start_comparison`)
for the best proxy and for params (the free baseline), and the two warm starts against each other.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nasbook.evaluation.protocols import Protocol  # noqa: E402
from nasbook.evaluation.training import Evaluator  # noqa: E402
from nasbook.experiments import proxy_judge as pj, stats  # noqa: E402
from nasbook.experiments.proxy_scores import BASELINES, SEEDED, load_scores  # noqa: E402
from nasbook.spaces.cell import CELL_FAMILY, EDGE_KEYS, cell_expression, cell_label  # noqa: E402

PROTOCOL = Protocol("cells", epochs=4, batch_size=64, checkpoints=(1, 2, 3, 4))  # the cell table's


def train(cells: list[dict], path: Path) -> dict[str, list[float]]:
    """[validation loss, CPU seconds of training] (seed 0, the cell table's protocol, one thread)
    of each cell, by label; resumable through ``path``."""
    done = json.loads(path.read_text()) if path.exists() else {}
    evaluator = Evaluator(task="digits_images", protocol=PROTOCOL, family=CELL_FAMILY, device="cpu")
    start = time.process_time()
    for k, arch in enumerate(cells):
        if cell_label(arch) not in done:
            cpu = time.process_time()
            trial = evaluator.evaluate(arch, seed=0)
            done[cell_label(arch)] = [trial.val_loss if trial.ok else float("inf"), time.process_time() - cpu]
            if k % 20 == 0:
                path.write_text(json.dumps(done))
                print(f"{len(done)} of {len(cells)} trained ({time.process_time() - start:.0f} CPU s)", flush=True)
    path.write_text(json.dumps(done))
    return done


def subspace_table(ops: list[str], losses: dict[str, list[float]]):
    """A BenchTable of the subspace (one seed, the last epoch only)."""
    from nasbook.spaces.space import SearchSpace
    from nasbook.tabular.build import metadata
    from nasbook.tabular.table import BenchTable

    space = SearchSpace({key: list(ops) for key in EDGE_KEYS})
    by_class = {cell_expression(json_arch(label)): run for label, run in losses.items()}
    loss, seconds = np.array([by_class[cell_expression(arch)] for arch in space.enumerate()]).T
    n = len(loss)
    fine = np.isfinite(loss)
    arrays = {"val_curve": np.where(fine, loss, np.nan)[:, None, None], "train_curve": np.ones((n, 1, PROTOCOL.epochs)),
              "status": np.where(fine, 0, 1).astype(np.int64)[:, None], "seconds": seconds[:, None],
              "steps": np.full((n, 1), 340), "params": np.zeros(n, dtype=np.int64), "latency": np.ones(n),
              "done": np.ones(n, dtype=bool)}
    protocol = Protocol("cells", epochs=PROTOCOL.epochs, batch_size=64, checkpoints=(PROTOCOL.epochs,))
    return BenchTable(arrays, metadata(space, "digits_images", protocol, (0,)))


def json_arch(label: str) -> dict[str, str]:
    """The cell of a NAS-Bench-201 label ``|op~0|+|op~0|op~1|+|...|``."""
    ops = [term.split("~")[0] for node in label.split("+") for term in node.strip("|").split("|")]
    return dict(zip(EDGE_KEYS, ops))


def report(scores, truth: np.ndarray) -> list:
    rows = pj.correlation_rows(scores, truth)
    summary = pj.judgement(rows)
    print(f"cells with a truth: {int((~np.isnan(truth) & scores.done).sum())}; top 10 %: "
          f"{int(rows.loc[rows.scope == 'top', 'cells'].iloc[0])}")
    for key in summary.index:
        r = summary.loc[key]
        print(f"{key:>28}: rho {r[('rho', 'mean')]:+.3f} [{r[('rho', 'low')]:+.3f}, {r[('rho', 'high')]:+.3f}]  "
              f"minus params {r[('minus_params', 'mean')]:+.3f} [{r[('minus_params', 'low')]:+.3f}, "
              f"{r[('minus_params', 'high')]:+.3f}]  minus flops {r[('minus_flops', 'mean')]:+.3f} "
              f"[{r[('minus_flops', 'low')]:+.3f}, {r[('minus_flops', 'high')]:+.3f}]")
    t = np.where(scores.done, truth, np.nan)
    for scope, mask in (("all", ~np.isnan(t)), ("top", pj.top_mask(t))):
        for proxy in SEEDED:
            mean = np.mean([scores.column(proxy, j) for j in range(len(scores.seeds))], axis=0)  # seed-averaged
            for base in BASELINES:
                gap = pj.difference_interval(mean, scores.column(base), np.where(mask, t, np.nan))
                print(f"bootstrap over cells, {scope}: spearman({proxy}, seed mean) - spearman({base}) = {gap}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--table")
    parser.add_argument("--extra", help="with --table: a --trained file of cells to add to its truth")
    parser.add_argument("--sample", type=int)
    parser.add_argument("--subspace")
    parser.add_argument("--trained", default="/tmp/zero_cost_trained.json")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--budget", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(1)
    scores = load_scores()
    print(f"proxy scores: {int(scores.done.sum())} of {len(scores.done)} cells, seeds {scores.seeds}")
    for name in scores.meta["timed"]:
        print(f"  {name:>10}: {scores.seconds_per_cell(name) * 1000:.2f} ms CPU per cell (one thread)")
    table = None
    if args.table:
        from nasbook.tabular.table import load_table

        table = load_table(args.table)
        truth = pj.table_truth(table, scores.archs)
        if args.extra:  # cells trained here (same protocol and seed) fill in what the table has not
            extra = {cell_expression(json_arch(label)): run[0] for label, run in json.loads(Path(args.extra).read_text()).items()}
            more = np.array([extra.get(cell_expression(a), np.nan) for a in scores.archs])
            print(f"the table has {int((~np.isnan(truth)).sum())} cells; {args.extra} adds "
                  f"{int((np.isnan(truth) & ~np.isnan(more)).sum())}")
            truth = np.where(np.isnan(truth), more, truth)
    else:
        if args.sample:
            rng = np.random.default_rng(0)
            picks = sorted(rng.choice(len(scores.archs), size=args.sample, replace=False))
            cells = [scores.archs[i] for i in picks]
        else:
            ops = args.subspace.split(",")
            classes = {cell_expression(c): c for c in (dict(zip(EDGE_KEYS, o)) for o in itertools.product(ops, repeat=6))}
            cells = [scores.archs[scores.row[e]] for e in classes]
        losses = train(cells, Path(args.trained))
        by_class = {cell_expression(json_arch(label)): run[0] for label, run in losses.items()}
        truth = np.array([by_class.get(cell_expression(a), np.nan) for a in scores.archs])
        if args.subspace:
            table = subspace_table(args.subspace.split(","), losses)
    rows = report(scores, truth)
    if table is not None and not table.covers_space:
        print(f"no warm start: the table has trained {int(table.built.sum())} of {table.size} cells, a search needs all")
    elif table is not None:
        proxy = pj.best_proxy(rows, scope="all")
        at = sorted({n for n in (10, 25, args.budget) if n <= args.budget})
        for strategy in ("evolution", "random", "local"):
            out = {name: pj.warm_start_comparison(table, pj.CachedProxy(scores, name), strategy, seeds=args.seeds,
                                                  budget=args.budget, at=at) for name in (proxy, "params")}
            for name, o in out.items():
                print(f"warm start with {name} ({o['scoring_seconds']:.2f} s of scoring = "
                      f"{o['charged_evaluations']:.3f} evaluations at {o['seconds_per_evaluation']:.2f} s each):")
                for verdict in o["verdicts"]:
                    print("  ", verdict)
            versus = {f"{strategy} warm-started by {proxy} has lower regret than by params after {n}":
                      (out[proxy]["warm"][:, n - 1], out["params"]["warm"][:, n - 1]) for n in at}
            for verdict in stats.judge(versus):
                print("  ", verdict)

if __name__ == "__main__":
    main()
