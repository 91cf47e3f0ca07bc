"""The graded task of the assignment kit: beat the opponents a teacher picks, judged on merit.

Small budgets and few seeds keep these tests at seconds; the verdicts below are deterministic
(seeded searches on the shipped seed-protocol table, ``SEED_TABLE``: complete and fixed, so each
one is a fixed known case whatever the learning-curve table — the task's default benchmark — holds).
"""
import inspect
import json
import pathlib
import re

import pytest

import nasbook
from nasbook import NasbookError
from nasbook.assignments import DEFAULT_OPPONENTS, Task, mistakes, solution_if_requested, solutions, table_benchmark
from nasbook.assignments.__main__ import main
from nasbook.tabular import DEFAULT_PATH

SEED_TABLE = table_benchmark(DEFAULT_PATH)  # the seed-protocol table: the known cases below

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "10_assignment.ipynb"


class RandomClone(nasbook.Strategy):
    """A student's copy of random search: it learns nothing."""

    name = "random-clone"

    def ask(self):
        return [self.space.sample(self.rng)]

    def tell(self, trials):
        pass


class LibraryLocal(nasbook.strategies.LocalSearch):
    """The library's own local search, handed in as if it were a student's."""


def graded(cls, task, **kwargs):
    report = nasbook.check_strategy(cls, task=task, benchmark="toy", seeds=6, budget=20,
                                    verbose=False, **kwargs)
    return report, report["task"]


def test_the_default_target_is_fixed_in_advance():
    task = Task()
    assert DEFAULT_OPPONENTS == ("random", "evolution/default")
    assert (task.opponents, task.budget, task.seeds, task.alpha, task.benchmark) == (
        DEFAULT_OPPONENTS, 100, 50, 0.05, "table")
    assert str(task) == "beat random and evolution/default at budget 100 over 50 seeds on the table benchmark"


@pytest.mark.parametrize("bench", ["table", SEED_TABLE], ids=["learning-curve table", "seed-protocol table"])
def test_a_random_clone_fails_and_the_message_names_what_failed(bench):
    if bench == "table" and table_benchmark() is None:
        pytest.skip("the learning-curve table is not built far enough (every architecture with 2 seeds)")
    report, check = graded(RandomClone, Task(seeds=8, budget=30, benchmark=bench))
    assert check.status == "fail" and report.failed == ["task"], str(report)
    against = check.numbers["against"]
    assert check.numbers["missed"] == ["random", "evolution/default"]
    assert against["random"]["verdict"].startswith("the same regret as random on every seed")
    assert check.numbers["grade"] == "fail"
    for words in ("random: NOT beaten", "evolution/default: NOT beaten",
                  "Task failed: not clearly better than random"):
        assert words in check.message, (words, check.message)
    assert "many seeds" in check.fix
    json.dumps(report.to_dict())  # a grade book can store it


@pytest.fixture(scope="module")
def local_graded():
    """The library's local search under the default opponents, 30 seeds at budget 100 on the table."""
    return graded(LibraryLocal, Task(seeds=30, benchmark=SEED_TABLE))[1]


def test_a_strategy_that_clearly_beats_its_opponent_passes():
    # local search against random search alone: better, on merit (p < 0.05, interval below 1)
    _, check = graded(LibraryLocal, Task(opponents=("random",), seeds=30, benchmark=SEED_TABLE))
    assert check.status == "pass" and check.numbers["grade"] == "distinction", check.message
    result = check.numbers["against"]["random"]
    assert result["beaten"] and result["p"] < 0.05 and result["ratio_interval"][1] < 1
    assert "random: beaten" in check.message and "Task passed with distinction." in check.message


def test_beating_the_baseline_but_not_every_opponent_is_a_pass_without_distinction(local_graded):
    # the same local search, now also against regularized evolution: not beaten, but not clearly
    # worse either (a pass), and the message names the opponent a distinction still needs
    check = local_graded
    assert check.status == "pass" and check.numbers["grade"] == "pass", check.message
    assert check.numbers["missed"] == ["evolution/default"] and check.numbers["worse"] == []
    against = check.numbers["against"]
    assert against["random"]["regrets"] != against["evolution/default"]["regrets"]
    assert against["evolution/default"]["verdict"].startswith("about as good")
    assert "random: beaten" in check.message and "evolution/default: NOT beaten" in check.message
    assert "for a distinction it must also be clearly better than evolution/default" in check.message


def test_a_strategy_that_breaks_the_rules_is_not_graded():
    report, check = graded(mistakes.FixedSeed, Task(seeds=4, budget=20))
    assert "determinism" in report.failed and check.status == "skip"
    assert "fix the 'determinism' check first" in check.message


@pytest.mark.parametrize("kwargs, field", [
    ({"opponents": ("nope",)}, "opponents"), ({"opponents": ()}, "opponents"),
    ({"opponents": ("evolution/fast",)}, "opponents"), ({"budget": 0}, "budget"), ({"seeds": 0}, "seeds"),
    ({"alpha": 0.9}, "alpha"), ({"benchmark": "bowl"}, "benchmark")])
def test_a_bad_task_is_refused_naming_the_field(kwargs, field):
    with pytest.raises(NasbookError, match=field):
        task = Task(**kwargs)
        nasbook.check_strategy(RandomClone, task=task, verbose=False)


def test_check_strategy_refuses_a_task_that_is_not_one():
    with pytest.raises(NasbookError, match="task"):
        nasbook.check_strategy(RandomClone, task="beat random", verbose=False)


def test_the_task_runs_from_the_shell(tmp_path, capsys):
    path = tmp_path / "clone.py"
    path.write_text(inspect.getsource(RandomClone).join(["import nasbook\n\n\n", "\n"]))
    assert main([f"{path}:RandomClone", "--benchmark", "toy", "--seeds", "4", "--budget", "10",
                 "--beat", "random", "--task-seeds", "6", "--task-budget", "20", "--json"]) == 1
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    task = next(c for c in report["checks"] if c["name"] == "task")
    assert task["status"] == "fail" and task["numbers"]["opponents"] == ["random"]
    assert main([f"{path}:RandomClone", "--beat", "nope"]) == 2
    assert "opponents" in capsys.readouterr().err


def test_each_student_class_gets_its_own_reference_solution(monkeypatch, capsys):
    monkeypatch.setenv("NASBOOK_SOLUTION", "1")
    assert solution_if_requested(RandomClone, "BeatTheBaselines") is solutions.BeatTheBaselines
    assert solution_if_requested(RandomClone) is solutions.MyStrategy  # the hill climber, as before
    with pytest.raises(NasbookError, match="solution=.*BeatTheBaselines"):
        solution_if_requested(RandomClone, "Nope")
    monkeypatch.setenv("NASBOOK_SOLUTION", "0")
    assert solution_if_requested(RandomClone, "BeatTheBaselines") is RandomClone


def _cells(kind):
    nb = json.loads(NOTEBOOK.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind]


def _solution_lines():
    """The lines of the reference solutions' ask() and tell() that do the work (not the loop header)."""
    def code(method):
        return {re.sub(r"\s+#.*$", "", line).strip() for line in inspect.getsource(method).splitlines()[1:]}

    lines = set()
    for cls in solutions.SOLUTIONS.values():
        handed_out = code(cls.__init__) | code(cls.setup)  # the skeleton gives these away on purpose
        lines |= (code(cls.ask) | code(cls.tell)) - handed_out
    return sorted(line for line in lines if len(line) > 12 and not line.startswith(("for ", '"""', "else")))


def test_the_notebook_hints_point_without_solving():
    hints = next(text for text in _cells("markdown") if text.startswith("## Hints"))
    assert "def ask" not in hints and "def tell" not in hints
    assert "`" not in re.sub(r"`[^`\n]*`", "", hints)  # no code blocks, only names in backticks
    for name in re.findall(r"`([^`]*)`", hints):
        assert "(" not in name or name.endswith("()"), name  # method names, never a call with arguments
    assert len(re.findall(r"<summary>Hint \d", hints)) >= 4 and "Task hint" in hints


def test_no_line_of_a_reference_solution_is_in_the_notebook():
    text = "\n".join(_cells("markdown") + _cells("code"))
    lines = _solution_lines()
    assert len(lines) >= 6  # the check below looks at something
    for line in lines:
        assert line not in text, line
    student = [c for c in _cells("code") if "class " in c]
    assert [re.search(r"class (\w+)", c).group(1) for c in student] == ["MyStrategy", "BeatTheBaselines"]
    assert all("solution_if_requested(" in c for c in student)


def test_clearly_worse_than_an_opponent_is_named_in_the_failure():
    # a copy of random search against random and local search: it does not beat the baseline,
    # and local search is clearly better than it: the message gives both reasons
    _, check = graded(RandomClone, Task(opponents=("random", "local"), seeds=30, benchmark=SEED_TABLE))
    assert check.status == "fail" and check.numbers["grade"] == "fail"
    assert check.numbers["worse"] == ["local"], check.message
    assert "Task failed: not clearly better than random; clearly worse than local." in check.message
