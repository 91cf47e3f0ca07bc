"""pytest set-up shared by the unit tests and the notebooks (nbval).

Notebooks run in the small "CI budget" mode: NASBOOK_FAST=1 shrinks every budget while
keeping the same code paths. It is set here, before any kernel starts, so the README's
plain ``python -m pytest`` needs no extra variables. Set NASBOOK_FAST=0 to run the
notebooks at their full budgets.
"""
import os

os.environ.setdefault("NASBOOK_FAST", "1")
# The assignment notebook (10) runs with the reference solution swapped in for the student's
# skeleton (nasbook.assignments.solution_if_requested); set NASBOOK_SOLUTION=0 to run a
# student's own notebook.
os.environ.setdefault("NASBOOK_SOLUTION", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TQDM_DISABLE", "1")
# Notebook kernels start in notebooks/; put this checkout first on their path so they import
# the nasbook next to this file (not another installed copy).
_ROOT = os.path.dirname(os.path.abspath(__file__))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)


# -- every run in a new order --------------------------------------------------------------
# CI runs the suite in a random order, so a test that only passes after another one fails
# here, not on a learner's machine. Test files are shuffled, and the tests inside each Python
# file; a notebook's cells keep their order (each cell builds on the ones before it), so
# notebooks move as a whole. The seed is printed in the header; replay an order with
#     NASBOOK_TEST_ORDER=<seed> python -m pytest      (NASBOOK_TEST_ORDER=none: file order)
import random  # noqa: E402

_ORDER = os.environ.get("NASBOOK_TEST_ORDER", "") or str(random.SystemRandom().randrange(10**6))


def pytest_report_header(config):
    return f"test order: {'as written' if _ORDER == 'none' else 'shuffled, NASBOOK_TEST_ORDER=' + _ORDER}"


def pytest_collection_modifyitems(session, config, items):
    if _ORDER == "none":
        return
    rng = random.Random(_ORDER)
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(str(item.path), []).append(item)
    groups = list(files.values())
    rng.shuffle(groups)
    for group in groups:
        if not str(group[0].path).endswith(".ipynb"):
            rng.shuffle(group)
    items[:] = [item for group in groups for item in group]
