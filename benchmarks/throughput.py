"""How many architectures per second can we evaluate? Plain PyTorch vs nasbook, one by one vs batched.

    python benchmarks/throughput.py [--json] [--fast] [--device cpu|cuda|auto] [--threads N] [--archs 40]

First, at the ``default`` protocol every search uses (:mod:`default_protocol`, whole
processes, same run): a real search (evolution, 20 evaluations, every setting at its
default) against a careful user's plain loop retraining the same architectures (shuffled
mini-batches of 64, 20 epochs, one by one, torch's default threads): ``ratio_default``.

Then the seed-protocol workloads, at the article's ``article`` protocol (10 full-batch
epochs on ``synthetic``):

(a) ``plain``   – a fixed, seeded list of 40 architectures from the article's space, each
    trained by a plain one-by-one PyTorch loop like the article's ``evaluate_architecture``
    (nn.Sequential, torch.optim, loss.backward()). It draws its initial weights and dropout
    masks the way nasbook does, so the losses can be compared.
(b) ``nasbook`` – the same 40 through ``Evaluator.evaluate_many`` (batched: architectures of
    the same shape in the list are trained together). Also timed one by one, for reference.
(c) ``bench``   – the benchmark-building workload: every learning rate × dropout rate × 3
    seeds of the architectures of width ≤ 64 in the list, plain loop vs batched evaluator.

Printed: evaluations/s, the ratios, achieved GFLOP/s (matmul FLOPs of forward + backward)
against a measured matmul peak, and the largest |Δ validation loss| between the plain loop
and nasbook. With ``--json`` the last line is one JSON object. Timings on a shared machine
are noisy: run it twice. ``--fast`` (or NASBOOK_FAST=1) shrinks every workload, to check it runs.
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's nasbook
import default_protocol  # noqa: E402  (next to this file)
from nasbook import Evaluator, SearchSpace  # noqa: E402
from nasbook.device import resolve_device  # noqa: E402
from nasbook.spaces.mlp import ACTIVATION_LAYERS, OPTIMIZER_CLASSES, dropout, init_linear  # noqa: E402
from nasbook.spaces.mlp import ARTICLE_SPACE  # noqa: E402
from nasbook.tasks import make_task  # noqa: E402

SEED_EPOCHS = 10


class SeededDropout(nn.Module):
    """nn.Dropout, but with masks from a given generator (so losses match nasbook's)."""

    def __init__(self, rate: float, generator: torch.Generator) -> None:
        super().__init__()
        self.rate, self.generator = rate, generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.rate, self.generator) if self.training and self.rate > 0 else x


def plain_evaluate(arch: dict[str, Any], seed: int, data: tuple, device: torch.device) -> float:
    """The article's evaluate_architecture: build, train 10 full-batch steps, validate."""
    X, y, X_val, y_val = data
    init = torch.Generator().manual_seed(seed)
    masks = torch.Generator(device=device).manual_seed(seed)
    layers, width = [], X.shape[1]
    for _ in range(arch["num_hidden_layers"]):
        linear = nn.Linear(width, arch["hidden_layer_size"])
        init_linear(linear, init)
        layers += [linear, ACTIVATION_LAYERS[arch["activation_function"]](),
                   SeededDropout(arch["dropout_rate"], masks)]
        width = arch["hidden_layer_size"]
    head = nn.Linear(width, y.shape[1])
    init_linear(head, init)
    model = nn.Sequential(*layers, head).to(device)
    criterion = nn.MSELoss()
    optimizer = OPTIMIZER_CLASSES[arch["optimizer"]](model.parameters(), lr=arch["learning_rate"])
    model.train()
    for _ in range(SEED_EPOCHS):
        optimizer.zero_grad()
        loss = criterion(model(X), y)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return criterion(model(X_val), y_val).item()


def flops(arch: dict[str, Any], rows: int, val_rows: int) -> float:
    """Matmul FLOPs of one evaluation: forward (2·rows·Σ in·out) ×3 for backward, per step, + validation."""
    sizes = [1] + [arch["hidden_layer_size"]] * arch["num_hidden_layers"] + [1]
    macs = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return 2 * macs * (3 * rows * SEED_EPOCHS + val_rows)


def matmul_peak(device: torch.device, n: int = 512, rows: int = 800) -> float:
    """Best GFLOP/s of a [rows, n] @ [n, n] float32 matmul (the workload's largest layer)."""
    a, b = torch.randn(rows, n, device=device), torch.randn(n, n, device=device)
    best = math.inf
    for _ in range(5):
        sync(device)
        start = time.perf_counter()
        for _ in range(20):
            a @ b
        sync(device)
        best = min(best, (time.perf_counter() - start) / 20)
    return 2 * rows * n * n / best / 1e9


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


CPU_SECONDS: dict[str, float] = {}  # process CPU time per workload (fairer than wall time on a busy machine)


def timed(name: str, fn) -> tuple[Any, float]:
    """Run ``fn``; return its result and wall seconds (CPU seconds go to CPU_SECONDS)."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    CPU_SECONDS[name] = time.process_time() - cpu
    return out, time.perf_counter() - start


def bench_workload(archs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[int]]:
    """Every learning rate × dropout rate × 3 seeds of the narrow (width ≤ 64) architectures."""
    runs, seeds = [], []
    for arch in archs:
        if arch["hidden_layer_size"] > 64:
            continue
        for lr, rate, seed in itertools.product(ARTICLE_SPACE["learning_rate"], ARTICLE_SPACE["dropout_rate"],
                                                (0, 1, 2)):
            runs.append({**arch, "learning_rate": lr, "dropout_rate": rate})
            seeds.append(seed)
    return runs, seeds


def loss_gaps(plain: list[float], trials: list) -> list[tuple[float, float, dict]]:
    """(|Δ loss|, |Δ loss| / |loss|, arch) per pair; inf when only one of the two diverged."""
    gaps = []
    for loss, trial in zip(plain, trials):
        if math.isfinite(loss) != trial.ok:
            gaps.append((math.inf, math.inf, trial.arch))
        elif trial.ok:
            gap = abs(loss - trial.val_loss)
            gaps.append((gap, gap / max(abs(loss), 1e-12), trial.arch))
    return gaps


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--archs", type=int, default=40, help="size of the seeded architecture list")
    parser.add_argument("--fast", action="store_true", help="small workloads, to check it runs (NASBOOK_FAST=1)")
    parser.add_argument("--skip-default", action="store_true", help="only the seed-protocol figures")
    args = parser.parse_args(argv)
    fast = default_protocol.fast_requested(args.fast)
    default = {} if args.skip_default or args.device != "cpu" else \
        default_protocol.measure("evolution", 6 if fast else 20, 3 if fast else 20)
    if fast:
        args.archs = min(args.archs, 6)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    task = make_task("synthetic")
    data = tuple(t.to(device) for t in (task.X_train, task.y_train, task.X_val, task.y_val))
    rng = np.random.default_rng(2024)
    archs = [SearchSpace().sample(rng) for _ in range(args.archs)]
    bench_archs, bench_seeds = bench_workload(archs)
    if fast:
        bench_archs, bench_seeds = bench_archs[:12], bench_seeds[:12]
    batched = Evaluator(protocol="article", device=device, cache=False, batched=True)
    single = Evaluator(protocol="article", device=device, cache=False, batched=False)
    rows, val_rows = len(task.X_train), len(task.X_val)

    plain_evaluate(archs[0], 0, data, device)  # warm-up: first calls pay one-off costs
    batched.evaluate_many(archs[:2] * 2)
    plain, t_plain = timed("plain", lambda: [plain_evaluate(a, 0, data, device) for a in archs])
    mixed, t_mixed = timed("mixed", lambda: batched.evaluate_many(archs, seed=0))
    one_by_one, t_single = timed("single", lambda: single.evaluate_many(archs, seed=0))
    bench_plain, t_bench_plain = timed("bench_plain", lambda: [plain_evaluate(a, s, data, device)
                                                               for a, s in zip(bench_archs, bench_seeds)])
    bench_batched, t_bench_batched = timed("bench_batched",
                                           lambda: batched.evaluate_many(bench_archs, seed=bench_seeds))
    sample = list(zip(bench_archs, bench_seeds))[:12 if fast else 96]  # the same loop on 8 rows: nearly pure overhead
    tiny = tuple(t[:8] for t in data)
    _, t_tiny = timed("tiny", lambda: [plain_evaluate(a, s, tiny, device) for a, s in sample])
    peak = matmul_peak(device)

    mixed_flops = sum(flops(a, rows, val_rows) for a in archs) / 1e9
    bench_flops = sum(flops(a, rows, val_rows) for a in bench_archs) / 1e9
    n, m = len(archs), len(bench_archs)
    figures = {
        "device": str(device), "threads": torch.get_num_threads(), "archs": n, "bench_evaluations": m,
        "plain_evals_per_s": n / t_plain, "nasbook_evals_per_s": n / t_mixed,
        "nasbook_one_by_one_evals_per_s": n / t_single,
        "bench_plain_evals_per_s": m / t_bench_plain, "bench_batched_evals_per_s": m / t_bench_batched,
        "ratio_mixed": t_plain / t_mixed, "ratio_one_by_one": t_plain / t_single,
        "ratio_batched": t_bench_plain / t_bench_batched,
        "ratio_mixed_cpu": CPU_SECONDS["plain"] / CPU_SECONDS["mixed"],
        "ratio_batched_cpu": CPU_SECONDS["bench_plain"] / CPU_SECONDS["bench_batched"],
        "wall_over_cpu": (t_plain + t_mixed + t_single + t_bench_plain + t_bench_batched)
        / sum(CPU_SECONDS[k] for k in ("plain", "mixed", "single", "bench_plain", "bench_batched")),
        "bench_overhead_share": (t_tiny / max(len(sample), 1)) / (t_bench_plain / max(m, 1)),
        "peak_gflops": peak, "plain_gflops": mixed_flops / t_plain, "nasbook_gflops": mixed_flops / t_mixed,
        "bench_plain_gflops": bench_flops / t_bench_plain, "bench_batched_gflops": bench_flops / t_bench_batched,
        "groups_in_mixed": len({(a["num_hidden_layers"], a["hidden_layer_size"], a["activation_function"])
                                for a in archs}),
    }
    gaps = loss_gaps(plain, mixed) + loss_gaps(bench_plain, bench_batched)
    worst = max(gaps, key=lambda g: g[0])
    figures.update({
        "max_abs_loss_diff": worst[0], "max_rel_loss_diff": max(g[1] for g in gaps),
        "pairs_over_1e-3": sum(g[0] > 1e-3 for g in gaps), "pairs": len(gaps),
        "max_abs_loss_diff_one_by_one": max(g[0] for g in loss_gaps(plain, one_by_one)),
        "worst_pair": {k: worst[2][k] for k in ("optimizer", "learning_rate", "dropout_rate")},
    })
    figures.update(default)
    if default:
        default_protocol.report(default)
    report(figures, t_plain, t_mixed, t_single, t_bench_plain, t_bench_batched)
    if args.json:
        print(json.dumps({k: round(v, 6) if isinstance(v, float) else v for k, v in figures.items()}))
    return figures


def report(f: dict[str, Any], t_plain: float, t_mixed: float, t_single: float, t_bp: float, t_bb: float) -> None:
    print(f"device {f['device']}, {f['threads']} torch threads; matmul peak {f['peak_gflops']:.1f} GFLOP/s")
    print(f"(a) plain loop      {f['archs']:4d} archs  {t_plain:7.2f} s  {f['plain_evals_per_s']:8.2f} eval/s"
          f"  {f['plain_gflops']:6.2f} GFLOP/s")
    print(f"(b) nasbook batched {f['archs']:4d} archs  {t_mixed:7.2f} s  {f['nasbook_evals_per_s']:8.2f} eval/s"
          f"  {f['nasbook_gflops']:6.2f} GFLOP/s  ratio_mixed {f['ratio_mixed']:.2f} "
          f"({f['groups_in_mixed']} shape groups)")
    print(f"    nasbook 1-by-1  {f['archs']:4d} archs  {t_single:7.2f} s  "
          f"{f['nasbook_one_by_one_evals_per_s']:8.2f} eval/s  ratio {f['ratio_one_by_one']:.2f}")
    print(f"(c) bench plain     {f['bench_evaluations']:4d} evals  {t_bp:7.2f} s  "
          f"{f['bench_plain_evals_per_s']:8.2f} eval/s  {f['bench_plain_gflops']:6.2f} GFLOP/s")
    print(f"    bench batched   {f['bench_evaluations']:4d} evals  {t_bb:7.2f} s  "
          f"{f['bench_batched_evals_per_s']:8.2f} eval/s  {f['bench_batched_gflops']:6.2f} GFLOP/s  "
          f"ratio_batched {f['ratio_batched']:.2f}")
    share = min(f["bench_overhead_share"], 0.999)
    print(f"    the plain loop on 8 rows takes {share:.0%} of its 800-row time: that per-op overhead is all "
          f"batching can remove, so ratio_batched <= ~{1 / (1 - share):.1f} here")
    print(f"ratios by process CPU time: mixed {f['ratio_mixed_cpu']:.2f}, batched {f['ratio_batched_cpu']:.2f} "
          f"(wall/CPU = {f['wall_over_cpu']:.2f}; well above 1/threads means other processes took the cores)")
    print(f"largest |Δ validation loss| plain vs nasbook batched: {f['max_abs_loss_diff']:.2e} "
          f"(relative {f['max_rel_loss_diff']:.1e}; {f['pairs_over_1e-3']} of {f['pairs']} pairs over 1e-3; "
          f"worst {f['worst_pair']}); plain vs nasbook one by one: {f['max_abs_loss_diff_one_by_one']:.2e}")


if __name__ == "__main__":
    main()
