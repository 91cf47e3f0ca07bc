"""α sliders on one mixed layer: watch the mixed output and the discretisation gap, live.

A :class:`MixedLayer` is DARTS' mixed operation in its smallest form: a 1-D regression net
``x → Linear → Σ_j softmax(α)_j · op_j(·) → Linear``, its weights w trained once at α = 0 (where
DARTS starts). Each slider sets one α_j. The plot shows the data, the **mixed** output and the
**discretised** output (only the argmax op kept, same weights), and the widget prints both
losses and their difference, the *discretisation gap* (at the same weights; nasbook's DARTS
then also retrains the kept network, notebook 05). *Train w here* runs a few more weight
steps at the current α, as DARTS' inner step would: the weights adapt to whatever mix α
describes, which is why a mix far from one-hot can fit well and still discretise badly.

Core ipywidgets only (the controls ipywidgets 7.7 and 8 share).
"""
from __future__ import annotations

import html
from typing import Sequence

import ipywidgets as W
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from nasbook.spaces.mlp import ACTIVATION_LAYERS
from nasbook.strategies.rl import one_thread
from nasbook.validation import check_int, fail
from nasbook.viz.widgets.live import render_png

OPS = ("ReLU", "Tanh", "Identity")


class MixedLayer:
    """``x → Linear(1, width) → mixed op → Linear(width, 1)`` on ``y = sin(2x) + 0.5x``, trained at α = 0."""

    def __init__(self, ops: Sequence[str] = OPS, width: int = 16, steps: int = 300, seed: int = 0) -> None:
        known = {**ACTIVATION_LAYERS, "Identity": nn.Identity}
        if len(ops) < 2 or any(op not in known for op in ops):
            raise fail("ops", list(ops), f"at least two of {sorted(known)}")
        self.names = list(ops)
        self.ops = [known[op]() for op in ops]
        g = torch.Generator().manual_seed(seed)
        self.x = torch.linspace(-3, 3, 64).unsqueeze(1)
        self.y = torch.sin(2 * self.x) + 0.5 * self.x + 0.05 * torch.randn(self.x.shape, generator=g)
        width = check_int("width", width, 1, 1024)
        self.first, self.last = nn.Linear(1, width), nn.Linear(width, 1)
        with torch.no_grad():
            for layer in (self.first, self.last):
                bound = 1 / layer.in_features ** 0.5
                layer.weight.uniform_(-bound, bound, generator=g)
                layer.bias.uniform_(-bound, bound, generator=g)
        self.train(np.zeros(len(ops)), steps)

    def weights(self) -> list[torch.Tensor]:
        return [*self.first.parameters(), *self.last.parameters()]

    def mix(self, alpha: Sequence[float]) -> np.ndarray:
        """softmax(α): the weight of each op in the mix."""
        a = np.asarray(alpha, dtype=float)
        return np.exp(a - a.max()) / np.exp(a - a.max()).sum()

    def argmax(self, alpha: Sequence[float]) -> int:
        """The op discretisation keeps (ties: the first)."""
        return int(np.argmax(alpha))

    def output(self, alpha: Sequence[float], x: torch.Tensor | None = None, discretise: bool = False) -> torch.Tensor:
        """The mixed output, or with ``discretise`` only the argmax op's (same weights)."""
        z = self.first(self.x if x is None else x)
        if discretise:
            return self.last(self.ops[self.argmax(alpha)](z))
        p = torch.tensor(self.mix(alpha), dtype=z.dtype)
        return self.last(sum(p[j] * op(z) for j, op in enumerate(self.ops)))

    @torch.no_grad()
    def losses(self, alpha: Sequence[float]) -> tuple[float, float]:
        """(mixed loss, discretised loss): MSE on the data. Their difference is the gap."""
        mse = nn.functional.mse_loss
        return float(mse(self.output(alpha), self.y)), float(mse(self.output(alpha, discretise=True), self.y))

    def train(self, alpha: Sequence[float], steps: int, lr: float = 0.03) -> None:
        """``steps`` full-batch Adam steps on w at a fixed α (DARTS' inner step, repeated)."""
        optimizer = torch.optim.Adam(self.weights(), lr=lr)
        with one_thread():  # a tiny net: a thread pool costs more than the arithmetic
            for _ in range(check_int("steps", steps, 0, 100_000)):
                optimizer.zero_grad()
                nn.functional.mse_loss(self.output(alpha), self.y).backward()
                optimizer.step()


class MixingWidget:
    """One slider per candidate op of a :class:`MixedLayer`; the gap is recomputed on every move."""

    def __init__(self, layer: MixedLayer | None = None, train_steps: int = 100) -> None:
        self.layer = layer or MixedLayer()
        self.train_steps = check_int("train_steps", train_steps, 1, 100_000)
        self.sliders = [W.FloatSlider(value=0.0, min=-4.0, max=4.0, step=0.1, description=f"α {name}")
                        for name in self.layer.names]
        for slider in self.sliders:
            slider.observe(lambda change: self.redraw(), names="value")
        self.train_button = W.Button(description="Train w here")
        self.train_button.on_click(lambda button: self.train_here())
        self.status = W.HTML()
        self.plot = W.Image(format="png")
        self.widget = W.VBox([W.HTML("<b>nasbook · a mixed op and its discretisation gap</b>"),
                              *self.sliders, self.train_button, self.status, self.plot])
        self.redraw()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    @property
    def alpha(self) -> list[float]:
        return [s.value for s in self.sliders]

    def gap(self) -> float:
        """Discretised loss minus mixed loss at the current α and weights."""
        mixed, single = self.layer.losses(self.alpha)
        return single - mixed

    def train_here(self) -> None:
        self.layer.train(self.alpha, self.train_steps)
        self.redraw()

    def redraw(self) -> None:
        layer, alpha = self.layer, self.alpha
        mixed, single = layer.losses(alpha)
        kept = layer.names[layer.argmax(alpha)]
        weights = " · ".join(f"{html.escape(n)} {p:.2f}" for n, p in zip(layer.names, layer.mix(alpha)))
        self.status.value = (f"softmax(α): {weights}<br>mixed loss {mixed:.4f} · discretised "
                             f"(keep {html.escape(kept)}) loss {single:.4f} · <b>gap {single - mixed:+.4f}</b>")
        fig = Figure(figsize=(6, 3))
        ax = fig.add_subplot()
        ax.scatter(layer.x.squeeze(1), layer.y.squeeze(1), s=8, color="grey", label="data")
        with torch.no_grad():
            ax.plot(layer.x.squeeze(1), layer.output(alpha).squeeze(1), label="mixed", lw=2)
            ax.plot(layer.x.squeeze(1), layer.output(alpha, discretise=True).squeeze(1), "--",
                    label=f"discretised: {kept}")
        ax.set_xlabel("x")
        ax.legend(fontsize="small", loc="upper left")
        fig.tight_layout()
        self.plot.value = render_png(fig)
