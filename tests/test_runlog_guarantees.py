"""What the run log guarantees: one writer, nothing destroyed, every check before training.

Each test names a case of docs/reliability.md's "What is guaranteed" table. Nothing here
waits on a clock: a search kept alive is held by an Event the test controls, and anything
that could hang (a FIFO) runs in a subprocess whose timeout only a regression can reach.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from nasbook import NasbookError, read_log, search
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.loop.lock import LogLock
from nasbook.loop.runlog import RunLog
from nasbook.trial import Trial

ROOT = Path(__file__).resolve().parents[1]
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0  # root may write where permissions say no
NEVER = 600  # seconds: a wait only a broken (hanging) run could reach


def counting_toy() -> ToyEvaluator:
    """A toy evaluator that counts its trainings in ``.trained`` (none may happen before a refusal)."""
    toy = ToyEvaluator()
    toy.trained, plain = 0, toy.train

    def train(arch, seed):
        toy.trained += 1
        return plain(arch, seed)

    toy.train = train
    return toy


def run(log, budget=4, evaluator=None, **kwargs):
    return search(budget=budget, seed=0, evaluator=evaluator or ToyEvaluator(), log=log, progress=False, **kwargs)


def refused(log, **kwargs) -> str:
    """Run a search on ``log`` that must be refused before any training; return the message."""
    toy = counting_toy()
    with pytest.raises(NasbookError) as caught:
        run(log, evaluator=toy, **kwargs)
    assert toy.trained == 0, "trained before refusing"
    return str(caught.value)


def nasbook_process(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nasbook", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "TQDM_DISABLE": "1"}, **kwargs)


# -- one run log, one writer -------------------------------------------------------------------
TRAIN_FAILS = ("import sys; from nasbook.evaluation.training import Evaluator; "
               "Evaluator.train = lambda *a: sys.exit(99); "  # training at all would exit 99
               "from nasbook.cli import main; sys.exit(main(sys.argv[1:]))")


def test_a_second_process_on_a_held_log_is_refused_before_it_trains(tmp_path):
    log = tmp_path / "run.jsonl"
    started, release = threading.Event(), threading.Event()
    toy = ToyEvaluator()
    plain = toy.train

    def held(arch, seed):  # the first search waits, mid-run, until the test lets it go
        if toy.calls == 2:
            started.set()
            assert release.wait(NEVER)
        return plain(arch, seed)

    toy.train = held
    first: dict = {}
    thread = threading.Thread(target=lambda: first.update(result=run(log, budget=6, evaluator=toy)))
    thread.start()
    try:
        assert started.wait(NEVER)
        second = subprocess.run([sys.executable, "-c", TRAIN_FAILS, "search", "--budget", "3", "--protocol",
                                 "article", "--log", str(log)], cwd=ROOT, capture_output=True, text=True,
                                timeout=NEVER)
        also = subprocess.run([sys.executable, "-c", TRAIN_FAILS, "search", "--budget", "3", "--protocol",
                               "article", "--log", str(log), "--resume"], cwd=ROOT, capture_output=True,
                              text=True, timeout=NEVER)
    finally:
        release.set()
        thread.join(NEVER)
    for refusal in (second, also):
        assert refusal.returncode == 2, refusal.stderr  # 99 would mean it trained
        lines = refusal.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in refusal.stderr
        assert f"log={str(log)!r} is being written by another search (pid {os.getpid()} on " in lines[0]
        assert "a run log has one writer" in lines[0]
    assert not (tmp_path / "run.jsonl.bak").exists()  # the second did not move the first's log aside
    header, trials, warnings = read_log(log)
    assert header["budget"] == 6 and warnings == []
    assert [t.arch for t in trials] == [t.arch for t in first["result"].trials]
    again = run(log, budget=6, resume=True)  # intact and resumable
    assert again.resumed == 6 and again.best_val_loss == first["result"].best_val_loss


def test_a_search_on_a_log_held_in_the_same_process_is_refused(tmp_path):
    log = tmp_path / "run.jsonl"
    messages = []

    def callback(trial, strategy):
        if trial.step == 1:
            messages.append(refused(log))
            messages.append(refused(log, resume=True))

    result = run(log, callback=callback)
    assert len(messages) == 2 and all("is being written by another search (pid" in m for m in messages)
    assert len(read_log(log)[1]) == result.evaluations == 4


def test_the_lock_is_released_when_a_search_ends_raises_or_is_interrupted(tmp_path):
    log = tmp_path / "run.jsonl"
    run(log)
    with LogLock(log):  # ended: free
        pass

    def boom(trial, strategy):
        raise ValueError("callback bug")

    with pytest.raises(ValueError):
        run(log, callback=boom)
    with LogLock(log):  # raised: free
        pass

    toy = ToyEvaluator()
    plain = toy.train
    toy.train = lambda arch, seed: (_ for _ in ()).throw(KeyboardInterrupt) if toy.calls == 2 else plain(arch, seed)
    assert run(log, evaluator=toy).interrupted  # Ctrl-C
    assert run(log, resume=True).evaluations == 4  # a second search afterwards succeeds

    (tmp_path / "text.txt").write_text("notes\n")
    refused(tmp_path / "text.txt")  # refused while opening: free too
    with LogLock(tmp_path / "text.txt"):
        pass


def _hold_until(event) -> None:  # a forked child that outlives its parent's search
    assert event.wait(NEVER)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_does_not_keep_the_lock_alive(tmp_path):
    import multiprocessing

    fork = multiprocessing.get_context("fork")
    lock, done = LogLock(tmp_path / "run.jsonl"), fork.Event()
    lock.acquire()
    child = fork.Process(target=_hold_until, args=(done,))
    child.start()  # forked while the lock is held, like a pool's worker mid-search
    try:
        lock.release()
        with LogLock(tmp_path / "run.jsonl"):  # free although the child still lives
            assert child.is_alive()
    finally:
        done.set()
        child.join(NEVER)
    assert child.exitcode == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_second_search_after_one_on_a_fork_pool_is_not_refused(tmp_path):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from nasbook import Evaluator

    log = tmp_path / "run.jsonl"
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:  # workers fork mid-search
        first = search(budget=2, seed=0, evaluator=Evaluator(protocol="article", device="cpu"), log=log,
                       progress=False, executor=pool)
        again = search(budget=2, seed=0, evaluator=Evaluator(protocol="article", device="cpu"), log=log,
                       progress=False, executor=pool, resume=True)
    assert again.resumed == 2 and again.best_val_loss == first.best_val_loss


def test_a_log_reached_through_a_symlink_shares_the_lock_of_its_target(tmp_path):
    log, link = tmp_path / "run.jsonl", tmp_path / "link.jsonl"
    run(log)
    link.symlink_to(log)
    with LogLock(log):
        assert "is being written by another search" in refused(link, resume=True)
    assert run(link, resume=True).resumed == 4  # resumed through the link: the target's trials
    note = run(link).notes[0]  # a new run through the link: the target is moved aside, the link kept
    assert f"{log} held an earlier run; it was moved to {log}.bak" in note
    assert link.is_symlink() and len(read_log(f"{log}.bak")[1]) == 4


# -- nothing that is not a run log is destroyed ------------------------------------------------
NOT_RUN_LOGS = {
    "one-line text": b"my notes\n",
    "text without newline": b"my notes",
    "binary": bytes(range(256)) * 40,
    "one huge line": b"x" * (2 << 20),  # 2 MB, no newline
    "a huge line that starts like a header": b'{"kind": "header"' + b" " * (2 << 20),
    "a JSON list": b"[1, 2, 3]\n",
}


@pytest.mark.parametrize("content", NOT_RUN_LOGS.values(), ids=NOT_RUN_LOGS.keys())
@pytest.mark.parametrize("resume", [False, True])
def test_a_file_that_is_not_a_run_log_is_refused_and_left_byte_for_byte(tmp_path, content, resume):
    log = tmp_path / "mine.txt"
    log.write_bytes(content)
    message = refused(log, resume=resume)
    assert f"{log}" in message and ("is not a run-log header" in message or "left as it is" in message)
    assert log.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt", "mine.txt.lock"]  # no backup, no copy


def test_earlier_run_logs_are_moved_aside_and_no_backup_is_replaced(tmp_path, capsys):
    log = tmp_path / "run.jsonl"
    first = run(log, budget=3)
    second = run(log, budget=4)
    third = run(log, budget=5)
    assert second.notes == [f"{log} held an earlier run; it was moved to {log}.bak (to continue a run instead, "
                            f"pass resume=True / --resume)"]
    assert third.notes[0].startswith(f"{log} held an earlier run; it was moved to {log}.bak2 ")
    assert "moved to" in capsys.readouterr().err
    assert [len(read_log(p)[1]) for p in (f"{log}.bak", f"{log}.bak2", log)] == [3, 4, 5]
    assert read_log(f"{log}.bak")[1][0].arch == first.trials[0].arch


def test_a_fifo_is_refused_at_once_and_never_read(tmp_path):
    fifo = tmp_path / "run.jsonl"
    os.mkfifo(fifo)
    script = (f"from nasbook import search, read_log, NasbookError\n"
              f"from nasbook.evaluation.toy import ToyEvaluator\n"
              f"for call in (lambda: search(evaluator=ToyEvaluator(), log={str(fifo)!r}, progress=False),\n"
              f"             lambda: search(evaluator=ToyEvaluator(), log={str(fifo)!r}, resume=True, progress=False),\n"
              f"             lambda: read_log({str(fifo)!r})):\n"
              f"    try:\n        call()\n    except NasbookError as err:\n        print(err)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=NEVER)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and len(lines) == 3, done.stderr
    assert lines[0] == lines[1] == f"log={str(fifo)!r} is not allowed; a regular file (this is a FIFO, a device or a socket)"
    assert lines[2] == (f"log={str(fifo)!r} is not allowed; the path of an existing run log (.jsonl) "
                        f"(this is a FIFO, a device or a socket)")
    cli = subprocess.run([sys.executable, "-m", "nasbook", "search", "--log", str(fifo)], cwd=ROOT,
                         capture_output=True, text=True, timeout=NEVER)
    assert cli.returncode == 2 and "a regular file (this is a FIFO" in cli.stderr and "Traceback" not in cli.stderr


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
