"""Grade from the shell: ``python -m nasbook.assignments FILE.py:ClassName [--json]``.

    python -m nasbook.assignments submissions/alice.py:MyStrategy
    python -m nasbook.assignments submissions/alice.py:MyStrategy --params '{"patience": 5}' --json
    python -m nasbook.assignments submissions/alice.py:Mine --task            # + the graded task
    python -m nasbook.assignments submissions/alice.py:Mine --beat random,local --task-budget 50

Prints the checker's report (or, with ``--json``, the report as one JSON object on the last
line) and exits 0 when every check passed, 1 when one failed, 2 when the file or class
cannot be loaded. The file is *run* to load the class: only grade code you would run yourself.
"""
from __future__ import annotations

import argparse
import json
import sys
import traceback
from typing import Sequence

from nasbook.assignments.checker import check_strategy
from nasbook.assignments.task import DEFAULT_OPPONENTS, Task
from nasbook.strategies.loading import load_class  # shared with `nasbook search --strategy FILE.py:Class`
from nasbook.validation import NasbookError, fail


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nasbook.assignments",
                                     description="Check a student's search strategy and print the report.")
    parser.add_argument("target", help="FILE.py:ClassName or package.module:ClassName")
    parser.add_argument("--params", default="{}", help="constructor arguments as JSON, e.g. '{\"patience\": 5}'")
    parser.add_argument("--benchmark", default=None, choices=("toy", "table"), help="default: table if installed")
    parser.add_argument("--seeds", type=int, default=30, help="seeds of the performance check")
    parser.add_argument("--budget", type=int, default=100, help="evaluations per search in the performance check")
    parser.add_argument("--time-limit", type=float, default=60.0,
                        help="seconds one call of the strategy (ask, tell, ...) may take")
    parser.add_argument("--task", action="store_true", help="add the graded task (default: beat random and "
                        "evolution/default at budget 100 over 50 seeds on the table)")
    parser.add_argument("--beat", default=None, help="the task's opponents, comma-separated (implies --task)")
    parser.add_argument("--task-budget", type=int, default=100, help="evaluations per search in the task")
    parser.add_argument("--task-seeds", type=int, default=50, help="seeds of the task")
    parser.add_argument("--json", action="store_true", help="print the report as JSON on the last line")
    args = parser.parse_args(argv)
    try:
        params = json.loads(args.params)
        if not isinstance(params, dict):
            raise fail("--params", args.params, "a JSON object, e.g. '{\"patience\": 5}'")
        task = None
        if args.task or args.beat:
            opponents = tuple(n.strip() for n in args.beat.split(",")) if args.beat else DEFAULT_OPPONENTS
            task = Task(opponents=opponents, budget=args.task_budget, seeds=args.task_seeds)
        cls = load_class(args.target)
        report = check_strategy(cls, params=params, benchmark=args.benchmark, seeds=args.seeds,
                                budget=args.budget, time_limit=args.time_limit, task=task, verbose=not args.json)
    except (NasbookError, json.JSONDecodeError) as error:
        print(f"nasbook.assignments: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - the submission itself failed to load
        print(f"nasbook.assignments: error: loading {args.target} raised "
              f"{traceback.format_exception_only(type(error), error)[-1].strip()}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict()))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
