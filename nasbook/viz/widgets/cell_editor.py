"""The cell editor: draw a cell by choosing each edge's operation, and see everything it is at once.

Notebook 09's widget. One dropdown per edge (``edge_j_i``: from node ``i`` to node ``j``); on
every change the editor redraws the cell (:func:`nasbook.viz.cell_plots.plot_cell`) and shows
its *card* (:func:`nasbook.experiments.proxy_scores.cell_card`): its true score in the cell table
(or "not trained yet" while the table is still being built), its isomorphism class (the
canonical cell, with dead edges set to ``none``, and how many of the 15,625 cells share its
table row), its parameters and FLOPs, and every zero-cost proxy, computed live on the spot
(some 30 ms a proxy seed). So a learner can ask "what does this edge do?" and see the proxies
and the table disagree, or agree, on the very cell they drew.

Core ipywidgets only (7.7 and 8), like every nasbook widget::

    from nasbook.viz.widgets import CellEditor
    editor = CellEditor(table); editor          # table = load_table(CELLS_PATH), or None
    editor.set(edge_3_0="skip_connect")         # what choosing in a dropdown does
    editor.card                                 # the shown numbers, as a dict
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from nasbook.experiments.proxy_scores import SEEDED, cell_card
from nasbook.spaces.cell import CELL_FAMILY, EDGE_KEYS, OPS
from nasbook.tasks import Task, make_task
from nasbook.validation import fail
from nasbook.viz.cell_plots import plot_cell
from nasbook.viz.widgets.live import render_png

if TYPE_CHECKING:
    from nasbook.tabular.table import BenchTable

TITLE = "Draw a cell: choose each edge's operation"
START = {"edge_1_0": "conv_3x3", "edge_2_0": "skip_connect", "edge_2_1": "conv_1x1",
         "edge_3_0": "skip_connect", "edge_3_1": "none", "edge_3_2": "conv_3x3"}


class CellEditor:
    """Six dropdowns, the cell's picture and its card; ``editor.arch`` is the drawn cell."""

    def __init__(self, table: "BenchTable | None" = None, start: Mapping[str, str] | None = None,
                 seeds: Sequence[int] = (0,), task: "str | Task" = "digits_images") -> None:
        arch = CELL_FAMILY.complete({**START, **dict(start or {})})
        for key in EDGE_KEYS:
            CELL_FAMILY.check_value(key, arch[key], "start")
        if not seeds:
            raise fail("seeds", list(seeds), "at least one proxy seed")
        self.table, self.seeds = table, tuple(int(s) for s in seeds)
        self.task = make_task(task) if isinstance(task, str) else task
        self.class_sizes = None if table is None or table.representative is None else np.bincount(table.representative)
        self.card: dict[str, Any] = {}
        self._quiet = False
        self.dropdowns = {key: W.Dropdown(options=list(OPS), value=arch[key], description=key,
                                          layout=W.Layout(width="260px")) for key in EDGE_KEYS}
        for dropdown in self.dropdowns.values():
            dropdown.observe(lambda change: self._changed(), names="value")
        self.plot = W.Image(format="png")
        self.info = W.HTML()
        self.widget = W.VBox([W.HTML(f"<b>{TITLE}</b> (edge_j_i joins node i to node j)"),
                              W.HBox([W.VBox(list(self.dropdowns.values())), self.plot]), self.info])
        self.redraw()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    @property
    def arch(self) -> dict[str, str]:
        return {key: str(d.value) for key, d in self.dropdowns.items()}

    def set(self, **edges: str) -> dict[str, Any]:
        """Choose several edges at once (as the dropdowns would), redraw once; returns the card."""
        for key, op in edges.items():
            if key not in self.dropdowns:
                raise fail("edge", key, f"one of {list(EDGE_KEYS)}")
            CELL_FAMILY.check_value(key, op, "edges")
        self._quiet = True
        try:
            for key, op in edges.items():
                self.dropdowns[key].value = op
        finally:
            self._quiet = False
        self.redraw()
        return self.card

    def _changed(self) -> None:
        if not self._quiet:
            self.redraw()

    def redraw(self) -> None:
        arch = self.arch
        self.card = cell_card(arch, self.table, self.seeds, self.task)
        if self.class_sizes is not None:
            self.card["class_size"] = int(self.class_sizes[self.table.representative[self.table.space.index(arch)]])
        fig = Figure(figsize=(5.5, 2.6))
        plot_cell(arch, ax=fig.add_subplot())
        fig.tight_layout()
        self.plot.value = render_png(fig)
        self.info.value = card_html(self.card)


def card_html(card: Mapping[str, Any]) -> str:
    """The card as a small HTML table: table score, class, size, proxies."""
    if card.get("table_size") is None:
        score = "<i>no table given</i>"
    elif card["table_loss"] is None:
        score = f"<i>not trained yet</i> (the table has trained {card['table_size']:,} cells so far)"
    else:
        score = (f"<b>{card['table_loss']:.4f}</b> mean validation loss, rank {card['table_rank']:,} "
                 f"of {card['table_size']:,} trained cells")
    same = "itself (no dead edge)" if card["is_canonical"] else f"<code>{html.escape(card['canonical'])}</code>"
    if "class_size" in card:
        same += f"; {card['class_size']:,} of the 15,625 cells share its table row"
    rows = [("table score", score), ("isomorphism class", same),
            ("parameters", f"{card['params']:,}"), ("FLOPs", f"{card['flops']:,}")]
    seeds = len(next(iter(card["per_seed"].values()), []))
    rows += [(f"{p} (mean of {seeds} seed{'s' if seeds != 1 else ''})", f"{card['proxies'][p]:.4g}") for p in SEEDED]
    body = "".join(f"<tr><td style='padding-right:12px'>{html.escape(k)}</td><td>{v}</td></tr>" for k, v in rows)
    return f"<code>{html.escape(card['label'])}</code><table>{body}</table>"
