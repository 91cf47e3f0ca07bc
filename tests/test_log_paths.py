"""Run-log paths, and the problems that must be found before training, not after it.

Each test names a case of docs/reliability.md's "What is guaranteed" table. Where the tests
run as root (who may write where permissions say no), a read-only file is simulated and the
read-only folder is skipped.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nasbook import NasbookError, read_log
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.loop.runlog import RunLog
from nasbook.trial import Trial
from runlog_helpers import ROOT_USER, refused, run


# -- problems found before training, not after -------------------------------------------------
def test_a_read_only_log_is_refused_before_resuming(tmp_path, monkeypatch):
    log = tmp_path / "run.jsonl"
    run(log, budget=4, stop=lambda: log.read_text().count("\n") > 2)  # header + 2 trials
    before = log.read_bytes()
    if ROOT_USER:  # root may append to a 0o444 file: make appending fail as it would for anyone else
        import builtins
        import nasbook.loop.runlog as runlog

        def read_only(path, mode="r", *args, **kwargs):
            if "a" in mode or "w" in mode:
                raise PermissionError(13, "Permission denied", str(path))
            return builtins.open(path, mode, *args, **kwargs)

        monkeypatch.setattr(runlog, "open", read_only, raising=False)
    else:
        log.chmod(0o444)
    message = refused(log, resume=True)
    assert message == f"log={str(log)!r} is not allowed; a run log nasbook can append to (Permission denied)"
    assert log.read_bytes() == before


def test_a_half_written_line_in_a_read_only_log_is_refused_not_a_traceback(tmp_path):
    log = tmp_path / "run.jsonl"
    run(log, budget=4, stop=lambda: log.read_text().count("\n") > 2)
    with open(log, "a") as f:
        f.write('{"kind": "trial", "arch": {"num_hid')
    before = log.read_bytes()
    if ROOT_USER:
        pytest.skip("running as root: a read-only file stays writable (the case is checked with a "
                    "simulated read-only log in test_a_read_only_log_is_refused_before_resuming)")
    log.chmod(0o444)
    assert "a run log nasbook can append to (Permission denied)" in refused(log, resume=True)
    assert log.read_bytes() == before


def test_a_log_under_a_regular_file_is_refused_before_training(tmp_path):
    (tmp_path / "notes").write_text("not a folder")
    message = refused(tmp_path / "notes" / "run.jsonl")
    assert message == (f"log={str(tmp_path / 'notes' / 'run.jsonl')!r} is not allowed; a path inside a "
                       f"folder ({tmp_path / 'notes'} is a file, not a folder)")


@pytest.mark.skipif(ROOT_USER, reason="running as root: a read-only folder stays writable")
def test_a_log_in_a_read_only_folder_is_refused_before_training(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        message = refused(folder / "run.jsonl")
    finally:
        folder.chmod(0o755)
    assert "a file path nasbook can write" in message and "Permission denied" in message


class HeaderWithAnObject(ToyEvaluator):
    def run_header(self):
        return {**super().run_header(), "notes": {"made by": object()}}


def test_a_header_json_cannot_hold_is_refused_before_training(tmp_path):
    log = tmp_path / "run.jsonl"
    toy = HeaderWithAnObject()
    toy.train = lambda *a: pytest.fail("trained before the header was checked")
    with pytest.raises(NasbookError) as caught:
        run(log, evaluator=toy)
    message = str(caught.value)
    assert message.startswith("log header['notes']['made by']=<object object at ")
    assert "is not allowed; a value JSON can store (a number, a string" in message
    assert not log.exists()


class NumpyExtras(ToyEvaluator):
    def train(self, arch, seed):
        trial = super().train(arch, seed)
        trial.extras = {"latency": np.float32(0.5), "rank": np.int64(3), "shape": np.array([2, 3]),
                        np.int64(7): "a numpy key"}
        return trial


def test_numpy_values_land_in_the_log_as_plain_json_numbers(tmp_path):
    log = tmp_path / "run.jsonl"
    run(log, budget=2, evaluator=NumpyExtras())
    record = json.loads(log.read_text().splitlines()[1])
    assert record["extras"] == {"latency": 0.5, "rank": 3, "shape": [2, 3], "7": "a numpy key"}
    arch = {**ToyEvaluator().optimum, "num_hidden_layers": np.int64(2), "hidden_layer_size": np.int32(64)}
    writer = RunLog(tmp_path / "direct.jsonl")
    writer.start({"budget": np.int64(1)})
    writer.append(Trial(arch=arch, val_loss=np.float64(0.25)))
    lines = (tmp_path / "direct.jsonl").read_text().splitlines()
    assert '"budget": 1}' in lines[0] and '"num_hidden_layers": 2, "hidden_layer_size": 64' in lines[1]
    assert '"val_loss": 0.25,' in lines[1]


# -- paths -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["run.jsonl/", "newfolder/"])
def test_a_path_ending_in_a_slash_names_a_folder_and_is_refused(tmp_path, name):
    given = str(tmp_path) + "/" + name
    assert refused(given) == f"log={given!r} is not allowed; a file path, not a directory (e.g. 'run.jsonl')"
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_the_empty_path_is_refused():
    assert refused("") == "log='' is not allowed; a file path (str or pathlib.Path) or None"


def test_a_log_in_a_folder_that_does_not_exist_yet_is_created(tmp_path):
    log = tmp_path / "new" / "deeper" / "run.jsonl"
    assert run(log).evaluations == 4 and len(read_log(log)[1]) == 4


def test_a_folder_where_the_lock_file_goes_is_refused_by_name(tmp_path):
    (tmp_path / "run.jsonl.lock").mkdir()
    assert refused(tmp_path / "run.jsonl") == (
        f"log={str(tmp_path / 'run.jsonl')!r} is not allowed; a file path nasbook can write (its lock file "
        f"run.jsonl.lock cannot be opened: Is a directory)")


def test_resuming_a_log_of_another_space_names_the_field_and_keeps_the_log(tmp_path):
    log = tmp_path / "run.jsonl"
    small = {"num_hidden_layers": [1, 2], "hidden_layer_size": [8, 16], "activation_function": ["ReLU"],
             "learning_rate": [0.01], "optimizer": ["Adam"], "dropout_rate": [0.0]}
    run(log, evaluator=ToyEvaluator(space=small), space=small)
    before = log.read_bytes()
    message = refused(log, resume=True)
    assert message.startswith(f"cannot resume from {log}: it was written with space=")
    assert "use the same settings, or a new log path" in message
    assert log.read_bytes() == before


def test_a_nul_character_or_a_name_too_long_is_refused_not_a_traceback(tmp_path):
    nul = str(tmp_path / "run\0.jsonl")
    assert refused(nul) == f"log={nul!r} is not allowed; a file path (this one holds a NUL character, which no file name can)"
    long = str(tmp_path / ("x" * 300))
    assert refused(long) == f"log={long!r} is not allowed; a file path nasbook can write (File name too long)"


def test_a_tilde_means_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    run("~/runs/run.jsonl")
    assert len(read_log(tmp_path / "runs" / "run.jsonl")[1]) == 4 and not (tmp_path / "~").exists()


def immutable(path: Path, on: bool) -> bool:
    """``chattr +i`` / ``-i`` (root on Linux, where the file system supports it); True if it worked."""
    return subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True).returncode == 0


def test_an_immutable_log_is_refused_before_training_and_kept(tmp_path):
    log = tmp_path / "run.jsonl"
    run(log, budget=4, stop=lambda: log.read_text().count("\n") > 2)
    before = log.read_bytes()
    try:
        if not immutable(log, True):
            pytest.skip("chattr +i is not available here (it needs root and a file system that supports it)")
        resuming = refused(log, resume=True)
        starting = refused(log)
    finally:
        immutable(log, False)
    assert resuming == f"log={str(log)!r} is not allowed; a run log nasbook can append to (Operation not permitted)"
    assert starting == f"log={str(log)!r} is not allowed; a file path nasbook can write (Operation not permitted)"
    assert log.read_bytes() == before and not (tmp_path / "run.jsonl.bak").exists()


def test_a_log_that_cannot_be_read_is_refused_with_a_message(tmp_path, monkeypatch):
    log = tmp_path / "run.jsonl"
    run(log)
    if ROOT_USER:  # root reads a 0o000 file anyway: make reading fail as it would for anyone else
        import builtins
        import nasbook.loop.runlog as runlog

        def unreadable(path, mode="r", *args, **kwargs):
            if "r" in mode and "+" not in mode and Path(path) == log:
                raise PermissionError(13, "Permission denied", str(path))
            return builtins.open(path, mode, *args, **kwargs)

        monkeypatch.setattr(runlog, "open", unreadable, raising=False)
    else:
        log.chmod(0o000)
    expected = f"log={str(log)!r} is not allowed; a run log nasbook can read (Permission denied)"
    try:
        assert refused(log) == refused(log, resume=True) == expected
        with pytest.raises(NasbookError, match=r"a run log nasbook can read \(Permission denied\)"):
            read_log(log)
    finally:
        log.chmod(0o644)
    assert not (tmp_path / "run.jsonl.bak").exists()
