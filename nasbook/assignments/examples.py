"""A worked example for students: simulated annealing, written the way a student would.

docs/assignment.md shows this class line by line; the tests run it through
:func:`nasbook.check_strategy`, so the example in the docs is known to pass every check.
"""
from __future__ import annotations

import math

import nasbook


class SimulatedAnnealing(nasbook.Strategy):
    """Walk through the space one mutation at a time.

    A better neighbour is always accepted. A worse one is accepted with probability
    exp(-relative worsening / temperature), so early on (hot) the walk can escape a bad
    region, and later (cold) it settles into plain hill climbing.
    """

    name = "annealing"

    def __init__(self, mode="default", temperature=0.3, cooling=0.9):
        super().__init__(mode)             # stores self.mode
        self.temperature = temperature     # the constructor only stores parameters
        self.cooling = cooling

    def setup(self, space, seed, evaluator=None):
        super().setup(space, seed, evaluator)  # makes self.space and self.rng
        self.current = None                # the architecture the walk stands on
        self.current_score = math.inf      # its score (lower is better)
        self.hot = self.temperature        # the temperature right now

    def ask(self):
        if self.current is None:           # first step: start anywhere
            return [self.space.sample(self.rng)]
        return [self.space.mutate(self.current, self.rng)]  # one key changed

    def tell(self, trials):
        for trial in trials:               # usually one trial; maybe none at the very end
            if self.accept(trial.score):
                self.current, self.current_score = trial.arch, trial.score
            self.hot = max(self.hot * self.cooling, 1e-9)  # cool down, but never to 0
            self.trace.append({"kind": "annealing", "current_score": self.current_score, "temperature": self.hot})

    def accept(self, score):
        if self.current is None or score <= self.current_score:
            return True                    # the first trial, or not worse: always move
        if math.isinf(score):
            return False                   # a diverged trial (score inf): never move there
        if math.isinf(self.current_score):
            return True                    # standing on a failure: anything is better
        worse_by = (score - self.current_score) / max(abs(self.current_score), 1e-12)  # unit-free
        return self.rng.random() < math.exp(-worse_by / self.hot)


class ForestSearch(nasbook.Strategy):
    """A model-based strategy: a random forest (scikit-learn) learns score from architecture.

    After ``n_init`` random architectures, each ask() samples ``n_candidates`` random
    architectures and proposes the one the forest predicts best (one in ten times a random one,
    to keep exploring). tell() refits the forest on every successful trial so far (choice
    indices in, score out); failures are left out, they have no loss to learn. Each refit takes
    tens of milliseconds: slow next to a hill climber, but far from the checker's time limit,
    which holds per call.
    """

    name = "forest"

    def __init__(self, mode="default", n_init=10, n_candidates=200, n_trees=20):
        super().__init__(mode)
        self.n_init, self.n_candidates, self.n_trees = n_init, n_candidates, n_trees

    def setup(self, space, seed, evaluator=None):
        super().setup(space, seed, evaluator)
        self.X, self.y, self.model = [], [], None

    def ask(self):
        if self.model is None or self.rng.random() < 0.1:
            return [self.space.sample(self.rng)]
        candidates = [self.space.sample(self.rng) for _ in range(self.n_candidates)]
        predicted = self.model.predict([self.space.encode(a) for a in candidates])
        return [candidates[int(predicted.argmin())]]

    def tell(self, trials):
        from sklearn.ensemble import RandomForestRegressor

        for trial in trials:
            if math.isfinite(trial.score):   # rank by score; a failure has nothing to learn from
                self.X.append(self.space.encode(trial.arch))
                self.y.append(trial.score)
        if len(self.y) >= self.n_init:
            self.model = RandomForestRegressor(n_estimators=self.n_trees,
                                               random_state=int(self.rng.integers(2**31)))
            self.model.fit(self.X, self.y)
