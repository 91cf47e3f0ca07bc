"""Resume: a search continued from its run log ends exactly as an uninterrupted one."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import nasbook
from nasbook import NasbookError, read_log, search
from nasbook.strategies import RandomSearch
from nasbook.evaluation.toy import ToyEvaluator

ROOT = Path(__file__).resolve().parents[1]
TINY = {"num_hidden_layers": [1], "hidden_layer_size": [8], "learning_rate": [0.01, 0.001],
        "optimizer": ["Adam"]}  # two architectures: repeats hit the cache


def same_trials(a, b) -> None:
    """Two trial lists describe the same search (timings aside)."""
    assert [t.arch for t in a] == [t.arch for t in b]
    assert [t.val_loss for t in a] == [t.val_loss for t in b]
    assert [t.status for t in a] == [t.status for t in b]
    assert [t.cached for t in a] == [t.cached for t in b]
    assert [t.step for t in a] == list(range(len(a)))


def stop_after(n: int):
    """A (callback, stop) pair that stops a search after ``n`` trials."""
    seen: list[int] = []
    return (lambda trial, strategy: seen.append(1)), (lambda: len(seen) >= n)


def run(strategy="random", log=None, **kw):
    kw.setdefault("evaluator", ToyEvaluator())
    return search(strategy, budget=kw.pop("budget", 12), seed=kw.pop("seed", 3), progress=False,
                  log=log, **kw)


@pytest.mark.parametrize("cut", [0, 1, 5, 11])
def test_resume_after_stop_equals_uninterrupted(tmp_path, cut):
    log = tmp_path / "run.jsonl"
    full = run()
    callback, stop = stop_after(cut)
    part = run(log=log, callback=callback, stop=stop)
    assert part.interrupted and len(part.trials) == cut
    resumed = run(log=log, resume=True)
    same_trials(resumed.trials, full.trials)
    assert resumed.best_val_loss == full.best_val_loss and resumed.resumed == cut
    _, logged, warnings = read_log(log)
    same_trials(logged, full.trials)  # nothing lost, nothing written twice
    assert warnings == []


def test_resume_mid_batch(tmp_path):
    """A batch strategy cut in the middle of a batch resumes inside that batch."""
    log = tmp_path / "run.jsonl"
    full = run(RandomSearch(batch_size=4))
    callback, stop = stop_after(6)
    run(RandomSearch(batch_size=4), log=log, callback=callback, stop=stop)
    resumed = run(RandomSearch(batch_size=4), log=log, resume=True)
    same_trials(resumed.trials, full.trials)
    assert resumed.resumed == 6


def test_resume_mid_batch_with_real_training_is_bit_exact(tmp_path):
    """A batch cut in the middle is retrained whole: same-shape networks of a batch train
    together, and float rounding depends on that company (a 3e-8 difference otherwise).
    The interrupted run trained on two worker processes, the others in this one."""
    space = {"num_hidden_layers": [1, 2], "hidden_layer_size": [16, 32], "learning_rate": [0.1, 0.01, 0.001],
             "optimizer": ["Adam", "SGD"], "dropout_rate": [0.0, 0.2]}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    kw = dict(mode="seed", space=space, protocol="seed", budget=13, device="cpu", evaluator=None)
    full = run("evolution", **kw)  # generation 1 is one batch of 10
    callback, stop = stop_after(3)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"),  # and on workers
                             initializer=torch.set_num_threads, initargs=(1,)) as pool:
        run("evolution", log=tmp_path / "run.jsonl", callback=callback, stop=stop, executor=pool, **kw)
    resumed = run("evolution", log=tmp_path / "run.jsonl", resume=True, **kw)
    same_trials(resumed.trials, full.trials)  # val_loss compared with ==


def test_replayed_trials_refill_the_cache(tmp_path):
    """A later repeat of a replayed architecture is a cache hit, as in the uninterrupted run."""
    log = tmp_path / "run.jsonl"
    kw = dict(space=TINY, protocol="seed", budget=5, evaluator=None)
    full = run(**kw)
    assert sum(t.cached for t in full.trials) == 3
    callback, stop = stop_after(2)
    run(log=log, callback=callback, stop=stop, **kw)
    resumed = run(log=log, resume=True, **kw)
    same_trials(resumed.trials, full.trials)


def test_half_written_last_line_is_reported_and_cut(tmp_path, capsys):
    log = tmp_path / "run.jsonl"
    full = run()
    callback, stop = stop_after(4)
    run(log=log, callback=callback, stop=stop)
    with open(log, "a") as f:
        f.write('{"kind": "trial", "arch": {"num_hidden_la')
    resumed = run(log=log, resume=True)
    same_trials(resumed.trials, full.trials)
    assert any("line 6 is half-written" in note for note in resumed.notes)
    assert any("removed before appending" in note for note in resumed.notes)
    assert "line 6 is half-written" in capsys.readouterr().err
    _, logged, warnings = read_log(log)
    assert warnings == [] and len(logged) == 12
    assert all(json.loads(line) for line in log.read_text().splitlines())


def test_complete_last_line_without_newline_is_kept(tmp_path):
    log = tmp_path / "run.jsonl"
    callback, stop = stop_after(4)
    run(log=log, callback=callback, stop=stop)
    log.write_bytes(log.read_bytes().rstrip(b"\n"))
    resumed = run(log=log, resume=True)
    assert resumed.resumed == 4 and len(read_log(log)[1]) == 12


def test_corrupt_line_in_the_middle_is_refused(tmp_path):
    log = tmp_path / "run.jsonl"
    run(log=log, budget=4)
    lines = log.read_text().splitlines()
    lines[2] = lines[2][:40]
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(NasbookError, match=r"line 3 is not a valid run-log record.*damaged"):
        run(log=log, budget=4, resume=True)


@pytest.mark.parametrize("change, field", [
    (dict(seed=4), "seed"), (dict(budget=13), "budget"), (dict(strategy=RandomSearch(batch_size=2)), "params"),
    (dict(mode="seed"), "mode"), (dict(space={**nasbook.ARTICLE_SPACE, "num_hidden_layers": [1, 2]}), "space"),
    (dict(evaluator=None, protocol="seed"), "task"),
])
def test_log_from_another_run_is_refused(tmp_path, change, field):
    log = tmp_path / "run.jsonl"
    callback, stop = stop_after(2)
    run(log=log, callback=callback, stop=stop)
    kw = dict(change)
    strategy = kw.pop("strategy", "random")
    before = log.read_bytes()
    with pytest.raises(NasbookError, match=rf"cannot resume from .*run.jsonl: it was written with {field}="):
        run(strategy, log=log, resume=True, **kw)
    assert log.read_bytes() == before  # a refused resume leaves the log alone


def test_divergence_is_refused(tmp_path):
    log = tmp_path / "run.jsonl"
    callback, stop = stop_after(3)
    run(log=log, callback=callback, stop=stop)
    lines = log.read_text().splitlines()
    record = json.loads(lines[2])
    record["arch"]["num_hidden_layers"] = 5 if record["arch"]["num_hidden_layers"] != 5 else 4
    lines[2] = json.dumps(record)
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(NasbookError, match=r"logged trial 1 is .*but the strategy now proposes.*not deterministic"):
        run(log=log, resume=True)


def test_resume_a_finished_run_evaluates_nothing(tmp_path):
    log = tmp_path / "run.jsonl"
    full = run(log=log)
    before = log.read_bytes()
    evaluator = ToyEvaluator()
    again = run(log=log, resume=True, evaluator=evaluator)
    same_trials(again.trials, full.trials)
    assert again.resumed == 12 and evaluator.calls == 0 and log.read_bytes() == before


def test_resume_without_a_log_starts_it(tmp_path):
    log = tmp_path / "new.jsonl"
    result = run(log=log, resume=True)
    assert result.resumed == 0 and len(read_log(log)[1]) == 12


def test_resume_needs_a_log():
    with pytest.raises(NasbookError, match=r"resume=True is not allowed; .*log="):
        run(resume=True)


def cli(*args, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"}
    return [sys.executable, "-m", "nasbook", "search", "--protocol", "seed", "--budget", "8", "--seed", "1",
            "--device", "cpu", "--json", *args], dict(cwd=ROOT, env=env, capture_output=True, text=True, **kw)


@pytest.mark.slow
def test_cli_resume_after_sigkill(tmp_path):
    """Acceptance: SIGKILL a real CLI search, add a half line, resume, compare."""
    ref_log, log = tmp_path / "ref.jsonl", tmp_path / "run.jsonl"
    command, kw = cli("--log", str(ref_log))
    reference = subprocess.run(command, timeout=300, **kw)
    assert reference.returncode == 0, reference.stderr

    command, kw = cli("--log", str(log))
    kw.pop("capture_output")
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and log.read_text().count("\n") >= 2:  # header + 1 trial, both complete
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed = len(read_log(log)[1])
    assert 1 <= killed < 8, "the search was not cut off mid-run"
    with open(log, "a") as f:
        f.write('{"kind": "trial", "strategy": "random", "arch": {"num_hid')

    command, kw = cli("--log", str(log), "--resume")
    resumed = subprocess.run(command, timeout=300, **kw)
    assert resumed.returncode == 0, resumed.stderr
    assert "half-written" in resumed.stderr and "Traceback" not in resumed.stderr
    summary, expected = json.loads(resumed.stdout.splitlines()[-1]), json.loads(reference.stdout.splitlines()[-1])
    assert summary["resumed"] == killed
    for key in ("best_arch", "best_val_loss", "evaluations", "cache_hits", "failures"):
        assert summary[key] == expected[key], key
    same_trials(read_log(log)[1], read_log(ref_log)[1])


def test_resume_on_the_tabular_benchmark_keeps_cache_and_clock(tmp_path):
    """The lookup evaluator remembers replayed trials: repeats stay cached, the clock goes on."""
    from nasbook.tabular import BENCH_PROTOCOL, BenchTable, TabularEvaluator, build_table
    from nasbook.tabular.build import metadata, save_table

    space = nasbook.SearchSpace({"hidden_layer_size": [8, 16], "learning_rate": [0.1, 0.01]})
    save_table(str(tmp_path / "t.npz"), build_table(space, seeds=(0, 1)),
               metadata(space, "synthetic", BENCH_PROTOCOL, (0, 1)))
    table = BenchTable.load(tmp_path / "t.npz")
    log = tmp_path / "run.jsonl"
    kw = dict(budget=10, seed=2, progress=False, space=space)
    full = search("random", evaluator=TabularEvaluator(table), **kw)
    assert full.cache_hits > 0
    seen = []
    search("random", evaluator=TabularEvaluator(table), log=log, callback=lambda t, s: seen.append(t),
           stop=lambda: len(seen) >= 3, **kw)
    resumed = search("random", evaluator=TabularEvaluator(table), log=log, resume=True, **kw)
    same_trials(resumed.trials, full.trials)
    assert [t.extras["simulated_clock"] for t in resumed.trials] == \
        [t.extras["simulated_clock"] for t in full.trials]


def test_cli_resume_of_a_finished_run_just_reports_it(tmp_path, capsys):
    from nasbook.cli import main

    log = tmp_path / "run.jsonl"
    args = ["search", "--protocol", "seed", "--budget", "2", "--device", "cpu", "--log", str(log)]
    assert main(args) == 0
    before, first = log.read_bytes(), capsys.readouterr().out
    assert main(args + ["--resume"]) == 0
    out = capsys.readouterr().out
    assert "resumed: 2 trials replayed from the log; the run was already complete" in out
    assert log.read_bytes() == before
    best = [line for line in first.splitlines() if line.startswith("best validation loss")]
    assert best and best[0] in out  # the same summary


def test_a_log_written_on_other_data_is_refused(tmp_path):
    """Same task name, same settings, different numbers: refused (a notebook's data changed)."""
    import numpy as np

    from nasbook import Evaluator, Task

    def task(shift):
        X = np.linspace(-1, 1, 20)[:, None]
        return Task.from_arrays("mine", X[:15], X[:15, 0] + shift, X[15:], X[15:, 0] + shift)

    log = tmp_path / "run.jsonl"
    kw = dict(space=TINY, budget=2)  # the protocol is the evaluator's
    search(evaluator=Evaluator(task(0.0), "seed", "cpu"), log=log, progress=False, **kw)
    with pytest.raises(NasbookError, match=r"it was written with task_data='[0-9a-f]{16}', this run has task_data="):
        search(evaluator=Evaluator(task(0.5), "seed", "cpu"), log=log, resume=True, progress=False, **kw)
    again = search(evaluator=Evaluator(task(0.0), "seed", "cpu"), log=log, resume=True, progress=False, **kw)
    assert again.resumed == 2


def test_a_new_search_on_an_old_log_keeps_the_old_one_as_bak(tmp_path, capsys):
    log = tmp_path / "run.jsonl"
    first = run(log=log, budget=3)
    second = run(log=log, budget=4, seed=9)  # no resume: a new search on the same path
    backup = tmp_path / "run.jsonl.bak"
    assert [t.arch for t in read_log(backup)[1]] == [t.arch for t in first.trials]
    assert [t.arch for t in read_log(log)[1]] == [t.arch for t in second.trials]
    assert any("moved to" in note and "resume=True" in note for note in second.notes)
    assert "moved to" in capsys.readouterr().err


def test_a_log_written_with_the_protocol_called_seed_resumes_under_its_new_name(tmp_path):
    from nasbook.evaluation import Protocol

    short = Protocol("article", epochs=2, batch_size=None)  # the article's protocol, shortened
    log = tmp_path / "old.jsonl"
    full = search("random", protocol=short, budget=4, seed=1, log=log, progress=False, device="cpu")
    lines = log.read_text().splitlines()
    header = json.loads(lines[0])
    header["protocol"]["name"] = "seed"  # how nasbook 0.1 named it
    log.write_text("\n".join([json.dumps(header)] + lines[1:3]) + "\n")
    resumed = search("random", protocol=short, budget=4, seed=1, log=log, progress=False, device="cpu", resume=True)
    assert resumed.resumed == 2 and [t.val_loss for t in resumed.trials] == [t.val_loss for t in full.trials]


def test_a_log_that_hashed_the_test_split_too_resumes(tmp_path):
    """nasbook 0.2.0 fingerprinted a task's test split as well; a search never sees it, so a log
    written that way still belongs to this data (and other data is still refused)."""
    from nasbook import Evaluator, make_task

    task = make_task("diabetes")
    short = nasbook.evaluation.Protocol("article", epochs=2, batch_size=None)
    log = tmp_path / "old.jsonl"
    kw = dict(space=TINY, budget=4, seed=1, progress=False)
    full = search("random", evaluator=Evaluator(task, short, "cpu"), log=log, **kw)
    lines = log.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["task_data"] == task.fingerprint() != task.fingerprint(with_test=True)
    header["task_data"] = task.fingerprint(with_test=True)  # how 0.2.0 wrote it
    log.write_text("\n".join([json.dumps(header)] + lines[1:3]) + "\n")
    resumed = search("random", evaluator=Evaluator(task, short, "cpu"), log=log, resume=True, **kw)
    assert resumed.resumed == 2 and [t.val_loss for t in resumed.trials] == [t.val_loss for t in full.trials]
