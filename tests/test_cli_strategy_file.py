"""`nasbook search --strategy FILE.py:ClassName`: a student's strategy runs from the shell, and
the bad forms are refused in one line that names the value and what is allowed (exit 2)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

STUDENT = '''
import nasbook


class FirstChoice(nasbook.Strategy):
    """Always proposes every key's first choice (the cache answers the repeats)."""

    name = "first-choice"

    def ask(self):
        return [{key: values[0] for key, values in self.space.choices.items()}]

    def tell(self, trials):
        pass


NOT_A_CLASS = 3


class NotAStrategy:
    pass
'''


def nasbook(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "nasbook", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def student(tmp_path):
    path = tmp_path / "student.py"
    path.write_text(STUDENT)
    return path


def test_a_strategy_from_a_file_runs_and_prints_its_summary(student):
    done = nasbook("search", "--strategy", f"{student}:FirstChoice", "--budget", "3", "--protocol", "article",
                   "--json", "--device", "cpu")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["strategy"] == "first-choice" and summary["evaluations"] == 3
    assert summary["cache_hits"] == 2 and summary["best_arch"]["num_hidden_layers"] == 1


@pytest.mark.parametrize("value, words", [
    ("student.py", ["--strategy='student.py'", "one of", "'random'", "FILE.py:ClassName"]),
    ("missing.py:FirstChoice", ["--strategy='missing.py:FirstChoice'", "an existing .py file before the ':'"]),
    ("student.py:Nobody", ["--strategy='student.py:Nobody'", "it has no 'Nobody'"]),
    ("student.py:NotAStrategy", ["--strategy='student.py:NotAStrategy'", "a subclass of nasbook.Strategy"]),
    ("student.py:NOT_A_CLASS", ["--strategy='student.py:NOT_A_CLASS'", "a subclass of nasbook.Strategy"]),
    ("student.py:", ["--strategy='student.py:'", "FILE.py:ClassName or package.module:ClassName"]),
])
def test_bad_forms_are_refused_in_one_line(student, value, words):
    done = nasbook("search", "--strategy", value, "--budget", "2", cwd=student.parent)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nasbook: error: "), done.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_a_file_that_raises_while_loading_is_named(tmp_path):
    (tmp_path / "broken.py").write_text("raise ValueError('oops')\n")
    done = nasbook("search", "--strategy", "broken.py:X", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "nasbook: error: loading broken.py:X raised ValueError: oops"
