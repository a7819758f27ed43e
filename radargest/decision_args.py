"""Command-line options of the decision layer (:class:`dsp.DecisionConfig`), shared by ``evaluate``,
``detect`` and ``demo``: given options override the base config (the bundle's, or the default)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from dsp.decision import DecisionConfig
from radargest.cli_args import finite_float, non_negative_float, probability, refuse_unused

__all__ = [
    "DECISION_OPTIONS",
    "add_decision_arguments",
    "decision_from_args",
    "refuse_other_streams_gate",
    "warn_operating_point_drift",
]

#: the argparse dest names of the options :func:`add_decision_arguments` adds (for refusing them where unused)
DECISION_OPTIONS = (
    "min_score",
    "prefix_wait_s",
    "prefix_hold_db",
    "min_peak_db",
    "idle_min_peak_db",
    "gate_max_range_m",
    "idle_gate_max_range_m",
    "always_wait",
    "no_close_look",
    "no_fallback",
    "no_weak_pass",
    "refractory_s",
    "weak_min_area_db_s",
    "no_refractory_window",
)


def add_decision_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``--min-score`` (alias ``--threshold``), ``--prefix-wait-s``, ``--prefix-hold-db``, ``--min-peak-db``,
    ``--idle-min-peak-db``, ``--gate-max-range-m``, ``--idle-gate-max-range-m``, ``--always-wait``,
    ``--no-close-look``, ``--no-fallback``, ``--no-weak-pass``, ``--refractory-s``, ``--no-refractory-window`` and
    ``--weak-min-area-db-s``."""
    g = p.add_argument_group(
        "decision layer (default: the bundle's manifest, or the run's operating point, else built-in defaults)"
    )
    g.add_argument(
        "--min-score",
        "--threshold",
        dest="min_score",
        type=probability,
        default=None,
        help="reject a gesture whose probability is below this, min_score in [0, 1] (0: arg-max; default: the "
        "bundle's or the run's calibrated operating point)",
    )
    g.add_argument(
        "--prefix-wait-s",
        type=non_negative_float,
        default=None,
        help="how long a prefix gesture (tap_in of double_tap_in) waits for the next part [s], >= 0 (default: the "
        "bundle's, else 0.28, and for a run personalised by record --enrol at least the wait its enrolment fitted, "
        "min_prefix_wait_s in its config.toml; given, it replaces either)",
    )
    g.add_argument(
        "--prefix-hold-db",
        type=finite_float,
        default=None,
        help="a prefix gesture whose wait is over waits on while the onset ratio is at least this (renewed "
        "motion) [dB], any number (default 2.0; a level above the segmenter's on_db turns the hold off)",
    )
    g.add_argument(
        "--min-peak-db",
        type=finite_float,
        default=None,
        help="physical gate: reject a gesture on an event whose onset ratio never peaked at this [dB], on the "
        "full-rate onset stream (evaluate, --always-on) [dB], any number (default 5.9; 0 turns the gate off)",
    )
    g.add_argument(
        "--idle-min-peak-db",
        type=finite_float,
        default=None,
        help="the same gate on a throttled device's idle-rate onset stream (detect and demo without --always-on, "
        "firmware) [dB], any number (default 6.6; 0 turns it off)",
    )
    g.add_argument(
        "--gate-max-range-m",
        type=non_negative_float,
        default=None,
        help="the gate applies only to events whose strongest motion is at a range point at or nearer than this "
        "[m], >= 0 (default 0.14; 0: at every range)",
    )
    g.add_argument(
        "--idle-gate-max-range-m",
        type=non_negative_float,
        default=None,
        help="the same range condition for the idle-rate gate, on the IDLE points [m], >= 0 (default 0: at every "
        "range)",
    )
    g.add_argument(
        "--always-wait",
        action="store_true",
        help="decide each event only when the segmenter closes it (merge gap after its end), as before the "
        "decision layer; for comparison",
    )
    g.add_argument(
        "--no-close-look",
        action="store_true",
        help="an event that closes undecided keeps its last checkpoint's answer instead of one more look at "
        "the window ending at its close, as before the close look; for comparison (a run or bundle calibrated "
        "without the look never uses it)",
    )
    g.add_argument(
        "--no-fallback",
        action="store_true",
        help="an event that closes with nothing accepted is not decided as the gesture an earlier checkpoint "
        "accepted before a new run of the event superseded it (the fallback_superseded of the decision layer), "
        "as before the fallback; for comparison",
    )
    g.add_argument(
        "--no-weak-pass",
        action="store_true",
        help="no second, weaker segmenter pass (weak_on_db 0 on either stream): only the default segmenter's events "
        "are decided, as before the weak pass; for comparison",
    )
    g.add_argument(
        "--refractory-s",
        type=non_negative_float,
        default=None,
        help="a gesture the same as the last one reported, on an event starting less than this after that one's "
        "end, is rejected (its window may still hold the gesture just reported) [s], >= 0 (default: the bundle's, "
        "else 0.8; 0: off)",
    )
    g.add_argument(
        "--no-refractory-window",
        action="store_true",
        help="the refractory time holds back every repeat inside it, also one decided on a window that begins after "
        "the reported gesture's event (a quick real repeat), as before the window test (refractory_window); for "
        "comparison",
    )
    g.add_argument(
        "--weak-min-area-db-s",
        type=non_negative_float,
        default=None,
        help="the area test of the weak pass's events [dB*s], >= 0 (default: the bundle's, else 0.05; a bundle "
        "exported before the option uses the segmenter's min_area_db_s)",
    )


def decision_from_args(args: argparse.Namespace, base: DecisionConfig | None = None) -> DecisionConfig:
    """The base config (default :class:`DecisionConfig`) with the options given on the command line."""
    cfg = base or DecisionConfig()
    changes: dict[str, Any] = {}
    if getattr(args, "min_score", None) is not None:
        changes["min_score"] = float(args.min_score)
    if getattr(args, "prefix_wait_s", None) is not None:
        changes["prefix_wait_s"] = float(args.prefix_wait_s)
    if getattr(args, "prefix_hold_db", None) is not None:
        changes["prefix_hold_db"] = float(args.prefix_hold_db)
    if getattr(args, "min_peak_db", None) is not None:
        changes["min_peak_db"] = float(args.min_peak_db)
    if getattr(args, "idle_min_peak_db", None) is not None:
        changes["idle_min_peak_db"] = float(args.idle_min_peak_db)
    for name in ("gate_max_range_m", "idle_gate_max_range_m"):
        if getattr(args, name, None) is not None:
            changes[name] = float(getattr(args, name))
    if getattr(args, "always_wait", False):
        # both act on the early decisions only: with every event decided at its close they would change nothing
        refuse_unused(args, ("no_close_look", "no_fallback"), applies="with early decisions (without --always-wait)")
        changes["early"] = False
    if getattr(args, "no_close_look", False):
        changes["close_look"] = False
    if getattr(args, "no_fallback", False):
        changes["fallback_superseded"] = False
    if getattr(args, "no_weak_pass", False):
        changes["weak_on_db"] = changes["idle_weak_on_db"] = 0.0
    if getattr(args, "refractory_s", None) is not None:
        changes["refractory_s"] = float(args.refractory_s)
    if getattr(args, "no_refractory_window", False):
        changes["refractory_window"] = False
    if getattr(args, "weak_min_area_db_s", None) is not None:
        changes["weak_min_area_db_s"] = float(args.weak_min_area_db_s)
    return dataclasses.replace(cfg, **changes) if changes else cfg


def refuse_other_streams_gate(args: argparse.Namespace, *, idle_stream: bool) -> None:
    """Refuse the gate options of the onset stream a command does not decide on: a throttled device's policy is
    fed the idle-rate stream and gated by ``--idle-min-peak-db`` / ``--idle-gate-max-range-m``; ``evaluate`` and
    ``--always-on`` are fed the full-rate stream, gated by ``--min-peak-db`` / ``--gate-max-range-m``
    (:meth:`dsp.DecisionConfig.for_idle_stream`).

    Raises:
        ValueError: naming the options and where they apply.
    """
    if idle_stream:
        refuse_unused(
            args,
            ("min_peak_db", "gate_max_range_m"),
            applies="with --always-on or in evaluate (a throttled device gates its idle-rate stream: "
            "--idle-min-peak-db, --idle-gate-max-range-m)",
        )
    else:
        refuse_unused(
            args,
            ("idle_min_peak_db", "idle_gate_max_range_m"),
            applies="to a throttled device's idle-rate stream (detect and demo without --always-on)",
        )


def warn_operating_point_drift(run_dir: Path, base: DecisionConfig | None = None) -> None:
    """Say on stderr when ``run_dir``'s ``min_score`` was calibrated under another decision layer than the one its
    decisions now use (``base`` with the run's operating point, :func:`models.config.run_decision`), or under one
    it does not record: its false-activation budget was judged on that layer (``evaluate``, ``export``)."""
    from models.config import operating_point_drift, read_run_config, run_decision

    in_use = run_decision(read_run_config(run_dir), base)
    drift = operating_point_drift(run_dir, in_use)
    again = f"'radargest calibrate {run_dir}' chooses it again for the decision layer as it is now"
    if drift is None:
        print(
            f"note: {run_dir} does not record the decision layer its min_score was calibrated with (a run calibrated "
            f"before radargest recorded it); if the layer's defaults changed since, its false-activation budget may "
            f"not hold: {again}",
            file=sys.stderr,
        )
    elif drift:
        print(
            f"warning: {run_dir}'s min_score was calibrated with another decision layer ({', '.join(drift)} "
            f"differ{'s' if len(drift) == 1 else ''}); its false-activation budget was judged on that one: {again}",
            file=sys.stderr,
        )
