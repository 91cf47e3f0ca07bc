"""Reports written from the numbers: the verdict table, the summary, validation against test.

Nothing here states a conclusion of its own: every sentence is filled in from the
:class:`~nasbook.experiments.claims.Finding` objects and the showdown's results, so when
the numbers change, the text changes with them.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from nasbook.experiments.claims import Evidence, Finding
from nasbook.experiments.stats import AGAINST, FOR, INCONCLUSIVE, Verdict, median_interval

NOT_TESTED = "not tested"


def _interval(v: Verdict) -> str:
    return f"{v.low:.3g} to {v.high:.3g}"


def verdict_frame(findings: list[Finding]) -> pd.DataFrame:
    """One row per claim: outcome, effect, interval, p (raw and Holm), seeds, and on test loss."""
    rows = []
    for f in findings:
        v, t = f.verdict, f.on_test
        measured = f.claim.kind == "measured"
        rows.append({
            "who": f.claim.who, "claim": f.claim.text,
            "verdict": v.outcome if v else NOT_TESTED,
            "effect": "" if v is None else (f"{v.effect:.2f}x" if measured else f"{v.effect:.3g}"),
            "95% interval": "" if v is None or measured else _interval(v),
            "p": "" if v is None or measured else f"{v.p:.2g}",
            "p (Holm)": "" if v is None or measured else f"{v.p_adjusted:.2g}",
            "seeds": "" if v is None or measured else v.n,
            "on test loss": "" if t is None else f"{t.outcome} (p Holm {t.p_adjusted:.2g})",
            "experiment / why not": f.note if v is None else f.claim.experiment,
        })
    return pd.DataFrame(rows)


def _bullet(f: Finding) -> str:
    v = f.verdict
    if v is None:
        return f"* {f.claim.who}, *{f.claim.text}*: {f.note}"
    if f.claim.kind == "measured":
        return f"* {f.claim.who}, *{f.claim.text}*: ratio {v.effect:.2f}. {v.note}"
    return (f"* {f.claim.who}, *{f.claim.text}*: median difference {v.effect:.3g} "
            f"(interval {_interval(v)}), Holm-adjusted p = {v.p_adjusted:.2g}, {v.n} seeds.")


def summary_markdown(findings: list[Finding]) -> str:
    """The summary of a set of findings, as Markdown, generated from their verdicts."""
    groups = {FOR: [], AGAINST: [], INCONCLUSIVE: [], NOT_TESTED: []}
    for f in findings:
        groups[f.verdict.outcome if f.verdict else NOT_TESTED].append(f)
    tested = len(findings) - len(groups[NOT_TESTED])
    lines = [f"Of {len(findings)} claims, {tested} were tested here: {len(groups[FOR])} FOR, "
             f"{len(groups[AGAINST])} AGAINST, {len(groups[INCONCLUSIVE])} INCONCLUSIVE; "
             f"{len(groups[NOT_TESTED])} could not be tested on this benchmark."]
    titles = {FOR: "The evidence supports", AGAINST: "The evidence contradicts",
              INCONCLUSIVE: "The evidence cannot decide", NOT_TESTED: "Not tested"}
    for outcome, title in titles.items():
        if groups[outcome]:
            lines += ["", f"**{title}** ({len(groups[outcome])}):", *map(_bullet, groups[outcome])]
    checked = [f for f in findings if f.on_test is not None]
    differ = [f for f in checked if f.on_test.outcome != f.verdict.outcome]
    if checked:
        lines += ["", f"On the held-out **test loss** of the picks, {len(checked) - len(differ)} of "
                      f"{len(checked)} strategy comparisons get the same verdict as on validation regret"
                  + (":" if not differ else "; they differ on:")]
        lines += [f"* *{f.claim.text}*: {f.verdict.outcome} on validation, {f.on_test.outcome} on test "
                  f"(median test-loss difference {f.on_test.effect:.3g}, Holm p = {f.on_test.p_adjusted:.2g})"
                  for f in differ]
        if not differ:
            lines[-1] = lines[-1].rstrip(":") + "."
    return "\n".join(lines)


def val_vs_test(evidence: Evidence) -> tuple[pd.DataFrame, Any]:
    """Per strategy: median validation regret and median test loss of its picks (with bootstrap
    intervals) and its rank by each; plus Spearman's correlation of the two rankings."""
    rows = {}
    for name, curves in evidence.showdown["curves"].items():
        regret, test = curves[:, -1], evidence.test_loss(name)
        regret, test = regret[~np.isnan(regret)], test[~np.isnan(test)]
        if not regret.size or not test.size:
            continue
        t = median_interval(test)
        rows[name] = {"median val regret": float(np.median(regret)), "median test loss": t.estimate, "test 95% low": t.low, "test 95% high": t.high}
    frame = pd.DataFrame(rows).T
    frame["rank by val"] = frame["median val regret"].rank().astype(int)
    frame["rank by test"] = frame["median test loss"].rank().astype(int)
    rho = stats.spearmanr(frame["median val regret"], frame["median test loss"]) if len(frame) > 2 else None
    return frame.sort_values("median val regret"), rho
