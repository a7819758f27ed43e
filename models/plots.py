"""Figures of a run: the confusion matrix and the training curves (matplotlib, no pyplot state)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_confusion", "plot_curves", "plot_det", "plot_pareto"]


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


def plot_det(
    curve: Sequence[dict[str, Any]],
    path: Path,
    *,
    chosen_min_score: float,
    chosen_point: tuple[float, float] | None = None,
    budgets_per_hour: Sequence[float] = (0.5, 1.0, 5.0),
    title: str = "",
    label: str = "operating points (min_score sweep)",
    others: Sequence[tuple[str, Sequence[dict[str, Any]]]] = (),
) -> tuple[float, float]:
    """Write a DET-style plot as PNG: miss rate against false activations per hour, one point per swept
    ``min_score``, the chosen operating point marked and the budgets drawn as vertical lines.

    Args:
        curve: ``operating_curve`` of ``radargest evaluate --json`` (``min_score``, ``fa_per_hour``,
            ``recall``), ascending in ``min_score``.
        chosen_min_score: the operating point to mark on ``curve`` (the run's ``min_score``).
        chosen_point: its evaluated ``(false activations per hour, recall)``, marked as they are; without it
            the swept point nearest in ``min_score`` is marked, which can be a false activation or two off
            (the sweep is coarse between its budgets).
        others: ``(label, curve)`` drawn for comparison (e.g. a model before rejection).

    Zero false activations cannot sit on a log axis: they are drawn at a tenth of the smallest non-zero
    rate on the plot (labelled "0").

    Returns:
        the marked point ``(false activations per hour, miss rate)``.
    """
    from matplotlib.figure import Figure

    parsed = []
    for name, c in ((label, curve), *others):
        pts = [(p["fa_per_hour"], 1.0 - p["recall"], p["min_score"]) for p in c if p.get("recall") is not None]
        fa = np.array([p[0] if p[0] is not None else np.inf for p in pts], dtype=np.float64)
        parsed.append((name, fa, np.array([p[1] for p in pts]), np.array([p[2] for p in pts])))
    positive = np.concatenate([fa[np.isfinite(fa) & (fa > 0)] for _, fa, _, _ in parsed])
    zero_at = (positive.min() if positive.size else 1.0) / 10.0
    fig = Figure(figsize=(5.6, 4.2), layout="constrained")
    ax = fig.add_subplot()
    marked = (np.nan, np.nan) if chosen_point is None else (float(chosen_point[0]), 1.0 - float(chosen_point[1]))
    for i, (name, fa, miss, scores) in enumerate(parsed):
        if not fa.size:
            continue
        x = np.where(fa > 0, fa, zero_at)
        order = np.argsort(x, kind="stable")
        best = np.minimum.accumulate(miss[order])  # the lowest miss reachable within each rate
        ax.step(x[order], np.maximum(best, 1e-3), where="post", color=f"C{i}", label=name)
        if i == 0 and chosen_point is None:
            k = int(np.argmin(np.abs(scores - chosen_min_score)))
            marked = (float(fa[k]), float(miss[k]))
    if np.isfinite(marked).all():
        ax.plot(
            marked[0] if marked[0] > 0 else zero_at,
            max(marked[1], 1e-3),
            "o",
            color="C3",
            ms=8,
            label=f"chosen min_score {chosen_min_score:.3g}: {marked[0]:.3g}/h, miss {marked[1]:.3f}",
        )
    ax.axvline(zero_at, color="0.6", lw=0.8, ls=":")
    ax.text(zero_at, 1.2e-3, " 0", color="0.4", fontsize=8)
    for b in budgets_per_hour:
        ax.axvline(b, color="0.5", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-3, 1.0)
    ax.set_xlabel("false activations per hour of background")
    ax.set_ylabel("miss rate (1 - recall)")
    ax.set_title(title or "DET: miss rate against false activations per hour", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="lower left")
    fig.savefig(path, dpi=100)
    return marked


def plot_pareto(
    rows: Sequence[dict[str, Any]],
    front: Sequence[dict[str, Any]],
    front_c: Sequence[dict[str, Any]],
    chosen: dict[str, Any] | None,
    path: Path,
    *,
    budget: Any,
    anchors: dict[str, tuple[int, str]],
    title: str = "",
    mcu_flash: Callable[[dict[str, Any]], int],
) -> None:
    """Write the search's validation score against int8 flash [KiB] and against MACs per frame, as PNG.

    ``rows``: trained trials (``val_score``, ``flash_bytes``: the converter's form, ``macs_per_frame``, optional
    ``reference``); ``mcu_flash`` gives a row's flash in the MCU form, the form the flash budget applies to:
    the points sit there, each joined to its converter's form (the ``.tflite`` size, comparable with the
    published anchors) by a thin line. ``front`` (all graphs), ``front_c`` (graphs the C build runs) and
    ``chosen`` are highlighted; ``budget`` (``budget_flash_bytes``, ``budget_macs_per_frame``) and the published
    ``anchors`` (name → (bytes, label)) are drawn as vertical lines; ``title`` (the family and the chosen point)
    above both.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax_f, ax_m = fig.subplots(1, 2, sharey=True)
    plain = [r for r in rows if not r.get("reference")]
    ref = [r for r in rows if r.get("reference")]

    def kib_on_mcu(r: dict[str, Any]) -> float:
        return mcu_flash(r) / 1024.0

    def kmacs(r: dict[str, Any]) -> float:
        return float(r["macs_per_frame"]) / 1000.0

    for i, r in enumerate(rows):
        label = "the same model's converter form (.tflite)" if i == 0 else None
        xs = [kib_on_mcu(r), r["flash_bytes"] / 1024.0]
        ax_f.plot(xs, [r["val_score"]] * 2, "-|", c="0.8", lw=0.8, ms=5, zorder=0, label=label)
    for ax, x, limit in (
        (ax_f, kib_on_mcu, budget.budget_flash_bytes / 1024.0),
        (ax_m, kmacs, budget.budget_macs_per_frame / 1000.0),
    ):
        ax.scatter([x(r) for r in plain], [r["val_score"] for r in plain], s=18, c="0.6", label="trained")
        lines = ((front, "C0", "o", "Pareto front (3 objectives)"), (front_c, "C2", "s", "front, C build"))
        for pts, colour, style, label in lines:
            fr = sorted(pts, key=x)
            ax.plot([x(r) for r in fr], [r["val_score"] for r in fr], style, mfc="none", c=colour, ms=8, label=label)
        if ref:
            ax.scatter([x(r) for r in ref], [r["val_score"] for r in ref], marker="s", s=40, c="C3",
                       label="reference (default, or the init run not pruned)")  # fmt: skip
        if chosen:
            ax.scatter([x(chosen)], [chosen["val_score"]], marker="*", s=220, c="C1", zorder=5,
                       label="chosen")  # fmt: skip
        ax.axvline(limit, c="k", ls="--", lw=1, label="budget")
        ax.grid(alpha=0.3)
    for i, (name, (size, what)) in enumerate(anchors.items()):
        ax_f.axvline(size / 1024.0, c=f"C{4 + i}", ls=":", lw=1.2, label=f"{name} ({what})")
    ax_f.set_xlabel("int8 flash, encoder + head, on the MCU (TFLM form; anchors as published) [KiB]")
    ax_m.set_xlabel("encoder MACs per frame [thousands]")
    ax_f.set_ylabel("validation score (training side)")
    ax_f.legend(fontsize=7, loc="lower right")
    ax_m.legend(fontsize=7, loc="lower right")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.savefig(path, dpi=100)
