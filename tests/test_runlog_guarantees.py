"""What the run log guarantees: one writer, and nothing that is not a run log destroyed.

Each test names a case of docs/reliability.md's "What is guaranteed" table (the paths and
the checks made before training are in test_log_paths.py). Nothing here waits on a clock: a
search kept alive is held by an Event the test controls, and anything that could hang (a
FIFO) runs in a subprocess whose timeout only a regression can reach.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from nasbook import read_log, search
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.loop.lock import LogLock
from runlog_helpers import NEVER, ROOT, refused, run


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
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]  # no backup, no copy, not even a .lock


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
