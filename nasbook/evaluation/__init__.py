"""The inner loop: train an architecture's weights, score it on validation data.

* :mod:`.training`  – :class:`Evaluator`, the real inner loop (read this one first);
* :mod:`.toy`       – :class:`ToyEvaluator`, an analytic score for fast tests and exercises;
* :mod:`.stacked`   – train many same-shape networks as one stacked network (fast paths);
* :mod:`.executors` – run training jobs in other processes, or on a cluster.
"""
from nasbook.evaluation.training import PROTOCOLS, Evaluator, Protocol
from nasbook.evaluation.toy import ToyEvaluator

__all__ = ["PROTOCOLS", "Evaluator", "Protocol", "ToyEvaluator"]
