"""The switch that lets CI run the student notebook with the reference solution.

The skeleton cell of notebooks/08_assignment.ipynb ends with

    MyStrategy = nasbook.assignments.solution_if_requested(MyStrategy)

For a student nothing changes. With ``NASBOOK_SOLUTION=1`` (set by the project's conftest.py,
or by a teacher) the reference solution replaces the unfinished skeleton, so the notebook
runs top to bottom. It is a separate switch from ``NASBOOK_FAST`` on purpose: a student who
shrinks the budgets does not get the answer.
"""
from __future__ import annotations

import os


def solution_requested() -> bool:
    """True when the environment variable NASBOOK_SOLUTION is 1/true/yes."""
    return os.environ.get("NASBOOK_SOLUTION", "0").strip().lower() in ("1", "true", "yes")


def solution_if_requested(student_class: type) -> type:
    """The reference solution when NASBOOK_SOLUTION=1 (teachers, CI), else the student's class."""
    if not solution_requested():
        return student_class
    from nasbook.assignments.solutions import MyStrategy  # imported only here: the package never needs it

    print(f"NASBOOK_SOLUTION=1: using the reference solution instead of your {student_class.__name__}.")
    return MyStrategy
