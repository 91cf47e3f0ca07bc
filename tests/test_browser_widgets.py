"""The strategy notebooks' widgets in a real browser: JupyterLab on 127.0.0.1, Debian's Chromium.

Each entry of :data:`WIDGETS` is ``(name, code, expected_text)``: ``code`` is one notebook cell
whose last line displays the widget, ``expected_text`` a label the rendered widget must show.
The test writes ONE notebook (a setup cell, then one cell per entry), starts ONE JupyterLab
(the helpers of ``tests/test_browser.py``: fresh port, random token, NASBOOK_FAST=1), runs all
cells from the Run menu, and then, for each widget like a learner would:

* finds it by its expected text and checks that its image (if any) really rendered;
* moves its first slider one step with the keyboard and waits until the widget's text or
  image changes.

Screenshots go to test-artifacts/. Skipped, saying so, when /usr/bin/chromium is absent.
To add a widget, append an entry; the first slider (or, without one, the first dropdown) of the
widget must change what it shows.
"""
import json
import re
import time
from pathlib import Path

import pytest

from test_browser import ARTIFACTS, CHROMIUM, lab_page, run_all_cells

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"Debian's chromium is not installed at {CHROMIUM} "
                              f"(apt-get install chromium); this test never downloads a browser"),
]

WIDGETS = [
    ("bandit", "from nasbook.viz.widgets import BanditWidget\nBanditWidget(steps=10)",
     "REINFORCE on a two-key bandit"),
    ("mixing", "from nasbook.viz.widgets import MixingWidget, MixedLayer\nMixingWidget(MixedLayer(steps=100))",
     "a mixed op and its discretisation gap"),
    ("explorer",  # notebook 01: you are the outer loop
     "from nasbook import Evaluator, Protocol\n"
     "from nasbook.viz.widgets import ArchitectureExplorer\n"
     "quick = Evaluator(task='synthetic', device='cpu',\n"
     "                  protocol=Protocol('quick', epochs=3, batch_size=None, checkpoints=(1, 2, 3)))\n"
     "explorer = ArchitectureExplorer(quick, {'num_hidden_layers': [1, 2, 3], 'hidden_layer_size': [4, 8]})\n"
     "explorer.widget",
     "outer score L_val"),
    ("evolution",  # notebook 04: population and tournament sizes on the lookup table
     "from nasbook.viz.widgets import EvolutionExplorer\n"
     "evolution = EvolutionExplorer(budget=30, seeds=2)\n"
     "evolution.widget",
     "median regret after 30 evaluations"),
    ("brackets",  # notebook 06: η and minimum epochs on the learning-curve table
     "from nasbook.viz.widgets import BracketExplorer\n"
     "brackets = BracketExplorer(budget=10)\n"
     "brackets.widget",
     "Successive halving on the learning-curve table"),
    ("cell_editor",  # notebook 09: draw a cell, see its table score and proxies (its first control is a dropdown)
     "from nasbook.tabular import CELLS_PATH, load_table\n"
     "from nasbook.viz.widgets import CellEditor\n"
     "CellEditor(load_table(CELLS_PATH))",
     "Draw a cell"),
]

SETUP = "from nasbook.notebook import setup_notebook\ndevice = setup_notebook(seed=0)"


def widgets_notebook(target: Path) -> None:
    cells = [SETUP] + [code for _, code, _ in WIDGETS]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                   "source": source} for source in cells]}
    target.write_text(json.dumps(nb))


def snapshot(widget) -> str:
    """What the widget *outputs*: its HTML texts and its images (not the controls' own readouts)."""
    texts = widget.locator(".widget-html").evaluate_all("els => els.map(e => e.innerText)")
    images = widget.locator("img").evaluate_all("imgs => imgs.map(i => i.src.length + ':' + i.src.slice(-64))")
    return "|".join(texts + images)


def move_first_slider(page, widget) -> None:
    """One step right on the first slider's handle with the keyboard, as a learner would
    (ipywidgets 8 draws the handle with noUiSlider, 7 with jQuery UI); works for numeric and
    selection sliders alike. A widget without a slider gets its first dropdown's next option."""
    if not widget.locator(".noUi-handle, .ui-slider-handle").count():
        select = widget.locator("select").first
        select.scroll_into_view_if_needed()
        select.select_option(index=(select.evaluate("s => s.selectedIndex") + 1) % select.locator("option").count())
        return
    handle = widget.locator(".noUi-handle, .ui-slider-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    handle.press("ArrowRight")


def test_widgets_render_and_respond_in_jupyterlab(tmp_path):
    from playwright.sync_api import expect

    root = tmp_path / "lab"
    root.mkdir()
    widgets_notebook(root / "widgets.ipynb")
    with lab_page(root, "widgets.ipynb", "browser-widgets") as page:
        run_all_cells(page)
        for name, _, expected in WIDGETS:
            widget = page.locator(".widget-vbox").filter(has_text=expected).first
            expect(widget).to_be_visible(timeout=120_000)
            widget.scroll_into_view_if_needed()
            images = widget.locator("img.widget-image")
            if images.count():
                expect(images.first).to_be_visible()
                assert images.first.evaluate("img => img.naturalWidth") > 100, name
            before = snapshot(widget)
            move_first_slider(page, widget)
            deadline = time.monotonic() + 60
            while snapshot(widget) == before:
                assert time.monotonic() < deadline, f"{name}: moving its first slider changed nothing"
                time.sleep(0.3)
            page.wait_for_timeout(1000)  # let the image arrive too, for the screenshot
            widget.screenshot(path=str(ARTIFACTS / f"browser-widget-{name}.png"))
        page.screenshot(path=str(ARTIFACTS / "browser-widgets.png"), full_page=True)


def test_every_entry_names_a_widget_and_a_label():
    assert len({name for name, _, _ in WIDGETS}) == len(WIDGETS)
    for name, code, expected in WIDGETS:
        assert re.match(r"^[a-z_]+$", name) and code.strip() and expected
        assert "def " not in code and "class " not in code  # calls only, as in the notebooks
