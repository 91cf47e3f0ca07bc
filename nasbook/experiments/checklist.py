"""A reproducible-NAS checklist, filled in from a showdown's own settings and results.

Lindauer & Hutter (2020, *Best practices for scientific research on neural architecture
search*, JMLR 21(243)) list what a NAS comparison must get right to be believed: release
the code and seeds, compare under the same budget, seeds and protocol, include random
search and (for weight-sharing methods) random sampling with weight sharing, plot
performance against compute, report the end-to-end cost and how each method was tuned.
:func:`checklist` answers each item **from the evidence itself** — what ran, with which
seeds and budget — so an item the showdown does not satisfy says "no" and why.
docs/reproducibility.md explains the items for students writing a report.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

import nasbook
from nasbook.experiments.claims import Evidence, Finding
from nasbook.experiments.showdown import split_name

YES, NO, PARTLY = "yes", "no", "partly"


def checklist(evidence: Evidence, findings: list[Finding] | None = None) -> pd.DataFrame:
    """One row per item: the practice, ``yes``/``partly``/``no``, and what in this run says so."""
    out, table = evidence.showdown, evidence.table
    names = list(out["curves"])
    seeds, budget = out["seeds"], out["budget"]
    counts = {name: sorted(set(runs.values())) for name, runs in out["runs"].items()}
    full = [n for n, c in counts.items() if c == [seeds]]
    darts = [n for n in names if split_name(n)[0] == "darts"]
    rows = [
        ("same budget for every method",
         YES, f"{budget} evaluations each, compute outside the evaluator (DARTS' supernet) charged "
              "in evaluation-equivalents against the same budget"),
        ("same seeds for every method, several runs",
         YES if len(full) == len(names) else PARTLY,
         f"seeds 0..{seeds - 1} for {len(full)} of {len(names)} strategies"
         + ("" if len(full) == len(names) else f"; fewer for {sorted(set(names) - set(full))}")),
        ("same benchmark and training protocol",
         PARTLY if out.get("notes") else YES, "".join(f"{note}. " for note in sorted(set(out.get("notes", {}).values())))
         + f"one tabular benchmark ({table.size} architectures, task {table.task_name!r}, protocol "
              f"{table.protocol.name!r}: {table.protocol.epochs} epochs, batch {table.protocol.batch_size or 'full'}, "
              f"training seeds {table.seeds})"),
        ("random search baseline",
         YES if "random" in names else NO, "random search ran with the same seeds and budget"
         if "random" in names else "random search is not in this showdown"),
        ("random sampling with weight sharing (baseline for one-shot methods)",
         NO if darts else YES,
         "DARTS is compared to random search, not to random sampling on its own supernet "
         "(nasbook.oneshot.weight_sharing has that baseline; it is not in this showdown)"
         if darts else "no one-shot method in this showdown"),
        ("performance against compute (compute on the x-axis)",
         YES, "regret after 1..budget evaluation-equivalents; simulated training seconds per run in "
              "out['simulated']"),
        ("end-to-end cost reported",
         YES, "wall seconds of every strategy's runs in out['seconds'] (for DARTS the replay; the real "
              "supernet training seconds of each run are in its recording, 'seconds'), simulated training "
              "seconds in out['simulated']"),
        ("tuning of each method reported",
         YES, "none was tuned on this benchmark: every strategy runs its documented mode defaults "
              "(docs/strategies.md); Optuna TPE with its default settings"),
        ("comparisons fixed in advance, with statistics",
         YES if findings else PARTLY,
         "each claim names its comparator in nasbook.experiments.claims; Wilcoxon over seeds, bootstrap "
         "intervals, Holm across the set" if findings else "no claims were judged"),
        ("held-out test evaluation of the final picks",
         YES if evidence.test else NO,
         f"{sum(int(np.isfinite(v).sum()) for v in evidence.test.values())} picks scored on the task's test split "
         + ("(the test losses the table recorded for the runs drawn)" if "test_curve" in table.arrays
            else "(retrained under the table's protocol)") if evidence.test else "no test losses were computed"),
        ("code, versions and seeds available",
         YES, f"nasbook {nasbook.__version__}, torch {torch.__version__}; the table and DARTS recordings "
              "ship in nasbook/data; rerun with benchmarks/showdown.py --seeds "
              f"{seeds} --budget {budget}"),
    ]
    return pd.DataFrame(rows, columns=["practice", "done", "evidence in this run"])


def checklist_markdown(frame: pd.DataFrame) -> str:
    """The checklist as a Markdown list a report can paste."""
    mark = {YES: "[x]", PARTLY: "[~]", NO: "[ ]"}
    return "\n".join(f"- {mark[done]} **{practice}** ({done}): {why}"
                     for practice, done, why in frame.itertuples(index=False, name=None))
