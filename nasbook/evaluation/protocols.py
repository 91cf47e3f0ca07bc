"""How the inner loop trains: a *protocol* is the number of epochs and the batch size.

Two protocols ship:

* ``article`` – the article's ``evaluate_architecture``: full-batch gradient steps, 10
  epochs (the budget its RL and EA searches use), then the validation loss.
* ``default`` – mini-batches of 64, shuffled, 20 epochs (260 steps on ``synthetic``). The
  article's 10 full-batch steps leave most networks barely trained, so its scores mostly
  measure the random initialisation; see README "Why this default protocol".

The article's protocol used to be called ``"seed"`` (a word that also names the search
seed and the article's strategy mode); ``make_protocol("seed")`` still gives it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from torch import nn

from nasbook.tasks import Task
from nasbook.validation import check_choice, check_int, fail


MAX_EPOCHS = 100_000  # one training (or DARTS' supernet): the protocols ship 10 and 20; 10**9 is a typo
MAX_BATCH = 10_000_000  # rows per step: more than any task nasbook holds in memory


@dataclass(frozen=True)
class Protocol:
    """How the inner loop trains: ``epochs`` passes over the data in batches of ``batch_size``
    (``None`` = the whole training split at once). ``checkpoints`` lists epochs at which the
    validation loss is also recorded (a learning curve)."""

    name: str
    epochs: int
    batch_size: int | None = None
    checkpoints: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        """Check every field and store it as a plain Python value (a numpy int becomes an int,
        a list of checkpoints a tuple, so a protocol stays hashable: the cache keys on it)."""
        if not isinstance(self.name, str) or not self.name.strip():
            raise fail("protocol.name", self.name, "a non-empty string naming the protocol")
        epochs = check_int("protocol.epochs", self.epochs, 1, MAX_EPOCHS)
        batch = None if self.batch_size is None else check_int("protocol.batch_size", self.batch_size, 1, MAX_BATCH)
        if isinstance(self.checkpoints, (str, bytes)) or not isinstance(self.checkpoints, (tuple, list, range)):
            raise fail("protocol.checkpoints", self.checkpoints, "a tuple of epochs, e.g. (5, 10), or ()")
        checkpoints = tuple(check_int("protocol.checkpoints", c, 1, epochs) for c in self.checkpoints)
        for field, value in (("epochs", epochs), ("batch_size", batch), ("checkpoints", checkpoints)):
            object.__setattr__(self, field, value)  # frozen: the dataclass's own way to set a field

    def with_epochs(self, epochs: int) -> "Protocol":
        return dataclasses.replace(self, epochs=epochs, checkpoints=tuple(c for c in self.checkpoints if c <= epochs))


PROTOCOLS = {
    "article": Protocol("article", epochs=10, batch_size=None),
    "default": Protocol("default", epochs=20, batch_size=64, checkpoints=(5, 10, 20)),
}
ALIASES = {"seed": "article"}  # old name -> current name, still accepted
PROTOCOL_NAMES = (*PROTOCOLS, *ALIASES)  # every name make_protocol accepts (for CLIs and widgets)


def protocol_name(name: str) -> str:
    """The current name of the protocol called ``name`` (an old alias is translated)."""
    check_choice("protocol", name, PROTOCOL_NAMES)
    return ALIASES.get(name, name)


def make_protocol(protocol: "str | Protocol") -> Protocol:
    """A :class:`Protocol`: given one, or the shipped one of that name (``"article"``, ``"default"``)."""
    if isinstance(protocol, Protocol):
        return protocol
    return PROTOCOLS[protocol_name(protocol)]


def loss_function(task: Task) -> nn.Module:
    """The training and validation loss of ``task``: cross-entropy or mean squared error."""
    return nn.CrossEntropyLoss() if task.loss == "cross_entropy" else nn.MSELoss()
