"""Search spaces, and how each one becomes a network.

* :mod:`.space`  – :class:`SearchSpace`: named categorical choices, any keys, nothing else;
* :mod:`.family` – :class:`ModelFamily`: what turns an architecture of a space into a
  ``torch.nn.Module`` (its keys' rules, their defaults, ``build``);
* :mod:`.mlp`    – the article's family: a multilayer perceptron, and the article's space;
* :mod:`.cell`   – a NAS-Bench-201 cell stacked in a small CNN, for images (``digits_images``).
"""
from nasbook.spaces.space import Arch, SearchSpace, as_space

__all__ = ["Arch", "SearchSpace", "as_space"]
