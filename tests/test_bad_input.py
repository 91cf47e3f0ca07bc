"""Bad input everywhere: every public entry point refuses it *before* training, with a message
that names the field, the value and what is allowed.

The tables below are the cases tried. docs/reliability.md shows the same tables; a test
checks they agree (regenerate with ``python tests/test_bad_input.py``).
"""
from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from nasbook import Evaluator, NasbookError, Protocol, SearchSpace, Task, Trial, make_task, read_log, search
from nasbook.cli import main
from nasbook.strategies import STRATEGIES, Evolution, RandomSearch, make_strategy
from nasbook.evaluation.toy import ToyEvaluator

ROOT = Path(__file__).resolve().parents[1]
A = {"num_hidden_layers": 2, "hidden_layer_size": 64, "activation_function": "ReLU",
     "learning_rate": 0.01, "optimizer": "Adam", "dropout_rate": 0.0}  # a valid architecture
X, Y = np.zeros((5, 2)), np.zeros(5)  # valid data, to vary one array at a time
NAN = np.array([[0.0, np.nan]] * 5)
NO_GPU = not torch.cuda.is_available()

# (entry point, call, words the message must contain). Names used in the calls are
# defined in `namespace` below: `space` is the article's space, `toy` a ToyEvaluator,
# `folder` an existing directory, `csv_file` a file that is not a run log, `broken_log`
# a run log with a damaged middle line, `seed1_log` a run log written with seed=1.
CASES = [
    # search spaces
    ("space", "SearchSpace({})", ["space={}", "a non-empty dict"]),
    ("space", "SearchSpace([1, 2])", ["space=[1, 2]", "a non-empty dict"]),
    ("space", "search(space={'layers': [1, 2]})", ["space key='layers'", "num_hidden_layers"]),
    ("space", "search(space=SearchSpace({'layers': [1, 2]}))", ["space key='layers'", "num_hidden_layers"]),
    ("space", "SearchSpace({'num_hidden_layers': 3})", ["space['num_hidden_layers']=3", "a list of choices"]),
    ("space", "SearchSpace({'num_hidden_layers': []})", ["space['num_hidden_layers']=[]", "at least one choice"]),
    ("space", "SearchSpace({'num_hidden_layers': [1, 1]})", ["[1, 1]", "distinct choices (1 appears twice)"]),
    ("space", "SearchSpace({'num_hidden_layers': [0]})", ["space['num_hidden_layers']=0", "from 1 to 100"]),
    ("space", "SearchSpace({'num_hidden_layers': [2.5]})", ["=2.5", "an integer from 1 to 100"]),
    ("space", "SearchSpace({'num_hidden_layers': [True]})", ["=True", "an integer from 1 to 100"]),
    ("space", "SearchSpace({'hidden_layer_size': [10**6]})", ["=1000000", "from 1 to 16384"]),
    ("space", "SearchSpace({'activation_function': ['relu']})", ["='relu'", "ReLU, LeakyReLU"]),
    ("space", "SearchSpace({'optimizer': ['adam']})", ["='adam'", "Adam, SGD"]),
    ("space", "SearchSpace({'learning_rate': [0]})", ["space['learning_rate']=0", "(0, 1)"]),
    ("space", "SearchSpace({'learning_rate': [1.5]})", ["=1.5", "(0, 1)"]),
    ("space", "SearchSpace({'learning_rate': ['0.01']})", ["='0.01'", "(0, 1)"]),
    ("space", "SearchSpace({'learning_rate': [float('nan')]})", ["=nan", "a finite number in (0, 1)"]),
    ("space", "SearchSpace({'dropout_rate': [1.0]})", ["space['dropout_rate']=1.0", "[0.0, 1.0)"]),
    ("space", "SearchSpace({'dropout_rate': [-0.1]})", ["=-0.1", "[0.0, 1.0)"]),
    # architecture dicts
    ("arch", "space.validate('relu')", ["arch='relu'", "a dict with keys"]),
    ("arch", "space.validate({'num_hidden_layers': 2})", ["missing ['hidden_layer_size'", "unexpected []"]),
    ("arch", "space.validate({**A, 'colour': 'red'})", ["unexpected ['colour']"]),
    ("arch", "space.validate({**A, 'num_hidden_layers': 7})",
     ["arch['num_hidden_layers']=7", "one of [1, 2, 3, 4, 5]"]),
    ("arch", "space.decode([9, 0, 0, 0, 0, 0])", ["indices['num_hidden_layers']=9", "from 0 to 4"]),
    ("arch", "space.decode([0, 0])", ["indices=[0, 0]", "6 indices"]),
    ("arch", "Evaluator().evaluate({'depth': 2})", ["arch key='depth'", "num_hidden_layers"]),
    ("arch", "Evaluator().evaluate({'num_hidden_layers': 0})", ["arch['num_hidden_layers']=0", "from 1 to 100"]),
    ("arch", "Evaluator().evaluate([2, 64])", ["arch=[2, 64]", "a dict"]),
    # budgets and seeds
    ("budget", "search(budget=0, evaluator=toy)", ["budget=0", "an integer from 1 to 10000000"]),
    ("budget", "search(budget=2.5, evaluator=toy)", ["budget=2.5", "an integer from 1 to 10000000"]),
    ("budget", "search(budget='10', evaluator=toy)", ["budget='10'", "an integer from 1 to 10000000"]),
    ("budget", "search(budget=None, evaluator=toy)", ["budget=None", "an integer from 1 to 10000000"]),
    ("budget", "search(budget=10**12, evaluator=toy)", ["budget=1000000000000", "an integer from 1 to 10000000"]),
    ("seed", "search(seed=-1, evaluator=toy)", ["seed=-1", "from 0 to 4294967295"]),
    ("seed", "search(seed=2**40, evaluator=toy)", ["seed=1099511627776", "from 0 to 4294967295"]),
    ("seed", "search(seed=1.5, evaluator=toy)", ["seed=1.5", "an integer"]),
    ("seed", "Evaluator().evaluate(A, seed=-1)", ["seed=-1", "from 0 to 4294967295"]),
    ("seed", "make_task('synthetic', seed=-1)", ["task_seed=-1", "from 0 to 4294967295"]),
    # devices
    ("device", "Evaluator(device='gpu')", ["device='gpu'", "'cpu', 'cuda', 'cuda:N', 'mps'"]),
    ("device", "Evaluator(device=0)", ["device=0", "'auto', 'cpu'"]),
    ("device", "Evaluator(device='cuda:99')", ["device='cuda:99'", "GPU"]),
    # tasks and protocols
    ("task", "Evaluator(task='mnist')", ["task='mnist'", "'synthetic', 'diabetes', 'digits'"]),
    ("task", "Evaluator(task=None)", ["task=None", "'synthetic'"]),
    ("protocol", "Evaluator(protocol='fast')", ["protocol='fast'", "'article', 'default'"]),
    ("protocol", "Protocol('mine', epochs=0)", ["protocol.epochs=0", "an integer from 1 to 100000"]),
    ("protocol", "Protocol('mine', epochs=5, batch_size=0)", ["protocol.batch_size=0", "from 1 to 10000000"]),
    ("protocol", "Protocol('mine', epochs=5, checkpoints=(9,))", ["protocol.checkpoints=9", "from 1 to 5"]),
    # strategies
    ("strategy", "search('grid', evaluator=toy)", ["strategy='grid'", "'random'"]),
    ("strategy", "search(mode='careful', evaluator=toy)", ["mode='careful'", "'default', 'article'"]),
    ("strategy", "search(STRATEGIES['random'](), mode='article', evaluator=toy)",
     ["mode='article' is not allowed beside a strategy instance", "RandomSearch(mode='article')"]),
    ("strategy", "RandomSearch(batch_size=0)", ["batch_size=0", "from 1 to 10000"]),
    ("strategy", "Evolution(population_size=1)", ["population_size=1", "from 2 to 10000"]),
    ("strategy", "Evolution(population_size=4, sample_size=9)", ["sample_size=9", "from 1 to 4"]),
    ("strategy", "STRATEGIES['rl'](lr=-1)", ["lr=-1 ", "a finite number in [0.0, 10.0]"]),
    ("strategy", "STRATEGIES['rl'](hidden=0)", ["hidden=0", "an integer from 1 to 4096"]),
    ("strategy", "STRATEGIES['darts'](order='third')", ["order='third'", "'first', 'second'"]),
    ("strategy", "STRATEGIES['darts'](supernet_share=1.5)", ["supernet_share=1.5", "[0.0, 1.0)"]),
    ("strategy", "STRATEGIES['pareto'](objective='speed')", ["objective='speed'", "'params', 'latency'"]),
    ("strategy", "make_strategy('random', colour='red')",
     ["strategy=RandomSearch cannot be built as RandomSearch(mode='default', colour='red')",
      "its parameters are (mode='default', batch_size=1)"]),
    ("strategy", "RandomSearch(batch_size=10**6)", ["batch_size=1000000", "an integer from 1 to 10000"]),
    ("strategy", "Evolution(population_size=10**6)", ["population_size=1000000", "from 2 to 10000"]),
    ("strategy", "Evolution(retries=10**9)", ["retries=1000000000", "an integer from 0 to 1000"]),
    ("strategy", "Evolution(sample_size=True)", ["sample_size=True", "an integer from 1 to 10"]),
    ("strategy", "STRATEGIES['rl'](batch_size=10**6)", ["batch_size=1000000", "an integer from 1 to 10000"]),
    ("strategy", "STRATEGIES['rl'](hidden=10**6)", ["hidden=1000000", "an integer from 1 to 4096"]),
    ("strategy", "STRATEGIES['rl'](lr=True)", ["lr=True", "a finite number in [0.0, 10.0]"]),
    ("strategy", "STRATEGIES['rl'](entropy_weight=1e30)", ["entropy_weight=1e+30", "in [0.0, 100.0]"]),
    ("strategy", "STRATEGIES['rl'](reward_bound=float('inf'))", ["reward_bound=inf", "in [0.0, 1000.0]"]),
    ("strategy", "STRATEGIES['rl'](max_grad_norm=1e9)", ["max_grad_norm=1000000000.0", "in [0.0, 1000000.0]"]),
    ("strategy", "STRATEGIES['darts'](epochs=10**30)",
     ["epochs=1000000000000000000000000000000", "an integer from 1 to 100000"]),
    ("strategy", "STRATEGIES['darts'](weight_lr='0.01')", ["weight_lr='0.01'", "a finite number in [0.0, 10.0]"]),
    ("strategy", "STRATEGIES['pareto'](population_size=10**6)", ["population_size=1000000", "from 2 to 10000"]),
    ("strategy", "STRATEGIES['pareto'](crossover=2)", ["crossover=2", "in [0.0, 1.0]"]),
    # the other search() arguments
    ("search", "search(log=123, evaluator=toy)", ["log=123", "a file path"]),
    ("search", "search(log=folder, evaluator=toy)", ["is not allowed; a file path, not a directory"]),
    ("search", "search(log='/proc/no/run.jsonl', evaluator=toy)",
     ["log='/proc/no/run.jsonl'", "a file path nasbook can write"]),
    ("search", "search(resume=True, evaluator=toy)", ["resume=True", "only with log="]),
    ("search", "search(resume='yes', evaluator=toy)", ["resume='yes'", "True or False"]),
    ("search", "search(callback=5, evaluator=toy)", ["callback=5", "a function callback(trial, strategy)"]),
    ("search", "search(stop='now', evaluator=toy)", ["stop='now'", "a threading.Event"]),
    ("search", "search(evaluator=5)", ["evaluator=5", "evaluate_many"]),
    ("search", "search(evaluator=ToyEvaluator)", ["evaluator=<class", "an evaluator object, not its class: ToyEvaluator(...)"]),
    ("search", "search(progress='no', evaluator=toy)", ["progress='no'", "True or False"]),
    ("search", "search(mode=True, evaluator=toy)", ["mode=True", "'default', 'article'"]),
    ("search", "search(seed=True, evaluator=toy)", ["seed=True", "an integer from 0 to 4294967295"]),
    ("search", "search(seed=2.0, evaluator=toy)", ["seed=2.0", "an integer from 0 to 4294967295"]),
    ("search", "search(budget=True, evaluator=toy)", ["budget=True", "an integer from 1 to 10000000"]),
    ("search", "search(device=5)", ["device=5", "'auto', 'cpu'"]),
    ("search", "search(task=5)", ["task=5", "'synthetic', 'diabetes', 'digits'"]),
    ("search", "search(protocol=5)", ["protocol=5", "'article', 'default'"]),
    ("search", "search(space=[1, 2], evaluator=toy)", ["space=[1, 2]", "a non-empty dict"]),
    ("search", "search(evaluator=toy, task='digits')",
     ["task='digits'", "only without evaluator=", "Evaluator(task='digits')"]),
    ("search", "search(evaluator=toy, protocol='article')", ["protocol='article'", "only without evaluator="]),
    ("search", "search(evaluator=toy, device='cpu')", ["device='cpu'", "only without evaluator="]),
    ("search", "search(callback=lambda trial: None, evaluator=toy)",
     ["callback=", "a function callback(trial, strategy)", "its signature is (trial)"]),
    ("search", "search(executor=5, evaluator=toy)", ["executor=5", "a concurrent.futures.Executor"]),
    ("search", "search(executor=stopped_pool, evaluator=toy)",
     ["executor=<concurrent.futures.thread.ThreadPoolExecutor", "an executor that accepts work", "after shutdown"]),
    # evaluators and executors
    ("evaluator", "Evaluator(batched='no')", ["batched='no'", "True, False or None"]),
    ("evaluator", "Evaluator(cache='no')", ["cache='no'", "True (keep every trial"]),
    ("evaluator", "Evaluator(executor=5)", ["executor=5", "a concurrent.futures.Executor"]),
    ("evaluator", "ToyEvaluator(floor=-1)", ["floor=-1", "a finite number in [0.0, 1000000.0]"]),
    ("evaluator", "ToyEvaluator(diverge=5)", ["diverge=5", "a function diverge(arch)"]),
    ("evaluator", "ToyEvaluator(target_seed=-1)", ["target_seed=-1", "from 0 to 4294967295"]),
    ("evaluator", "toy.evaluate_many(A)", ["archs={", "a list of architecture dicts"]),
    ("evaluator", "toy.evaluate_many([A], on_trial=5)", ["on_trial=5", "a function or None"]),
    ("evaluator", "local_pool(100000)", ["workers=100000", "an integer from 1 to 1024"]),
    ("evaluator", "local_pool(0)", ["workers=0", "an integer from 1 to 1024"]),
    ("evaluator", "local_pool(2, context='thread')", ["context='thread'", "'fork', 'spawn'"]),
    ("evaluator", "Evaluator(family=['mlp'])", ["family=['mlp']", "a ModelFamily instance or one of 'mlp'"]),
    ("evaluator", "search(space={'num_hidden_layers': [1, 2]}, evaluator=toy)",
     ["space={'num_hidden_layers': [1, 2]}", "the ToyEvaluator's keys ['num_hidden_layers'", "ToyEvaluator(space)"]),
    ("evaluator", "search(space={**space.to_dict(), 'num_hidden_layers': [1, 7]}, evaluator=toy)",
     ["space['num_hidden_layers']=7", "one of [1, 2, 3, 4, 5]"]),
    ("task", "make_task(5)", ["task=5", "'synthetic'"]),
    ("task", "make_task('synthetic', seed=True)", ["task_seed=True", "from 0 to 4294967295"]),
    ("protocol", "Protocol('mine', epochs=10**9)", ["protocol.epochs=1000000000", "an integer from 1 to 100000"]),
    ("protocol", "Protocol('mine', epochs=2.0)", ["protocol.epochs=2.0", "an integer from 1 to 100000"]),
    ("protocol", "Protocol('mine', epochs=5, batch_size=10**12)",
     ["protocol.batch_size=1000000000000", "from 1 to 10000000"]),
    ("protocol", "Protocol('mine', epochs=5, checkpoints=5)", ["protocol.checkpoints=5", "a tuple of epochs"]),
    ("protocol", "Protocol('', epochs=5)", ["protocol.name=''", "a non-empty string"]),
    # data arrays (your own task)
    ("data", "Task.from_arrays('t', NAN, Y, X, Y)", ["X_train='5 NaN/inf values'", "finite numbers only"]),
    ("data", "Task.from_arrays('t', X, Y, X, [0, 1, np.inf, 3, 4])", ["y_val='1 NaN/inf values'", "finite"]),
    ("data", "Task.from_arrays('t', np.zeros(5), Y, X, Y)", ["X_train.shape=(5,)", "a 2-D array"]),
    ("data", "Task.from_arrays('t', np.zeros((5, 2, 2)), Y, X, Y)",
     ["X_val.shape[1:]=(2,)", "(2, 2), the shape of one input in X_train"]),
    ("data", "Task.from_arrays('t', np.zeros((0, 2)), np.zeros(0), X, Y)", ["X_train='0 rows'", "at least one row"]),
    ("data", "Task.from_arrays('t', np.zeros((5, 0)), Y, np.zeros((5, 0)), Y)",
     ["X_train.shape=(5, 0)", "at least one feature"]),
    ("data", "Task.from_arrays('t', X, np.zeros(4), X, Y)",
     ["len(y_train)=4", "the same number of rows as X_train (5)"]),
    ("data", "Task.from_arrays('t', X, Y, np.zeros((5, 3)), Y)", ["X_val.shape[1]=3", "2 features, as in X_train"]),
    ("data", "Task.from_arrays('t', X, Y, X, np.zeros((5, 2)))",
     ["y_val.shape[1]=2", "1 target columns, as in y_train"]),
    ("data", "Task.from_arrays('t', [['a', 'b']], [1], X, Y)", ["X_train='an array of <U1'", "a numeric array"]),
    ("data", "Task.from_arrays('t', [['1', '2']], [1], X, Y)", ["X_train='an array of <U1'", "a numeric array"]),
    ("data", "Task.from_arrays('t', X + 1j, Y, X, Y)", ["X_train='complex numbers'", "integers or real numbers"]),
    ("data", "Task.from_arrays('t', np.full((5, 2), 1e300), Y, X, Y)", ["X_train='1e+300'", "float32's range"]),
    ("data", "Task.from_arrays('t', X, [0, 1, 0, 1, 10**12], X, [0, 1, 0, 1, 1], loss='cross_entropy')",
     ["y_train=1000000000000", "class labels from 0 to 99999"]),
    ("data", "Task.from_arrays('t', None, Y, X, Y)", ["X_train=None", "an array"]),
    ("data", "Task.from_arrays('t', X, Y, X, Y, X_test=X)", ["y_test=None", "an array"]),
    ("data", "Task.from_arrays('', X, Y, X, Y)", ["name=''", "a non-empty string"]),
    ("data", "Task.from_arrays('t', X, Y, X, Y, loss='mae')", ["loss='mae'", "'mse', 'cross_entropy'"]),
    ("data", "Task.from_arrays('t', X, Y + 0.5, X, Y, loss='cross_entropy')",
     ["y_train='non-integer labels'", "integer class labels"]),
    ("data", "Task.from_arrays('t', X, Y - 1, X, Y, loss='cross_entropy')", ["y_train=-1", "class labels >= 0"]),
    ("data", "Task.from_arrays('t', X, np.zeros((5, 2)), X, Y, loss='cross_entropy')",
     ["y_train.shape=(5, 2)", "1-D array of class labels"]),
    # run logs
    ("run log", "read_log(folder / 'missing.jsonl')", ["missing.jsonl", "an existing run log", "no such file"]),
    ("run log", "read_log(5)", ["log=5", "the path of an existing run log"]),
    ("trial", "Trial(arch={}, val_loss='0.3')", ["Trial.val_loss='0.3'", "a number (the validation loss) or None"]),
    ("run log", "read_log(folder)", ["an existing run log", "a directory"]),
    ("run log", "read_log(csv_file)", ["line 1 is not a run-log header", "nasbook run log"]),
    ("run log", "read_log(broken_log)", ["line 3 is not a valid run-log record", "damaged"]),
    ("run log", "search(evaluator=toy, budget=3, log=seed1_log, resume=True)",
     ["it was written with seed=1, this run has seed=0"]),
    # widgets
    ("widget", "SearchDashboard(task='mnist')", ["task='mnist'", "'synthetic'"]),
    ("widget", "SearchDashboard(strategy='grid')", ["strategy='grid'", "'random'"]),
    ("widget", "SearchDashboard(budget=10**9)", ["budget=1000000000", "an integer from 1 to 100000"]),
    ("widget", "SearchDashboard(budget='20')", ["budget='20'", "an integer from 1 to 100000"]),
    ("widget", "SearchDashboard(seed=-1)", ["seed=-1", "from 0 to 4294967295"]),
    ("widget", "SearchDashboard(evaluator=5)", ["evaluator=5", "a nasbook evaluator"]),
    ("widget", "SearchDashboard(log_dir=5)", ["log_dir=5", "a folder path"]),
    ("widget", "SearchDashboard(redraw_every='often')", ["redraw_every='often'", "in [0.0, 3600.0]"]),
    ("widget", "press_run(budget=0)", ["budget=0", "from 1 to 100000"]),
    ("widget", "press_run(seed=-1)", ["seed=-1", "from 0 to 4294967295"]),
    ("widget", "press_run(seed=2**40)", ["seed=1099511627776", "from 0 to 4294967295"]),
    ("widget", "edit_space('set_choices', 'optimizer', [])", ["space['optimizer']=[]", "at least one of"]),
    ("widget", "edit_space('set_choices', 'colour', ['red'])", ["key='colour'", "num_hidden_layers"]),
    ("widget", "edit_space('toggle', 'optimizer', 'Lion')", ["optimizer='Lion' is not offered here"]),
]

# (arguments after `nasbook`, words the one stderr line must contain). Names in {braces}
# are the same files as above.
CLI_CASES = [
    (["search", "--workers", "100000"], ["workers=100000", "an integer from 0 to 1024"]),
    ([], ["nasbook needs a command: search (run a search", "bench (the tabular benchmark"]),
    (["bench"], ["nasbook bench needs a command: build (train every architecture"]),
    (["fly"], ["invalid choice: 'fly'", "the commands are search (run a search"]),
    (["search", "--frobnicate"], ["unrecognized arguments: --frobnicate"]),
    (["search", "--budget"], ["--budget", "expected one argument"]),
    (["search", "--budget", "0"], ["budget=0", "an integer from 1 to 10000000"]),
    (["search", "--budget", "ten"], ["--budget", "invalid int value: 'ten'"]),
    (["search", "--seed", "-1"], ["seed=-1", "from 0 to 4294967295"]),
    (["search", "--seed", "99999999999"], ["seed=99999999999", "from 0 to 4294967295"]),
    (["search", "--strategy", "grid"], ["--strategy='grid'", "'random'", "FILE.py:ClassName"]),
    (["search", "--strategy", "nowhere.py:Mine"], ["--strategy='nowhere.py:Mine'", "an existing .py file"]),
    (["search", "--mode", "careful"], ["--mode", "invalid choice: 'careful'", "'article'"]),
    (["search", "--task", "mnist"], ["--task", "invalid choice: 'mnist'", "'synthetic'"]),
    (["search", "--protocol", "slow"], ["--protocol", "invalid choice: 'slow'", "'default'"]),
    (["search", "--device", "tpu"], ["device='tpu'", "'cpu', 'cuda'"]),
    (["search", "--device", "cuda:99"], ["device='cuda:99'", "GPU"]),
    (["search", "--workers", "-1"], ["workers=-1", "an integer from 0 to 1024"]),
    (["search", "--resume"], ["--resume needs --log FILE"]),
    (["search", "--log", "/proc/no/run.jsonl"], ["log='/proc/no/run.jsonl'", "a file path nasbook can write"]),
    (["search", "--log", "{folder}"], ["a file path, not a directory"]),
    (["search", "--log", "{csv_file}", "--resume"], ["line 1 is not a run-log header"]),
    (["search", "--log", "{broken_log}", "--resume"], ["line 3 is not a valid run-log record"]),
    (["search", "--budget", "3", "--log", "{seed1_log}", "--resume"], ["it was written with"]),
    (["bench", "build", "--seeds", "0"], ["--seeds=0", "an integer >= 1"]),
    (["bench", "build", "--limit", "5000"], ["--limit=5000", "from 1 to 3600"]),
    (["bench", "build", "--threads", "0"], ["--threads=0", "an integer >= 1"]),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    csv_file = folder / "table.csv"
    csv_file.write_text("a,b\n1,2\n")
    seed1_log = folder / "seed1.jsonl"
    search(evaluator=ToyEvaluator(), budget=3, seed=1, log=seed1_log, progress=False)
    broken_log = folder / "broken.jsonl"
    lines = seed1_log.read_text().splitlines()
    broken_log.write_text("\n".join([lines[0], lines[1], lines[2][:30], lines[3]]) + "\n")
    return {"folder": folder, "csv_file": csv_file, "seed1_log": seed1_log, "broken_log": broken_log}


def press_run(**fields):
    """Set dashboard fields, press Run; raise the message it shows (if it refused)."""
    from nasbook.viz.widgets import SearchDashboard

    dash = SearchDashboard(evaluator=ToyEvaluator())
    for name, value in fields.items():
        getattr(dash, name).value = value
    if not dash.start():
        raise NasbookError(_text(dash.message.value))
    dash.wait()


def edit_space(action, *args):
    """Do one SpaceEditor edit; raise the message it shows (if it refused)."""
    from nasbook.viz.widgets import SpaceEditor

    editor = SpaceEditor()
    before = editor.choices
    getattr(editor, action)(*args)
    if editor.message.value:
        assert editor.choices == before  # a refused edit changes nothing
        raise NasbookError(_text(editor.message.value))


def _text(message_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", message_html))


def namespace(files):
    from nasbook.viz.widgets import SearchDashboard

    from concurrent.futures import ThreadPoolExecutor

    from nasbook.evaluation.executors import local_pool

    stopped_pool = ThreadPoolExecutor(1)
    stopped_pool.shutdown()
    return {**files, "local_pool": local_pool, "stopped_pool": stopped_pool, "ToyEvaluator": ToyEvaluator,
            "SearchSpace": SearchSpace, "Trial": Trial, "Evaluator": Evaluator, "Task": Task, "Protocol": Protocol,
            "make_task": make_task, "make_strategy": make_strategy, "search": search, "read_log": read_log, "RandomSearch": RandomSearch,
            "Evolution": Evolution, "STRATEGIES": STRATEGIES, "SearchDashboard": SearchDashboard, "press_run": press_run,
            "edit_space": edit_space, "space": SearchSpace(), "toy": ToyEvaluator(), "A": A, "X": X,
            "Y": Y, "NAN": NAN, "np": np}


@pytest.mark.parametrize("where, call, words", CASES, ids=[f"{w}: {c}" for w, c, _ in CASES])
def test_python_entry_point_refuses_with_a_useful_message(files, monkeypatch, where, call, words):
    trained = []
    monkeypatch.setattr(Evaluator, "train", lambda self, arch, seed: trained.append(arch))
    with pytest.raises(NasbookError) as caught:
        eval(call, namespace(files))
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert trained == []  # refused before any training


def cli_args(args, files):
    return [a.format(**{k: str(v) for k, v in files.items()}) for a in args]


@pytest.mark.parametrize("args, words", CLI_CASES, ids=[" ".join(a) or "(none)" for a, _ in CLI_CASES])
def test_cli_refuses_with_one_line(files, capsys, monkeypatch, args, words):
    monkeypatch.setattr(Evaluator, "train", lambda *a: pytest.fail("trained despite a bad argument"))
    try:
        code = main(cli_args(args, files))
    except SystemExit as exit:  # argparse's own refusals
        code = exit.code
    err = capsys.readouterr().err
    assert code not in (0, None) and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nasbook: error: "), err
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"


def test_cli_bad_argument_end_to_end_is_one_line(files):
    """The same, through a real process: exit status 2, one stderr line, no traceback."""
    import subprocess

    run = subprocess.run([sys.executable, "-m", "nasbook", "search", "--log", str(files["csv_file"]), "--resume"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert "line 1 is not a run-log header" in run.stderr


def test_unexpected_cli_errors_are_one_line_too(capsys, monkeypatch):
    import nasbook.cli

    monkeypatch.setitem(nasbook.cli.COMMANDS, "search", lambda args: 1 / 0)
    assert main(["search"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: ZeroDivisionError" in err and "NASBOOK_DEBUG" in err


def markdown_table() -> str:
    """The tables as markdown, for docs/reliability.md."""
    rows = ["| Entry point | Input | The message says |", "|---|---|---|"]
    for where, call, words in CASES:
        rows.append(f"| {where} | `{call}` | " + " … ".join(f"`{w}`" for w in words).replace("|", "\\|") + " |")
    rows += ["", "| `nasbook` arguments | The one stderr line says |", "|---|---|"]
    for args, words in CLI_CASES:
        rows.append(f"| `{' '.join(args) or '(none)'}` | " + " … ".join(f"`{w}`" for w in words) + " |")
    return "\n".join(rows) + "\n"


def test_docs_show_the_same_table():
    assert markdown_table() in (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")


if __name__ == "__main__":
    print(markdown_table(), end="")
