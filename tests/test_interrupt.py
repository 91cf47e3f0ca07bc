"""Stop and Ctrl-C: an interrupted search keeps what finished, and its log stays valid."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nasbook import read_log, search
from nasbook.evaluation.toy import ToyEvaluator

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def ctrl_c_delivered():
    """Ctrl-C as a terminal delivers it, even when the suite runs as a background job (`pytest &`
    in a script starts with SIGINT ignored, and its children inherit that)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def ctrl_c_at(at: int) -> ToyEvaluator:
    """A toy evaluator that raises KeyboardInterrupt (what Ctrl-C does) at evaluation ``at``."""
    evaluator = ToyEvaluator()
    plain = evaluator.train

    def train(arch, seed):
        if evaluator.calls + 1 == at:
            raise KeyboardInterrupt
        return plain(arch, seed)

    evaluator.train = train
    return evaluator


def test_stop_event_returns_the_partial_result(tmp_path):
    stop = threading.Event()
    log = tmp_path / "run.jsonl"

    def callback(trial, strategy):
        if trial.step == 2:
            stop.set()  # what the Stop button does

    result = search(budget=10, seed=0, evaluator=ToyEvaluator(), log=log, stop=stop,
                    callback=callback, progress=False)
    assert result.interrupted and result.evaluations == 3
    assert result.best is not None and result.summary()["interrupted"] is True
    header, trials, warnings = read_log(log)
    assert header["budget"] == 10 and [t.arch for t in trials] == [t.arch for t in result.trials]
    assert warnings == []


def test_stop_function_is_honoured():
    calls = []
    result = search(budget=10, seed=0, evaluator=ToyEvaluator(), progress=False,
                    callback=lambda t, s: calls.append(t), stop=lambda: len(calls) >= 4)
    assert result.interrupted and result.evaluations == 4


def test_a_finished_search_is_not_interrupted():
    result = search(budget=5, seed=0, evaluator=ToyEvaluator(), progress=False)
    assert not result.interrupted and result.evaluations == 5


def test_keyboard_interrupt_returns_the_partial_result_and_resumes(tmp_path):
    log = tmp_path / "run.jsonl"
    full = search(budget=8, seed=2, evaluator=ToyEvaluator(), progress=False)
    part = search(budget=8, seed=2, evaluator=ctrl_c_at(4), log=log, progress=False)
    assert part.interrupted and part.evaluations == 3
    _, logged, warnings = read_log(log)
    assert len(logged) == 3 and warnings == []
    resumed = search(budget=8, seed=2, evaluator=ToyEvaluator(), log=log, resume=True, progress=False)
    assert [t.arch for t in resumed.trials] == [t.arch for t in full.trials]
    assert resumed.best_val_loss == full.best_val_loss


def test_cli_ctrl_c_prints_the_partial_summary_and_exits_130(tmp_path):
    log = tmp_path / "run.jsonl"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "nasbook", "search", "--protocol", "seed", "--budget", "50",
                             "--log", str(log)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # see below
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and log.read_text().count("\n") >= 3:  # header + 2 complete trials
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)  # (a suite started in the background would pass Ctrl-C on ignored)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    _, logged, _ = read_log(log)
    assert 2 <= len(logged) < 50
    assert f"random/default: {len(logged)} evaluations" in out  # the partial summary
    assert "best validation loss:" in out and "interrupted" in out
    assert all(json.loads(line) for line in log.read_text().splitlines())


def test_ctrl_c_waits_until_the_trial_is_both_logged_and_recorded():
    from nasbook.loop.runlog import no_interrupt

    done = []
    try:
        with no_interrupt():
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of the bookkeeping
            time.sleep(0.05)
            done.append("logged and recorded")
    except KeyboardInterrupt:
        done.append("interrupted afterwards")
    assert done == ["logged and recorded", "interrupted afterwards"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def test_no_interrupt_puts_the_previous_handler_back_whatever_ends_the_block():
    from nasbook.loop.runlog import no_interrupt

    before = signal.getsignal(signal.SIGINT)
    for error in (ValueError, KeyboardInterrupt):
        try:
            with no_interrupt():
                raise error
        except error:
            pass
        assert signal.getsignal(signal.SIGINT) is before
    try:
        with no_interrupt():
            signal.raise_signal(signal.SIGINT)  # Ctrl-C inside: held back, then delivered
        raise AssertionError("the held Ctrl-C was not delivered")
    except KeyboardInterrupt:
        pass
    assert signal.getsignal(signal.SIGINT) is before


def test_a_checker_time_out_leaves_no_signal_handler_behind():
    import nasbook
    from nasbook.assignments import mistakes

    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGALRM)
    report = nasbook.check_strategy(mistakes.NeverStops, benchmark="toy", time_limit=2, verbose=False)
    assert report.failed == ["proposals"]
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGALRM)) == before
