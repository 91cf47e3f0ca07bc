"""Random search: sample architectures uniformly, keep the best.

The baseline every NAS method must beat (Li & Talwalkar, 2019, found it hard to beat on
real benchmarks). It learns nothing from the trials it is told about.
"""
from __future__ import annotations

from nasbook.spaces.space import Arch
from nasbook.trial import Trial
from nasbook.validation import check_int
from nasbook.strategies.base import MAX_PROPOSALS, Strategy


class RandomSearch(Strategy):
    """Propose ``batch_size`` independent uniform samples per ask."""

    name = "random"

    def __init__(self, mode: str = "default", batch_size: int = 1) -> None:
        super().__init__(mode)
        self.batch_size = check_int("batch_size", batch_size, 1, MAX_PROPOSALS)

    def ask(self) -> list[Arch]:
        return [self.space.sample(self.rng) for _ in range(self.batch_size)]

    def tell(self, trials: list[Trial]) -> None:
        pass  # random search does not learn
