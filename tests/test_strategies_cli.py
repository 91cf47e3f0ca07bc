"""`nasbook search --strategy rl|evolution|darts --mode article|default` keeps random search's --json contract."""
import json

import pytest
import torch

from nasbook.cli import main


@pytest.mark.parametrize("strategy, mode", [("rl", "seed"), ("evolution", "default"), ("darts", "article"),
                                            ("darts", "default")])
def test_json_contract(capsys, strategy, mode):
    code = main(["search", "--strategy", strategy, "--mode", mode, "--budget", "3", "--seed", "1",
                 "--task", "diabetes", "--protocol", "seed", "--device", "cpu", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    expected_mode = {"seed": "article"}.get(mode, mode)  # "seed" is the old name, still accepted
    assert summary["strategy"] == strategy and summary["mode"] == expected_mode and summary["budget"] == 3
    assert summary["evaluations"] + summary["charged_evaluations"] <= 3
    assert summary["best_val_loss"] is None or summary["best_val_loss"] > 0
    assert summary["total_steps"] > 0 and summary["seconds"] > 0
    if strategy == "darts":  # the supernet's cost is charged against the budget
        assert summary["charged_evaluations"] > 0 and summary["evaluations"] >= 1

