"""The command line's edges, each in a real process: exit codes, one line, no traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nasbook import __version__, read_log

ROOT = Path(__file__).resolve().parents[1]
NEVER = 600  # seconds: a timeout only a hanging command could reach

# `nasbook` in a process that presses Ctrl-C (a real SIGINT to itself) as its third training starts.
CTRL_C_AT_THE_THIRD_TRAINING = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # a suite run in the background inherits Ctrl-C ignored
from nasbook.evaluation.training import Evaluator
from nasbook.cli import main
plain, calls = Evaluator.train, []
def train(self, arch, seed):
    calls.append(arch)
    if len(calls) == 3:
        os.kill(os.getpid(), signal.SIGINT)
    return plain(self, arch, seed)
Evaluator.train = train
sys.exit(main(sys.argv[1:]))
"""


def nasbook(*args: str, script: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", script] if script else [sys.executable, "-m", "nasbook"]
    return subprocess.run([*command, *args], cwd=ROOT, capture_output=True, text=True, timeout=NEVER,
                          env={**os.environ, "TQDM_DISABLE": "1"})


@pytest.mark.parametrize("json_output", [True, False], ids=["--json", "human"])
def test_ctrl_c_exits_130_with_or_without_json(tmp_path, json_output):
    log = tmp_path / "run.jsonl"
    done = nasbook("search", "--budget", "10", "--protocol", "article", "--device", "cpu", "--log", str(log),
                   *(["--json"] if json_output else []), script=CTRL_C_AT_THE_THIRD_TRAINING)
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    _, logged, warnings = read_log(log)
    assert 2 <= len(logged) < 10 and warnings == []
    if json_output:
        summary = json.loads(done.stdout.strip().splitlines()[-1])  # still the JSON contract
        assert summary["interrupted"] is True and summary["evaluations"] == len(logged)
    else:
        assert "add --resume to the same command to continue" in done.stdout


def test_version_prints_the_version():
    done = nasbook("--version")
    assert done.returncode == 0 and done.stdout == f"nasbook {__version__}\n" and done.stderr == ""


@pytest.mark.parametrize("args, line", [
    ([], "nasbook: error: nasbook needs a command: search (run a search on a built-in task), bench (the "
         "tabular benchmark: every architecture, trained); 'nasbook COMMAND --help' shows its options"),
    (["bench"], "nasbook: error: nasbook bench needs a command: build (train every architecture with several "
                "seeds and save the table); 'nasbook bench COMMAND --help' shows its options"),
    (["fly"], "nasbook: error: argument command: invalid choice: 'fly'; the commands are search (run a search "
              "on a built-in task), bench (the tabular benchmark: every architecture, trained)"),
    (["bench", "fly"], "nasbook: error: argument bench_command: invalid choice: 'fly'; the commands are build "
                       "(train every architecture with several seeds and save the table)"),
], ids=["nasbook", "nasbook bench", "nasbook fly", "nasbook bench fly"])
def test_a_missing_or_unknown_command_answers_with_the_commands(args, line):
    done = nasbook(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [line]


def test_a_log_held_by_another_search_is_one_line_naming_it(tmp_path):
    from nasbook.loop.lock import LogLock

    log = tmp_path / "run.jsonl"
    with LogLock(log):
        done = nasbook("search", "--budget", "2", "--log", str(log))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"nasbook: error: log={str(log)!r} is being written by another search (pid {os.getpid()} on "
        f"{os.uname().nodename}); a run log has one writer: wait for that search to end, or pass another log path"]


def make_notes(folder: Path) -> None:
    (folder / "notes").write_text("my notes\n")


@pytest.mark.parametrize("name, words", [
    ("sub/", "a file path, not a directory"),
    ("notes/run.jsonl", "is a file, not a folder"),
    ("notes", "line 1 is not a run-log header: this file holds something else, and was left as it is"),
], ids=["trailing slash", "under a file", "not a run log"])
def test_bad_log_paths_are_one_line_in_a_real_process(tmp_path, name, words):
    make_notes(tmp_path)
    given = f"{tmp_path}/{name}"
    done = nasbook("search", "--budget", "2", "--log", given)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and f"log={given!r} is not allowed" in lines[0] and words in lines[0], lines
    assert (tmp_path / "notes").read_text() == "my notes\n"


def test_a_reader_that_leaves_early_is_no_error():
    """`nasbook search --json | head -c 0`: stdout closes before nasbook writes; no message, no traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "nasbook", "search", "--budget", "2", "--protocol", "article",
                             "--json"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TQDM_DISABLE": "1"})
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(NEVER) == 141 and err == ""
