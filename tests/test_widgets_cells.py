"""Headless tests of notebook 09's cell pictures and cell editor: choose edges as a click
would, check what the picture and the card show (a full, a partial and no table)."""
import html
import itertools

import numpy as np
import pytest
from matplotlib.figure import Figure

from nasbook import NasbookError
from nasbook.spaces.cell import EDGE_KEYS
from nasbook.viz.cell_plots import parameter_free_history, plot_cell, plot_parameter_free_mass
from nasbook.viz.widgets import CellEditor
from nasbook.tabular import BenchTable
from table_helpers import fake_table

PNG = b"\x89PNG"
SMALL = {key: ["none", "conv_3x3"] for key in EDGE_KEYS}  # 64 cells
CONVS = {key: "conv_3x3" for key in EDGE_KEYS}


def small_table(trained=None):
    """The 64 small cells; a cell's loss is 2 minus 0.1 per convolution (``trained``: the rows built)."""
    cells = [dict(zip(EDGE_KEYS, ops)) for ops in itertools.product(*SMALL.values())]
    loss = np.array([2.0 - 0.1 * list(c.values()).count("conv_3x3") for c in cells])
    table = fake_table(np.broadcast_to(loss[:, None, None], (64, 2, 4)), space=SMALL)
    if trained is None:
        return table
    curve = np.where(trained[:, None, None], table.arrays["val_curve"], np.nan)
    return BenchTable(dict(table.arrays, done=np.asarray(trained), val_curve=curve), table.meta)



def text(widget) -> str:
    return html.unescape(widget.value)


def test_plot_cell_draws_every_edge_and_marks_dead_ones():
    arch = dict(CONVS, edge_1_0="none", edge_2_0="none")  # node 1 and node 2 are cut off from the input
    ax = plot_cell(arch, ax=Figure().add_subplot())
    labels = [t.get_text() for t in ax.texts]
    assert sum("conv_3x3" in t for t in labels) == 4 and labels.count("none") == 2
    assert sum("(dead)" in t for t in labels) == 3  # edge_2_1, edge_3_1 and edge_3_2 cannot matter
    assert len(ax.patches) == 6 and {"0", "1", "2", "3", "in", "out"} <= set(labels)


def test_parameter_free_history_reads_the_darts_trace():
    trace = [{"kind": "darts", "epoch": 1, "alphas": {"edge_1_0": [0.2] * 5}},
             {"kind": "darts", "epoch": 2, "alphas": {"edge_1_0": [0.3, 0.3, 0.1, 0.0, 0.3]}},
             {"kind": "derive"}]
    epochs, mass = parameter_free_history(trace)
    assert epochs == [1, 2] and mass["edge_1_0"] == pytest.approx([0.6, 0.9])
    ax = plot_parameter_free_mass(trace, ax=Figure().add_subplot())
    assert len(ax.lines) == 2  # the edge and the mean


def test_editor_shows_the_table_score_and_follows_each_dropdown():
    editor = CellEditor(small_table(), start={key: "none" for key in EDGE_KEYS})
    assert bytes(editor.plot.value).startswith(PNG) and editor.card["table_loss"] == pytest.approx(2.0)
    first = bytes(editor.plot.value)
    editor.dropdowns["edge_3_0"].value = "conv_3x3"  # what choosing in the dropdown does
    assert editor.arch["edge_3_0"] == "conv_3x3" and editor.card["table_loss"] == pytest.approx(1.9)
    assert bytes(editor.plot.value) != first
    card = editor.set(**CONVS)
    assert card["table_loss"] == pytest.approx(1.4) and card["table_rank"] == 1 and card["table_size"] == 64
    shown = text(editor.info)
    for word in ("1.4000", "rank 1 of 64", f"{card['params']:,}", f"{card['flops']:,}", "synflow", "naswot",
                 "grad_norm", "snip", "itself"):
        assert word in shown


def test_editor_says_not_trained_yet_on_a_partial_table_and_without_one():
    trained = np.zeros(64, dtype=bool)
    trained[:10] = True
    editor = CellEditor(small_table(trained), start=CONVS)  # the last row: not trained
    assert editor.card["table_loss"] is None and "not trained yet" in text(editor.info)
    assert "10 cells so far" in text(editor.info)
    alone = CellEditor(None, start=dict(CONVS, edge_1_0="skip_connect"), seeds=(0, 1))
    assert "no table given" in text(alone.info) and len(alone.card["per_seed"]["synflow"]) == 2


def test_editor_shows_the_isomorphism_class():
    editor = CellEditor(None, start=dict(CONVS, edge_1_0="none", edge_2_0="none"))
    assert not editor.card["is_canonical"] and "none~1" in text(editor.info)


def test_editor_refuses_unknown_edges_and_ops_by_name():
    with pytest.raises(NasbookError, match="edge_9_9"):
        CellEditor(None).set(edge_9_9="none")
    with pytest.raises(NasbookError, match="conv_5x5"):
        CellEditor(None, start={"edge_1_0": "conv_5x5"})
    with pytest.raises(NasbookError, match="seeds"):
        CellEditor(None, seeds=())
