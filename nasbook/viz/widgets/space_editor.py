"""The search-space editor: switch choices on and off and watch the space grow or shrink.

One row per key, one toggle button per choice. The size (the product of the number of
choices per key) is shown live, so a learner *feels* the combinatorial explosion: adding
one activation to the article's space adds 1,200 architectures. A key must keep at least
one choice: switching off its last one is refused, the button flips back on, and the
editor says why (no traceback).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import ipywidgets as W

from nasbook.spaces.mlp import ACTIVATIONS, ARTICLE_SPACE, OPTIMIZERS
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.validation import NasbookError

# Choices the editor offers beyond the starting space, so the space can grow too.
MORE_CHOICES: dict[str, list[Any]] = {
    "num_hidden_layers": [1, 2, 3, 4, 5, 6],
    "hidden_layer_size": [16, 32, 64, 128, 256, 512],
    "activation_function": list(ACTIVATIONS),
    "learning_rate": [0.1, 0.03, 0.01, 0.003, 0.001, 0.0001],
    "optimizer": list(OPTIMIZERS),
    "dropout_rate": [0.0, 0.1, 0.2, 0.4, 0.6],
}


class SpaceEditor:
    """Edit a search space with toggle buttons; ``editor.space`` is the current SearchSpace.

    >>> editor = SpaceEditor()          # starts from the article's 3,600 architectures
    >>> editor.toggle("optimizer", "SGD")
    >>> editor.space.size
    2400
    """

    def __init__(self, space: "SearchSpace | Mapping[str, list[Any]] | None" = None,
                 offer_more: bool = True) -> None:
        start = as_space(space).to_dict() if space is not None else dict(ARTICLE_SPACE)
        self.offered: dict[str, list[Any]] = {}
        for key, values in start.items():
            extra = MORE_CHOICES.get(key, []) if offer_more else []
            merged = list(values) + [v for v in extra if v not in values]
            self.offered[key] = _ordered(merged, values)
        self.buttons: dict[str, dict[Any, W.ToggleButton]] = {}
        self._refusing = False
        rows = []
        for key, values in self.offered.items():
            self.buttons[key] = {}
            for value in values:
                button = W.ToggleButton(value=value in start[key], description=str(value),
                                        layout=W.Layout(width="auto"))
                button.observe(self._changed(key, value), names="value")
                self.buttons[key][value] = button
            rows.append(W.HBox([W.Label(key, layout=W.Layout(width="150px")),
                                *self.buttons[key].values()]))
        self.size_label = W.HTML()
        self.message = W.HTML()
        self._listeners: list[Callable[[SearchSpace], None]] = []
        self.widget = W.VBox([W.HTML("<b>Search space</b> (click a choice to switch it on/off)"),
                              *rows, self.size_label, self.message])
        self._show_size()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # -- what the rest of nasbook reads ---------------------------------------------------
    @property
    def choices(self) -> dict[str, list[Any]]:
        return {key: [v for v, b in buttons.items() if b.value] for key, buttons in self.buttons.items()}

    @property
    def space(self) -> SearchSpace:
        """The edited space (always valid: every key keeps at least one choice)."""
        return SearchSpace(self.choices)

    def on_change(self, listener: Callable[[SearchSpace], None]) -> None:
        """Call ``listener(space)`` after every accepted edit (the dashboard uses this)."""
        self._listeners.append(listener)

    # -- edits -----------------------------------------------------------------------------
    def toggle(self, key: str, value: Any) -> None:
        """Switch one choice on or off, as a click on its button does."""
        if key not in self.buttons or value not in self.buttons[key]:
            self.message.value = _error(f"{key}={value!r} is not offered here; "
                                        f"keys and choices: {self.offered}")
            return
        button = self.buttons[key][value]
        button.value = not button.value

    def set_choices(self, key: str, values: list[Any]) -> None:
        """Keep exactly ``values`` for ``key`` (refused, with a message, if empty or unknown)."""
        try:
            if key not in self.buttons:
                raise NasbookError(f"key={key!r} is not allowed; one of {', '.join(self.buttons)}")
            unknown = [v for v in values if v not in self.buttons[key]]
            if unknown or not values:
                raise NasbookError(f"space[{key!r}]={list(values)!r} is not allowed; at least one of "
                                   f"{self.offered[key]}")
        except NasbookError as err:
            self.message.value = _error(str(err))
            return
        for value, button in self.buttons[key].items():  # switch on first: never empty midway
            if value in values:
                button.value = True
        for value, button in self.buttons[key].items():
            if value not in values:
                button.value = False

    def _changed(self, key: str, value: Any) -> Callable[[dict], None]:
        def handler(change: dict) -> None:
            if self._refusing:
                return
            if not change["new"] and not any(b.value for b in self.buttons[key].values()):
                self._refusing = True
                try:
                    self.buttons[key][value].value = True  # refuse the edit
                finally:
                    self._refusing = False
                self.message.value = _error(
                    f"space[{key!r}] needs at least one choice: {value!r} is its last one, so it "
                    f"stays on. Switch another {key} on first.")
                return
            self.message.value = ""
            self._show_size()
            for listener in self._listeners:
                listener(self.space)
        return handler

    def _show_size(self) -> None:
        counts = [len(v) for v in self.choices.values()]
        product = " × ".join(str(c) for c in counts)
        self.size_label.value = f"Space size: <b>{self.space.size:,}</b> architectures ({product})"


def _ordered(values: list[Any], start: list[Any]) -> list[Any]:
    """Keep the starting space's order: numbers sorted the way it sorts them, names as given."""
    if all(isinstance(v, (int, float)) for v in values):
        if start == sorted(start):
            return sorted(values)
        if start == sorted(start, reverse=True):
            return sorted(values, reverse=True)
    return values


def _error(text: str) -> str:
    import html

    return f"<span style='color:#b00020'>⚠ {html.escape(text)}</span>"
