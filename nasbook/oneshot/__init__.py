"""One-shot NAS: one supernet holds every architecture, so candidates share weights.

* :mod:`.supernet`       – the one supernet of the MLP space, run relaxed (DARTS) or one path at a time;
* :mod:`.cell_supernet`  – the same for a cell space: a mixed operation on every edge;
* :mod:`.architect`      – DARTS' outer step on the architecture parameters α;
* :mod:`.weight_sharing` – train the supernet one sampled path at a time, score by inheritance;
* :mod:`.diagnostics`    – the second-order gradient checked against autograd, α's Hessian eigenvalue, the gap.

The DARTS *strategy* (the outer loop that uses these) is :mod:`nasbook.strategies.darts`.
"""
