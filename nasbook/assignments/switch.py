"""The switch that lets CI run the student notebook with the reference solution.

Each student cell of notebooks/10_assignment.ipynb ends with a line like

    MyStrategy = nasbook.assignments.solution_if_requested(MyStrategy)

For a student nothing changes. With ``NASBOOK_SOLUTION=1`` (set by the project's conftest.py,
or by a teacher) the reference solution replaces the unfinished skeleton, so the notebook
runs top to bottom. It is a separate switch from ``NASBOOK_FAST`` on purpose: a student who
shrinks the budgets does not get the answer.
"""
from __future__ import annotations

import os

from nasbook.validation import fail


def solution_requested() -> bool:
    """True when the environment variable NASBOOK_SOLUTION is 1/true/yes."""
    return os.environ.get("NASBOOK_SOLUTION", "0").strip().lower() in ("1", "true", "yes")


def solution_if_requested(student_class: type, solution: str = "MyStrategy") -> type:
    """The reference solution named ``solution`` when NASBOOK_SOLUTION=1 (teachers, CI), else the
    student's class: ``"MyStrategy"`` (the hill climber) or ``"BeatTheBaselines"`` (the graded task)."""
    if not solution_requested():
        return student_class
    from nasbook.assignments import solutions  # imported only here: the package never needs it

    if solution not in solutions.SOLUTIONS:
        raise fail("solution", solution, f"one of {sorted(solutions.SOLUTIONS)} (the reference solutions in "
                   "nasbook.assignments.solutions)")
    print(f"NASBOOK_SOLUTION=1: using the reference solution instead of your {student_class.__name__}.")
    return solutions.SOLUTIONS[solution]
