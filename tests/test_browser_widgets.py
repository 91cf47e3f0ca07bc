"""The notebooks' widgets in a real browser: one JupyterLab, one notebook, one cell per widget.

Each entry of :data:`WIDGETS` is ``(name, code, expected_text)``: the code builds and displays
one widget, ``expected_text`` must appear in its cell's output once it has rendered. Then the
test moves the widget's first slider one step with the keyboard (as a learner would) and waits
for the widget's HTML text (not the slider's own readout) to change: the kernel heard the move
and the widget redrew. One
JupyterLab (see tests/test_browser.py for the server and the browser) serves every entry;
screenshots go to test-artifacts/. Skipped, saying so, when /usr/bin/chromium is absent.
"""
import json
import re
import secrets
import shutil
import time
from pathlib import Path

import pytest

from test_browser import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, free_port, run_all_cells, start_lab, stop_server,
                          wait_for_server)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"Debian's chromium is not installed at {CHROMIUM} "
                              f"(apt-get install chromium); this test never downloads a browser"),
]

SETUP = ("from IPython.display import display\n"
         "from nasbook.notebook import setup_notebook\n"
         "device = setup_notebook(seed=0)")  # prints "Using ...": run_all_cells waits for it

WIDGETS = [
    ("explorer",  # notebook 01: you are the outer loop
     "from nasbook import Evaluator, Protocol\n"
     "from nasbook.viz.widgets import ArchitectureExplorer\n"
     "quick = Evaluator(task='synthetic', device='cpu',\n"
     "                  protocol=Protocol('quick', epochs=3, batch_size=None, checkpoints=(1, 2, 3)))\n"
     "explorer = ArchitectureExplorer(quick, {'num_hidden_layers': [1, 2, 3], 'hidden_layer_size': [4, 8]})\n"
     "display(explorer.widget)",
     "outer score L_val"),
    ("evolution",  # notebook 04: population and tournament sizes on the lookup table
     "from nasbook.viz.widgets import EvolutionExplorer\n"
     "evolution = EvolutionExplorer(budget=30, seeds=2)\n"
     "display(evolution.widget)",
     "median regret after 30 evaluations"),
]


def code_cell(source: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
            "source": source.splitlines(keepends=True)}


def widgets_notebook(target: Path) -> None:
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [code_cell(SETUP)] + [code_cell(code) for _, code, _ in WIDGETS]}
    target.write_text(json.dumps(nb))


def move_first_slider(output) -> None:
    """One step right on the first slider's handle (ipywidgets 8: noUiSlider; 7: jQuery UI)."""
    handle = output.locator(".noUi-handle, .ui-slider-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    handle.press("ArrowRight")


def shown_text(output) -> str:
    """What the widget's HTML parts say (titles, summaries, tables): the kernel writes them."""
    return "\n".join(output.locator(".widget-html").all_inner_texts())


def test_every_widget_renders_and_answers_a_slider(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    root = tmp_path / "lab"
    root.mkdir()
    widgets_notebook(root / "widgets.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    ARTIFACTS.mkdir(exist_ok=True)
    server = start_lab(root, port, token)
    try:
        wait_for_server(f"http://127.0.0.1:{port}/api/status?token={token}", server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1500, "height": 1100})
                page.set_default_timeout(60_000)
                page.add_locator_handler(page.get_by_role("button", name="Select Kernel"), lambda b: b.click())
                page.goto(f"http://127.0.0.1:{port}/lab/tree/widgets.ipynb?token={token}")
                page.locator(".jp-Notebook").first.wait_for()
                expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(
                    1, timeout=90_000)
                page.wait_for_timeout(2000)
                run_all_cells(page)
                for i, (name, _, expected) in enumerate(WIDGETS, start=1):
                    output = page.locator(".jp-CodeCell").nth(i).locator(".jp-OutputArea-output")
                    expect(output.first).to_contain_text(expected, timeout=120_000)
                    image = output.locator("img.widget-image").first
                    expect(image).to_be_visible()
                    assert image.evaluate("img => img.naturalWidth") > 100, f"{name}: its plot did not draw"
                    before = shown_text(output)
                    move_first_slider(output)
                    deadline = time.monotonic() + 90
                    while shown_text(output) == before:  # the slider's own readout does not count
                        assert time.monotonic() < deadline, f"{name}: moving its slider changed nothing"
                        time.sleep(0.3)
                    expect(output.first).to_contain_text(re.compile(re.escape(expected)))
                    output.first.screenshot(path=str(ARTIFACTS / f"browser-widget-{name}.png"))
            except BaseException:
                page.screenshot(path=str(ARTIFACTS / "browser-widgets-failure.png"), full_page=True)
                raise
            finally:
                browser.close()
    finally:
        stop_server(server)
        if (root / "lab.log").exists():
            shutil.copy(root / "lab.log", ARTIFACTS / "browser-widgets-lab.log")
