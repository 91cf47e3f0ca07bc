"""The ``nasbook`` command line.

    nasbook search --strategy random|FILE.py:ClassName --budget 20 --seed 0 [--task synthetic]
                   [--protocol article|default] [--device auto] [--log FILE] [--json] [--workers N]

Human output is a progress bar and a summary; with ``--json`` the last line of stdout is
one JSON object. A bad argument prints one line to stderr and exits with status 2 —
never a traceback; a missing or unknown command answers with the list of commands and
what each does. Ctrl-C exits with status 130 (after the partial summary, JSON or not).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import nullcontext
from typing import Sequence

from nasbook.validation import NasbookError, check_int, fail


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump
        if "invalid choice" in message and commands_of(self):  # an unknown (sub)command
            message = f"{message.split(' (choose from')[0]}; the commands are {commands_of(self)}"
        self.exit(2, f"nasbook: error: {message}\n")


def commands_of(parser: argparse.ArgumentParser) -> str:
    """What ``parser``'s subcommands are and do, on one line ("" when it has none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return ", ".join(f"{a.dest} ({a.help})" for a in action._choices_actions)
    return ""


def missing_command(parser: argparse.ArgumentParser) -> NasbookError:
    """The one-line answer to a command given without its subcommand (`nasbook`, `nasbook bench`)."""
    return NasbookError(f"{parser.prog} needs a command: {commands_of(parser)}; "
                        f"'{parser.prog} COMMAND --help' shows its options")


def build_parser() -> argparse.ArgumentParser:
    from nasbook.evaluation.protocols import PROTOCOL_NAMES
    from nasbook.strategies import MODE_ALIASES, MODES, STRATEGIES
    from nasbook.tasks import TASKS

    from nasbook import __version__

    parser = _Parser(prog="nasbook", description="Neural Architecture Search you can read.")
    parser.add_argument("--version", action="version", version=f"nasbook {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    s = commands.add_parser("search", help="run a search on a built-in task")
    s.add_argument("--strategy", default="random",
                   help=f"one of {', '.join(sorted(STRATEGIES))}, or FILE.py:ClassName (your own Strategy subclass)")
    s.add_argument("--mode", default="default", choices=[*MODES, *MODE_ALIASES],
                   help="'article' = the article's version ('seed' is its old name), 'default' = the careful one")
    s.add_argument("--budget", type=int, default=20, help="number of evaluations")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--task", default="synthetic", choices=sorted(TASKS))
    s.add_argument("--protocol", default="default", choices=sorted(PROTOCOL_NAMES),
                   help="inner-loop training protocol ('seed' = old name of 'article')")
    s.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    s.add_argument("--log", default=None, help="write the run log (JSON lines) here")
    s.add_argument("--resume", action="store_true",
                   help="continue the search recorded in --log (after a crash or Ctrl-C)")
    s.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    s.add_argument("--workers", type=int, default=0,
                   help="train in N local processes (0 = the default rule: every usable core when a batch pays, see docs/fast.md; NASBOOK_WORKERS=1 keeps it in this process); results are the same")
    from nasbook.tabular.command import add_parser as add_bench_parser

    add_bench_parser(commands)
    return parser


def run_search(args: argparse.Namespace) -> int:
    from nasbook.evaluation.training import Evaluator
    from nasbook.evaluation.executors import MAX_WORKERS, local_pool
    from nasbook.loop.outer import search
    from nasbook.strategies import make_strategy

    if args.resume and not args.log:
        raise NasbookError("--resume needs --log FILE: the run log of the search to continue")
    workers = check_int("workers", args.workers, minimum=0, maximum=MAX_WORKERS)
    strategy = make_strategy(strategy_of(args.strategy), mode=args.mode,  # random: several proposals per ask
                             **({"batch_size": 4 * workers} if workers and args.strategy == "random" else {}))
    evaluator = Evaluator(task=args.task, protocol=args.protocol, device=args.device)
    if not args.json:
        print(evaluator.describe())
    with (local_pool(workers) if workers else nullcontext()) as executor:
        result = search(strategy, budget=args.budget, seed=args.seed, evaluator=evaluator,
                        log=args.log, progress=not args.json, resume=args.resume, executor=executor)
    summary = result.summary()
    if args.json:
        print(json.dumps(summary))
        return 130 if result.interrupted else 0
    print(f"\n{summary['strategy']}/{summary['mode']}: {summary['evaluations']} evaluations "
          f"({summary['cache_hits']} from the cache, {summary['failures']} failed) in {summary['seconds']:.1f} s")
    print(f"best validation loss: {summary['best_val_loss']}")
    for key, value in (summary["best_arch"] or {}).items():
        print(f"  {key:>20}: {value}")
    if result.resumed:
        done = result.resumed == result.evaluations and not result.interrupted
        print(f"resumed: {result.resumed} trials replayed from the log" +
              ("; the run was already complete, nothing new was evaluated" if done else ""))
    if args.log:
        print(f"run log: {args.log}")
    if result.interrupted:
        print("interrupted: the finished trials are kept" +
              ("; add --resume to the same command to continue" if args.log else ""))
    return 130 if result.interrupted else 0


def strategy_of(value: str) -> "str | type":
    """``--strategy``'s value: a built-in name, or the class a ``FILE.py:ClassName`` names
    (loaded and checked as the assignment kit loads a submission: nasbook.strategies.loading)."""
    from nasbook.strategies import STRATEGIES
    from nasbook.strategies.loading import FORMS, load_strategy_class

    if ":" in value:
        return load_strategy_class(value, field="--strategy")
    if value not in STRATEGIES:
        raise fail("--strategy", value, f"one of {', '.join(map(repr, sorted(STRATEGIES)))}, or {FORMS}")
    return value


def run_bench(args: argparse.Namespace) -> int:
    from nasbook.tabular.command import run_bench as run

    return run(args)


COMMANDS = {"search": run_search, "bench": run_bench}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            raise missing_command(parser)
        return COMMANDS[args.command](args)
    except NasbookError as err:
        print(f"nasbook: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nasbook: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of stdout left (`nasbook search | head -1`): not an error to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141  # what a shell reports for a process ended by SIGPIPE
    except OSError as err:  # e.g. --log in a folder that cannot be written
        print(f"nasbook: error: {err.strerror or err}: {err.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except Exception as err:  # a bug: still one line, never a traceback (NASBOOK_DEBUG=1 shows it)
        if os.environ.get("NASBOOK_DEBUG"):
            raise
        print(f"nasbook: internal error: {type(err).__name__}: {err} (set NASBOOK_DEBUG=1 for the "
              f"traceback, and please report it)", file=sys.stderr)
        return 1
