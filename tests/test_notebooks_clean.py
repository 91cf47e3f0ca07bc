"""Every course notebook keeps the house conventions (fast: reads JSON, runs nothing).

Committed notebooks are clean (no outputs, no execution counts), start with Colab and Binder
badges that point at themselves, install nasbook only on Colab, pick budgets through
``nasbook.notebook.budget`` and end by answering "What did I just learn?".
"""
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell):
    return "".join(cell["source"])


def test_the_course_has_its_notebooks():
    assert len(NOTEBOOKS) >= 8, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean(path):
    code = [c for c in cells(path) if c["cell_type"] == "code"]
    assert code and all(c.get("outputs") == [] for c in code), "commit notebooks without outputs"
    assert all(c.get("execution_count") is None for c in code), "commit notebooks without execution counts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_opens_with_badges_and_colab_install(path):
    first = cells(path)[0]
    assert first["cell_type"] == "markdown"
    assert f"colab.research.google.com/github/nasbook/nasbook/blob/main/notebooks/{path.name}" in source(first)
    assert f"mybinder.org/v2/gh/nasbook/nasbook/main?urlpath=lab/tree/notebooks/{path.name}" in source(first)
    assert any('"google.colab" in sys.modules' in source(c) for c in cells(path) if c["cell_type"] == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_ends_with_what_did_i_learn(path):
    last = cells(path)[-1]
    assert last["cell_type"] == "markdown" and "What did I just learn" in source(last)


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem[:2] not in ("00", "10")], ids=lambda p: p.stem)
def test_learning_path_notebook_uses_budgets_and_names_its_device(path):
    text = "\n".join(source(c) for c in cells(path) if c["cell_type"] == "code")
    assert "setup_notebook(" in text and "budget(" in text
    assert any("Exercises" in source(c) for c in cells(path) if c["cell_type"] == "markdown")
