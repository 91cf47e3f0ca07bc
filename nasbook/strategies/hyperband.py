"""Hyperband: successive halving, hedged over where to start.

Li et al. (2017). Successive halving must guess how many epochs reveal a good
architecture: start too low and the learning curves have not separated yet (a slow starter
is dropped); too high and few architectures are tried. Hyperband does not guess: one
*iteration* runs several brackets, the first starting at the fewest epochs with the most
architectures, each next one a rung higher with fewer, the last at full fidelity (random
search). With eta = 3 and 1..27 epochs::

    bracket   starts at   rungs (epochs)     architectures
    s = 3     1 epoch     1, 3, 9, 27        many
    s = 2     3 epochs    3, 9, 27           fewer
    s = 1     9 epochs    9, 27              fewer still
    s = 0     27 epochs   27                 a few, trained fully

Brackets are sized from the budget: each gets an equal share of what is left of the
iteration's budget (``self.budget`` at the start, what is left after), and starts with as
many architectures as that share pays for. When the iteration ends with budget left, the
next one begins. Each bracket is :class:`~nasbook.strategies.successive_halving.Bracket`,
the same code successive halving runs.
"""
from __future__ import annotations

from nasbook.strategies.successive_halving import Bracket, SuccessiveHalving, rung_epochs


class Hyperband(SuccessiveHalving):
    """Successive-halving brackets starting at each rung in turn, most exploratory first."""

    name = "hyperband"

    def next_bracket(self) -> Bracket:
        rungs = rung_epochs(self.fidelities, self.lowest, self.eta)
        brackets = len(rungs)  # s_max + 1 brackets per iteration
        s = brackets - 1 - self.brackets % brackets  # s_max, ..., 1, 0, then again
        share = self.left / (s + 1)  # this bracket and the s after it in this iteration share what is left
        return self.sized_bracket(rungs[len(rungs) - 1 - s:], share)
