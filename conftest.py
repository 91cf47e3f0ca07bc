"""pytest set-up shared by the unit tests and the notebooks (nbval).

Notebooks run in the small "CI budget" mode: NASBOOK_FAST=1 shrinks every budget while
keeping the same code paths. It is set here, before any kernel starts, so the README's
plain ``python -m pytest`` needs no extra variables. Set NASBOOK_FAST=0 to run the
notebooks at their full budgets.
"""
import os

os.environ.setdefault("NASBOOK_FAST", "1")
# The assignment notebook (08) runs with the reference solution swapped in for the student's
# skeleton (nasbook.assignments.solution_if_requested); set NASBOOK_SOLUTION=0 to run a
# student's own notebook.
os.environ.setdefault("NASBOOK_SOLUTION", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TQDM_DISABLE", "1")
# Notebook kernels start in notebooks/; put this checkout first on their path so they import
# the nasbook next to this file (not another installed copy).
_ROOT = os.path.dirname(os.path.abspath(__file__))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)
