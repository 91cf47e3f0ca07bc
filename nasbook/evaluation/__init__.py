"""The inner loop: train an architecture's weights, score it on validation data.

* :mod:`.base`      – :class:`BaseEvaluator`, the one interface every evaluator implements;
* :mod:`.protocols` – :class:`Protocol`: how many epochs, what batch size;
* :mod:`.training`  – :class:`Evaluator`, the real inner loop (read this one first);
* :mod:`.toy`       – :class:`ToyEvaluator`, an analytic score for fast tests and exercises;
* :mod:`.stacked`   – train many same-shape networks as one stacked network (fast paths);
* :mod:`.executors` – run training jobs in other processes, or on a cluster;
* :mod:`.auto`      – where a batch trains by default (every usable core), the shared pool;
* :mod:`.cores`     – the usable cores (affinity mask, cgroup quota) and torch threads per process;
* :mod:`.warmup`    – what the first trial of a process pays, paid ahead of time.
"""
from nasbook.evaluation.base import BaseEvaluator
from nasbook.evaluation.protocols import PROTOCOLS, Protocol, make_protocol
from nasbook.evaluation.training import Evaluator
from nasbook.evaluation.toy import ToyEvaluator

__all__ = ["PROTOCOLS", "BaseEvaluator", "Evaluator", "Protocol", "ToyEvaluator", "make_protocol"]
