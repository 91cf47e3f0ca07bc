"""``nasbook bench build``: (re)build the tabular benchmark shipped in nasbook/data.

    python -m nasbook bench build                    # all 3,600 architectures x 3 seeds
    python -m nasbook bench build --limit 20 --out /tmp/small.npz   # a quick partial table

The build saves its progress every ``--save-every`` architectures, so ``--resume`` picks
up an interrupted build instead of starting over.
"""
from __future__ import annotations

import argparse
import os
import time

import torch
from tqdm.auto import tqdm

from nasbook.spaces.space import SearchSpace
from nasbook.validation import check_int, fail
from nasbook.tabular.build import BENCH_PROTOCOL, BENCH_SEEDS, build_table, load_arrays, metadata, save_table
from nasbook.tabular.table import DEFAULT_PATH


def add_parser(commands: "argparse._SubParsersAction") -> None:
    b = commands.add_parser("bench", help="the tabular benchmark: every architecture, trained")
    sub = b.add_subparsers(dest="bench_command", parser_class=type(b))  # none: run_bench lists them
    b.set_defaults(bench_parser=b)
    build = sub.add_parser("build", help="train every architecture with several seeds and save the table")
    build.add_argument("--out", default=str(DEFAULT_PATH), help="where to write the .npz table")
    build.add_argument("--seeds", type=int, default=len(BENCH_SEEDS), help="training seeds per architecture")
    build.add_argument("--limit", type=int, default=None, help="build only the first N architectures")
    build.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 suits a shared machine)")
    build.add_argument("--save-every", type=int, default=100, help="save progress every N architectures")
    build.add_argument("--resume", action="store_true", help="continue a partial table at --out")


def run_bench(args: argparse.Namespace) -> int:
    if args.bench_command is None:  # a bare `nasbook bench`: say what its subcommands do
        from nasbook.cli import missing_command

        raise missing_command(args.bench_parser)
    seeds = tuple(range(check_int("--seeds", args.seeds, minimum=1)))
    space = SearchSpace()
    limit = space.size if args.limit is None else check_int("--limit", args.limit, 1, space.size)
    save_every = check_int("--save-every", args.save_every, minimum=1)
    torch.set_num_threads(check_int("--threads", args.threads, minimum=1))
    arrays, spent = None, 0.0
    if args.resume and os.path.exists(args.out):
        arrays, meta = load_arrays(args.out)
        if meta["seeds"] != list(seeds) or meta["protocol"]["name"] != BENCH_PROTOCOL.name:
            raise fail("--resume", args.out, f"a partial table with seeds {list(seeds)} (found {meta['seeds']})")
        spent = float(meta.get("build_seconds", 0.0))
    start = time.perf_counter()
    bar = tqdm(total=limit, desc="bench build", initial=0 if arrays is None else int(arrays["done"][:limit].sum()))

    def meta_now(done: bool) -> dict:
        return metadata(space, "synthetic", BENCH_PROTOCOL, seeds, complete=done,
                        build_seconds=round(spent + time.perf_counter() - start, 1),
                        load_average=[round(x, 2) for x in os.getloadavg()])

    def on_arch(i: int, arrays: dict) -> None:
        bar.update(1)
        if int(arrays["done"].sum()) % save_every == 0:
            save_table(args.out, arrays, meta_now(False))

    arrays = build_table(space, "synthetic", BENCH_PROTOCOL, seeds, indices=list(range(limit)),
                         arrays=arrays, on_arch=on_arch)
    bar.close()
    meta = meta_now(bool(arrays["done"].all()))
    save_table(args.out, arrays, meta)
    print(f"wrote {args.out}: {int(arrays['done'].sum())} of {space.size} architectures x {len(seeds)} seeds "
          f"in {meta['build_seconds']:.0f} s ({os.path.getsize(args.out) / 1e6:.2f} MB)")
    return 0
