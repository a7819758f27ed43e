"""Figures of a run: the confusion matrix and the training curves (matplotlib, no pyplot state)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_confusion", "plot_curves"]


def plot_confusion(confusion: Sequence[Sequence[int]], classes: Sequence[str], path: Path, *, title: str) -> None:
    """Write the confusion matrix (rows: true class, columns: predicted) with counts, as PNG."""
    from matplotlib.figure import Figure

    cm = np.asarray(confusion, dtype=np.float64)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1.0)
    fig = Figure(figsize=(1.2 + 0.9 * len(classes), 1.0 + 0.8 * len(classes)), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.savefig(path, dpi=100)


def plot_curves(history: dict[str, list[Any]], path: Path) -> None:
    """Write loss and accuracy per epoch (training and validation) as PNG."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    for key in ("loss", "val_loss"):
        if history.get(key):
            ax1.plot(history[key], label=key)
    for key in ("accuracy", "val_balanced_accuracy"):
        if history.get(key):
            ax2.plot(history[key], label=key)
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("cross-entropy")
    ax2.set_xlabel("epoch")
    ax2.set_ylim(0, 1.02)
    for ax in (ax1, ax2):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.savefig(path, dpi=100)
