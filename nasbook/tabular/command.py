"""``nasbook bench build``: (re)build a tabular benchmark shipped in nasbook/data.

    python -m nasbook bench build                      # the article-protocol table, 3,600 archs x 3 seeds
    python -m nasbook bench build --protocol default   # the learning-curve table (every epoch, stacked)
    python -m nasbook bench build --space cells        # the cell table: 6,466 cell classes on digits_images
    python -m nasbook bench build --limit 20 --out /tmp/small.npz   # a quick partial table

The build saves its progress after every ``--save-every`` finished chunks (a chunk: the
same-shape architectures of a seed round), atomically; running the same command again
continues a partial table at ``--out`` (``--fresh`` starts over).
"""
from __future__ import annotations

import argparse
import os

import torch
from tqdm.auto import tqdm

from nasbook.spaces.space import SearchSpace
from nasbook.validation import check_int
from nasbook.tabular.build import (BENCH_PROTOCOL, CELL_PROTOCOL, CELL_SAMPLE, CURVE_PROTOCOL, build_file,
                                   seed_sample, table_rows)
from nasbook.tabular.table import CELLS_PATH, CURVE_PATH, DEFAULT_PATH

PROTOCOLS = {"article": (BENCH_PROTOCOL, DEFAULT_PATH, False), "default": (CURVE_PROTOCOL, CURVE_PATH, True)}
SPACES = ("mlp", "cells")


def add_parser(commands: "argparse._SubParsersAction") -> None:
    b = commands.add_parser("bench", help="the tabular benchmark: every architecture, trained")
    sub = b.add_subparsers(dest="bench_command", parser_class=type(b))  # none: run_bench lists them
    b.set_defaults(bench_parser=b)
    build = sub.add_parser("build", help="train every architecture with several seeds and save the table")
    build.add_argument("--protocol", choices=sorted(PROTOCOLS), default="article",
                       help="article: 10 full-batch epochs, one by one (bench_synthetic.npz); default: "
                            "20 epochs of batch 64, every epoch recorded, stacked (bench_synthetic_default.npz)")
    build.add_argument("--space", choices=SPACES, default="mlp",
                       help="mlp: the article's space on synthetic (--protocol picks the table); cells: the "
                            "cell space on digits_images, protocol 'cells', one cell per isomorphism class, "
                            "seed 0 for all and every seed for a sample (bench_digits_cells.npz)")
    build.add_argument("--sample", type=int, default=CELL_SAMPLE,
                       help="(--space cells) cell classes trained with every seed, to measure the seed noise")
    build.add_argument("--out", default=None, help="where to write the .npz table (default: the shipped file)")
    build.add_argument("--seeds", type=int, default=3, help="training seeds per architecture")
    build.add_argument("--limit", type=int, default=None, help="build only the first N architectures")
    build.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 suits a shared machine)")
    build.add_argument("--save-every", type=int, default=1, help="save progress every N finished chunks")
    build.add_argument("--resume", action="store_true", help="(the default now) continue a partial table at --out")
    build.add_argument("--fresh", action="store_true", help="start over instead of continuing a partial table")


def run_bench(args: argparse.Namespace) -> int:
    if args.bench_command is None:  # a bare `nasbook bench`: say what its subcommands do
        from nasbook.cli import missing_command

        raise missing_command(args.bench_parser)
    seeds = tuple(range(check_int("--seeds", args.seeds, minimum=1)))
    save_every = check_int("--save-every", args.save_every, minimum=1)
    torch.set_num_threads(check_int("--threads", args.threads, minimum=1))
    cells = args.space == "cells"
    if cells:  # one row per isomorphism class; seed 0 for all, every seed for the sample
        from nasbook.spaces.cell import CELL_SPACE

        space, task = SearchSpace(CELL_SPACE), "digits_images"
        protocol, default_out, stacked = CELL_PROTOCOL, CELLS_PATH, False
        rows = len(table_rows(space)[0])
        sample = seed_sample(rows, check_int("--sample", args.sample, 0, rows))
    else:
        space, task = SearchSpace(), "synthetic"
        protocol, default_out, stacked = PROTOCOLS[args.protocol]
        rows, sample = space.size, None
    out = str(args.out or default_out)
    limit = rows if args.limit is None else check_int("--limit", args.limit, 1, rows)
    planned = limit * len(seeds) if sample is None else limit + sum(i < limit for i in sample) * (len(seeds) - 1)
    bar = tqdm(total=planned, desc="bench build (runs)", mininterval=10)

    def on_chunk(k: int, arrays: dict) -> None:
        bar.n = int(arrays["done"][:limit].sum())
        bar.set_postfix(chunk=k + 1, refresh=False)
        bar.refresh()

    arrays, meta = build_file(out, space, task, protocol, seeds, list(range(limit)), stacked, args.fresh,
                              save_every, on_chunk, sample, test=cells, latency_repeats=5 if cells else 20)
    bar.close()
    built = int(arrays["done"].any(axis=1).sum())
    print(f"wrote {out}: {int(arrays['done'].sum())} runs, {built} of {rows} rows (of {space.size} architectures) "
          f"in {meta['build_seconds']:.0f} s ({os.path.getsize(out) / 1e6:.2f} MB)")
    return 0
