"""nasbook: learn and teach Neural Architecture Search, one readable module at a time.

    import nasbook
    result = nasbook.search("random", budget=20, seed=0)
    result.best_arch, result.best_val_loss
"""
__version__ = "0.2.0"

from nasbook.evaluation.base import BaseEvaluator  # noqa: E402
from nasbook.evaluation.protocols import PROTOCOLS, Protocol  # noqa: E402
from nasbook.evaluation.training import Evaluator  # noqa: E402
from nasbook.fidelity import Proposal  # noqa: E402
from nasbook.loop.result import SearchResult  # noqa: E402
from nasbook.loop.runlog import load_trials, read_log  # noqa: E402
from nasbook.loop.outer import search  # noqa: E402
from nasbook.spaces.family import ModelFamily  # noqa: E402
from nasbook.spaces.mlp import ARTICLE_SPACE  # noqa: E402
from nasbook.spaces.space import SearchSpace  # noqa: E402
from nasbook.strategies import STRATEGIES, Strategy, make_strategy  # noqa: E402
from nasbook.tasks import Task, make_task  # noqa: E402
from nasbook.trial import Trial  # noqa: E402
from nasbook.validation import NasbookError  # noqa: E402
from nasbook.assignments import check_strategy  # noqa: E402  (it builds on everything above)
from nasbook import moved  # noqa: E402  (0.1's module paths, e.g. nasbook.toy, still import)

moved.install()

__all__ = [
    "ARTICLE_SPACE", "PROTOCOLS", "STRATEGIES", "BaseEvaluator", "Evaluator", "ModelFamily", "NasbookError", "Proposal", "Protocol",
    "SearchResult", "SearchSpace", "Strategy", "Task", "Trial", "check_strategy", "load_trials", "make_strategy",
    "make_task", "read_log", "search",
]
