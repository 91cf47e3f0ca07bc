"""The command line: the --json contract, human output, and one-line errors."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nasbook.cli import main

ROOT = Path(__file__).resolve().parents[1]


def nasbook(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "nasbook", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_search_json_contract(tmp_path):
    log = tmp_path / "cli.jsonl"
    run = nasbook("search", "--strategy", "random", "--budget", "3", "--seed", "0", "--protocol", "seed",
                  "--device", "cpu", "--log", str(log), "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["strategy"] == "random" and summary["evaluations"] == 3
    assert set(summary["best_arch"]) == {"num_hidden_layers", "hidden_layer_size", "activation_function",
                                         "learning_rate", "optimizer", "dropout_rate"}
    assert summary["best_val_loss"] > 0 and summary["seconds"] > 0
    assert len(log.read_text().splitlines()) == 4
    again = nasbook("search", "--budget", "3", "--protocol", "seed", "--device", "cpu", "--json")
    assert json.loads(again.stdout.strip().splitlines()[-1])["best_val_loss"] == summary["best_val_loss"]


def test_human_output_says_device_and_best():
    run = nasbook("search", "--budget", "2", "--protocol", "seed", "--device", "cpu")
    assert run.returncode == 0
    assert "Using the CPU" in run.stdout and "best validation loss" in run.stdout


@pytest.mark.parametrize("args, words", [
    (["search", "--budget", "0"], ["budget=0", "from 1 to 10000000"]),
    (["search", "--budget", "ten"], ["--budget", "'ten'"]),
    (["search", "--seed", "-3"], ["seed=-3", "from 0 to 4294967295"]),
    (["search", "--strategy", "grid"], ["--strategy", "'grid'"]),
    (["search", "--device", "tpu"], ["device='tpu'", "'cpu'"]),
    (["search", "--task", "mnist"], ["--task", "'mnist'"]),
    (["search", "--protocol", "slow"], ["--protocol", "'slow'"]),
    (["fly"], ["'fly'"]),
    ([], ["command"]),
])
def test_bad_arguments_exit_nonzero_with_one_line(args, words, capsys):
    with pytest.raises(SystemExit) as stop:  # argparse exits; nasbook's own checks return 2
        raise SystemExit(main(args))
    assert stop.value.code == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    for word in words:
        assert word in lines[0]


def test_a_bad_argument_in_a_real_process_prints_no_traceback():
    run = nasbook("search", "--budget", "-1", "--device", "cpu")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == ["nasbook: error: budget=-1 is not allowed; an integer from 1 to 10000000"]
