"""The search dashboard: pick a strategy, press Run, watch it search, press Stop.

    from nasbook.viz.widgets import SearchDashboard
    dash = SearchDashboard()
    dash                      # shows the controls; press Run
    dash.result               # the SearchResult of the last run, for the next cell

How it stays responsive: Run checks every field *in the kernel's own thread* (a bad
value shows a message, nothing trains), then starts :func:`nasbook.search` in a worker
thread with ``callback=`` (called after every trial) and ``stop=`` (a
``threading.Event``). The callback only sets widget values (progress bar, PNG images,
HTML) — each a single message to the browser — and redraws at most about once a second.
Stop sets the Event: the search ends after the trial in progress, and every finished
trial is kept in the result (and in the run log, when ``log_dir`` is given).
"""
from __future__ import annotations

import html
import os
import threading
from pathlib import Path
from typing import Any, Mapping

import ipywidgets as W

from nasbook.evaluation.base import BaseEvaluator
from nasbook.evaluation.protocols import PROTOCOLS, protocol_name
from nasbook.evaluation.training import Evaluator
from nasbook.loop.result import SearchResult
from nasbook.loop.outer import search
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.strategies import MODES, STRATEGIES, Strategy, check_mode, make_strategy
from nasbook.tasks import TASKS
from nasbook.trial import Trial
from nasbook.validation import NasbookError, check_choice, check_float, check_int, check_seed, fail
from nasbook.viz.widgets.live import LiveView, progress_count
from nasbook.viz.widgets.space_editor import SpaceEditor, _error

DEVICES = ("auto", "cpu", "cuda", "mps")
MAX_BUDGET = 100_000  # a dashboard run: a live plot of more trials than this would not be watched


def check_fields(budget: Any, seed: Any, evaluator: Any, log_dir: Any, redraw_every: Any) -> tuple[int, int]:
    """The constructor's numbers and objects, checked as Run checks them (a clear message, not a
    widget TraitError); returns the budget and the seed as ints."""
    budget, seed = check_int("budget", budget, minimum=1, maximum=MAX_BUDGET), check_seed("seed", seed)
    if evaluator is not None and not isinstance(evaluator, BaseEvaluator):
        raise fail("evaluator", evaluator, "a nasbook evaluator (e.g. ToyEvaluator(), a TabularEvaluator) or None")
    if log_dir is not None and not isinstance(log_dir, (str, os.PathLike)):
        raise fail("log_dir", log_dir, "a folder path (str or pathlib.Path) or None")
    check_float("redraw_every", redraw_every, 0.0, 3600.0)  # seconds between live redraws
    return budget, seed


class SearchDashboard:
    """Controls, live plots and results of a NAS search, in one widget.

    Args:
        space: a :class:`SpaceEditor` (its current space is used at every Run), a
            SearchSpace, a dict of choices, or None (the article's space).
        evaluator: use this evaluator for every run (e.g. a ``ToyEvaluator`` or a lookup
            table); the task, protocol and device controls are then ignored.
        budget, seed, strategy, mode, task, protocol, device: the controls' starting values.
        log_dir: when given, every run writes its JSON-lines run log there.
        redraw_every: least seconds between live redraws (throttle; see ``LiveView``).
    """

    def __init__(self, space: "SpaceEditor | SearchSpace | Mapping[str, list[Any]] | None" = None, *,
                 evaluator: Any = None, budget: int = 20, seed: int = 0, strategy: str = "random",
                 mode: str = "default", task: str = "synthetic", protocol: str = "default",
                 device: str = "auto", log_dir: "str | Path | None" = None,
                 redraw_every: float = 1.0) -> None:
        for field, value, allowed in (("task", task, TASKS), ("strategy", strategy, STRATEGIES),
                                      ("device", device, DEVICES)):
            check_choice(field, value, allowed)  # a clear message, not a widget TraitError
        budget, seed = check_fields(budget, seed, evaluator, log_dir, redraw_every)
        protocol = protocol_name(protocol)  # checked too; an old name ("seed") is translated
        mode = check_mode(mode)  # "seed", the old name, shows as "article"
        self.editor = space if isinstance(space, SpaceEditor) else None
        self._space = None if self.editor is not None else as_space(space)
        self.evaluator = evaluator
        self.log_dir = None if log_dir is None else Path(log_dir)
        self.result: SearchResult | None = None
        self.results: list[SearchResult] = []  # every finished run, oldest first
        self.error: str | None = None
        self._evaluators: dict[tuple, Evaluator] = {}  # reused, so re-runs hit the cache
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._trials: list[Trial] = []

        style = {"description_width": "70px"}
        small = W.Layout(width="200px")
        self.task = W.Dropdown(options=list(TASKS), value=task, description="task", style=style, layout=small)
        self.strategy = W.Dropdown(options=list(STRATEGIES), value=strategy, description="strategy",
                                   style=style, layout=small)
        self.mode = W.ToggleButtons(options=list(MODES), value=mode, description="mode", style=style,
                                    tooltips=["the careful version", "the article's version"])
        self.protocol = W.Dropdown(options=list(PROTOCOLS), value=protocol, description="protocol",
                                   style=style, layout=small)
        self.budget = W.IntText(value=budget, description="budget", style=style, layout=small)
        self.seed = W.IntText(value=seed, description="seed", style=style, layout=small)
        self.device = W.Dropdown(options=list(DEVICES), value=device, description="device", style=style,
                                 layout=small)
        self.run_button = W.Button(description="Run", button_style="success", icon="play")
        self.stop_button = W.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.progress = W.FloatProgress(value=0, min=0, max=int(budget),  # trials, or evaluation-equivalents
                                        description="0 trials", style={"description_width": "90px"})
        self.status = W.HTML("")
        self.message = W.HTML("")
        self.space_info = W.HTML("")
        self.live = LiveView(every=redraw_every)
        self.run_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        if self.editor is not None:
            self.editor.on_change(lambda s: self._show_space(s))
        if evaluator is not None:
            for control in (self.task, self.protocol, self.device):
                control.disabled = True
        self._show_space(self.editor.space if self.editor is not None else self._space)
        self.widget = W.VBox([
            W.HTML("<h3 style='margin:4px 0'>nasbook · search dashboard</h3>"),
            W.HBox([self.task, self.strategy, self.protocol]),
            W.HBox([self.budget, self.seed, self.device]),
            self.mode,
            self.space_info,
            W.HBox([self.run_button, self.stop_button, self.progress, self.status]),
            self.message,
            self.live.widget,
        ])

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # -- public actions ----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def space(self) -> SearchSpace:
        return self.editor.space if self.editor is not None else self._space

    def start(self) -> bool:
        """What Run does: validate every field, then search in a worker thread.

        Returns False (and shows why) when a field is invalid or a search is running.
        """
        if self.running:
            self.message.value = _error("A search is already running; press Stop first.")
            return False
        try:
            job = self._prepare()
        except NasbookError as err:
            self.message.value = _error(str(err))
            return False
        self.message.value = ""
        self.error = None
        self._stop = threading.Event()
        self._trials = []
        self.live.clear()
        self.progress.max, self.progress.value = job["budget"], 0
        self.progress.description = "0 eval-eq" if job["strategy"].multi_fidelity else "0 trials"
        self.progress.bar_style = ""
        self.status.value = f"running {job['strategy'].name}/{job['strategy'].mode}…"
        self.run_button.disabled, self.stop_button.disabled = True, False
        self._thread = threading.Thread(target=self._work, args=(job,), daemon=True, name="nasbook-search")
        self._thread.start()
        return True

    def stop(self) -> None:
        """What Stop does: end the search after the trial in progress (finished trials are kept)."""
        if self.running:
            self._stop.set()
            self.status.value = "stopping after the current trial…"

    def wait(self, timeout: float | None = None) -> SearchResult | None:
        """Block until the running search ends (for scripts, tests and 'Run all')."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.result

    def run(self, wait: bool = True, timeout: float | None = None) -> SearchResult | None:
        """Press Run from code; with ``wait=True`` return the finished result."""
        if not self.start():
            return None
        return self.wait(timeout) if wait else None

    # -- inside ------------------------------------------------------------------------------
    def _prepare(self) -> dict[str, Any]:
        """Check every field before anything trains; raise NasbookError naming the bad one."""
        budget = check_int("budget", self.budget.value, minimum=1, maximum=MAX_BUDGET)
        seed = check_seed("seed", self.seed.value)
        space = self.space
        strategy: Strategy = make_strategy(self.strategy.value, mode=self.mode.value)
        evaluator = self.evaluator
        if evaluator is None:
            key = (self.task.value, self.protocol.value, self.device.value)
            if key not in self._evaluators:
                self._evaluators[key] = Evaluator(task=key[0], protocol=key[1], device=key[2])
            evaluator = self._evaluators[key]
        log = None
        if self.log_dir is not None:
            log = self.log_dir / f"run{len(self.results) + 1:03d}-{strategy.name}-{strategy.mode}-seed{seed}.jsonl"
        return {"budget": budget, "seed": seed, "space": space, "strategy": strategy,
                "evaluator": evaluator, "log": log}

    def _work(self, job: dict[str, Any]) -> None:
        """The worker thread: run the search, keep the widgets current, publish the result."""
        strategy, space = job["strategy"], job["space"]
        title = f"{strategy.name}/{strategy.mode}, seed {job['seed']}"

        def on_trial(trial: Trial, strat: Strategy) -> None:
            self._trials.append(trial)
            fidelities = job["evaluator"].fidelities()  # a multi-fidelity search counts k/E per trial
            self.progress.value, self.progress.description = progress_count(
                self._trials, fidelities[-1] if fidelities else None)
            self.live.update(self._trials, strat.trace, space, title=title)

        try:
            result = search(strategy, space=space, budget=job["budget"], seed=job["seed"],
                            evaluator=job["evaluator"], log=job["log"], progress=False,
                            callback=on_trial, stop=self._stop)
        except Exception as err:  # shown in the widget; the kernel and the dashboard live on
            self.error = f"{type(err).__name__}: {err}"
            self.message.value = _error(f"The search stopped with an error: {self.error}")
            self.status.value = "failed"
            self.progress.bar_style = "danger"
        else:
            self.result = result
            self.results.append(result)
            self.live.update(result.trials, result.trace, space, title=title, force=True)
            self.status.value = self._summary(result)
            self.progress.bar_style = "warning" if result.interrupted else "success"
        finally:
            self.run_button.disabled, self.stop_button.disabled = False, True

    @staticmethod
    def _summary(result: SearchResult) -> str:
        best = result.best_val_loss
        best_text = f"{best:.4g}" if best != float("inf") else "none (all failed)"
        how = "stopped" if result.interrupted else "finished"
        spent = f" · {result.spent:.2f} of {result.budget} evaluation-equivalents" \
            if any(t.epochs is not None for t in result.trials) else ""
        return (f"<b>{how}</b>: {result.evaluations} trials ({result.cache_hits} cached, "
                f"{result.failures} failed){spent} in {result.seconds:.1f} s · best val loss {html.escape(best_text)}")

    def _show_space(self, space: SearchSpace) -> None:
        self.space_info.value = f"search space: <b>{space.size:,}</b> architectures, keys {', '.join(space.keys)}"
