"""BOHB: Hyperband whose new architectures come from a model of what did well.

Falkner, Klein & Hutter (2018). Hyperband starts every bracket with *random*
architectures. BOHB keeps Hyperband's brackets and promotions unchanged and replaces only
that sampling: it looks at the trials of the highest fidelity that has enough of them,
splits them into the best ``gamma`` fraction ("good") and the rest ("bad"), fits a density
to each over the encoded space, and proposes, among ``candidates`` draws from the good
density, the one where good is most likely relative to bad (the TPE rule: maximise
``l(x) / g(x)``). A ``random_fraction`` of new architectures stays uniform, so the model
can never shut part of the space out for good.

The density here is, per key, a categorical distribution over the key's choices (counts
plus one, so no choice has probability zero), multiplied across keys: TPE's estimator for
categorical parameters. BOHB's own kernel density would also smooth a choice towards its
neighbours (hidden sizes 32 and 64); the space's keys are few and small, so counting is
enough to show the idea.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from nasbook.spaces.space import Arch
from nasbook.strategies.hyperband import Hyperband
from nasbook.trial import Trial
from nasbook.validation import check_float, check_int


class BOHB(Hyperband):
    """Hyperband with model-based sampling of new architectures (a TPE-like density per fidelity)."""

    name = "bohb"

    def __init__(self, mode: str = "default", eta: int = 3, min_epochs: int | None = None,
                 random_fraction: float = 1 / 3, candidates: int = 24, gamma: float = 0.15) -> None:
        super().__init__(mode, eta=eta, min_epochs=min_epochs)
        self.random_fraction = check_float("random_fraction", random_fraction, 0.0, 1.0)
        self.candidates = check_int("candidates", candidates, 1, 10_000)
        self.gamma = check_float("gamma", gamma, 0.0, 1.0, high_open=True)

    def setup(self, space: Any, seed: int, evaluator: Any = None, budget: int | None = None) -> None:
        super().setup(space, seed, evaluator, budget)
        self.observed: dict[int, list[tuple[tuple[int, ...], float]]] = {}  # epochs -> (encoded arch, score)

    def learn(self, trials: list[Trial]) -> None:
        """Keep every successful trial's encoded architecture and score, by its fidelity."""
        for t in trials:
            if t.ok:
                epochs = self.full if t.epochs is None else t.epochs
                self.observed.setdefault(epochs, []).append((self.space.encode(t.arch), t.score))

    def new_arch(self) -> Arch:
        model = self.model()
        if model is None or self.rng.random() < self.random_fraction:
            return self.space.sample(self.rng)
        good, bad = model
        draws = [[int(self.rng.choice(len(p), p=p)) for p in good] for _ in range(self.candidates)]
        ratios = [math.prod(good[k][x] / bad[k][x] for k, x in enumerate(draw)) for draw in draws]
        return self.space.decode(draws[int(np.argmax(ratios))])  # the first best, on a tie

    def model(self) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
        """(good, bad) densities from the highest fidelity with enough trials; None before there are."""
        enough = len(self.space.keys) + 2
        for epochs in sorted(self.observed, reverse=True):
            points = sorted(self.observed[epochs], key=lambda point: point[1])  # best first (a stable sort)
            if len(points) >= enough:
                cut = max(1, math.ceil(self.gamma * len(points)))
                return self.density(points[:cut]), self.density(points[cut:])
        return None

    def density(self, points: list[tuple[tuple[int, ...], float]]) -> list[np.ndarray]:
        """Per key, the probability of each choice: (how often the points chose it + 1), normalised."""
        sizes = [len(values) for values in self.space.choices.values()]
        counts = [np.ones(size) for size in sizes]
        for encoded, _ in points:
            for k, index in enumerate(encoded):
                counts[k][index] += 1
        return [c / c.sum() for c in counts]
